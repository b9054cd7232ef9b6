"""One provider per child process and model, sharing the rate limits.

The limits live in one file in the data directory, so every process of a
worker, and every worker of this user on this machine, counts against the
same requests- and tokens-per-minute budget, as the API does.
"""

from __future__ import annotations

from core.llm.limits import RateLimiter
from core.llm.provider import (
    Provider,
    chosen_provider,
    make_provider,
    uses_simulator,
)
from core.settings import Settings

_providers: dict[tuple[str | None, str | None], Provider] = {}


def provider_for(model: str | None, provider: str | None) -> Provider:
    """The process's provider of that kind and model, made on first use."""
    key = (model, provider)
    if key not in _providers:
        settings = Settings()
        if provider is not None:
            settings = settings.model_copy(update={"provider": provider})
        _providers[key] = make_provider(settings, model, _limiter(settings))
    return _providers[key]


def warm_up() -> None:
    """Make the Gemini client before the first job needs it (about a second)."""
    settings = Settings()
    if not uses_simulator(settings):
        provider_for(None, chosen_provider(settings))


def _limiter(settings: Settings) -> RateLimiter | None:
    """The API's limits; the offline simulator has none to respect."""
    if uses_simulator(settings):
        return None
    return RateLimiter(
        settings.data_path / "rate-limits",
        settings.requests_per_minute,
        settings.tokens_per_minute,
        window_seconds=settings.rate_window_seconds,
    )
