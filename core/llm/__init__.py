"""Who writes the guidelines: Gemini, or the offline simulator.

`core.llm.gemini` imports google-genai, which is slow to import; it is
loaded only when a Gemini provider is made.
"""

from core.llm.limits import RateLimiter
from core.llm.provider import (
    ItemFailed,
    Provider,
    ProviderConfigError,
    describe,
    make_provider,
)

__all__ = [
    "ItemFailed",
    "Provider",
    "ProviderConfigError",
    "RateLimiter",
    "describe",
    "make_provider",
]
