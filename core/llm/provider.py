"""The provider interface: who writes and translates guidelines, and which one."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import TYPE_CHECKING

from core.knowledge import Guideline, Language, Topic
from core.settings import Settings

if TYPE_CHECKING:
    from core.llm.limits import RateLimiter

SIMULATOR_NOTE = "offline, simulated text, not medical advice"
KEY_NAMES = "GEMINI_API_KEY or GOOGLE_API_KEY"


class ItemFailed(Exception):
    """One item failed for good: retrying the same request will not fix it.

    Its message is one line fit to show a user, and never holds a secret.
    """


class ProviderConfigError(ValueError):
    """The settings name a provider that cannot be used as configured."""


class Provider(ABC):
    """Writes English guidelines and translates them; one instance per process.

    Every method may raise `ItemFailed` for an item that cannot be done;
    anything else it raises is a bug or a cancellation.
    """

    name: str
    model: str

    @abstractmethod
    async def write_guideline(self, topic: Topic) -> Guideline:
        """The English guideline for a topic, with its provenance filled in."""

    @abstractmethod
    async def translate(self, source: Guideline, language: Language) -> Guideline:
        """The source guideline in another language.

        The result has the source's topic, `language.code` as its language
        and `content_hash(source)` as its `source_hash`.
        """

    @abstractmethod
    async def aclose(self) -> None:
        """Release connections; the provider is not used afterwards."""

    async def __aenter__(self) -> Provider:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


def api_key(settings: Settings) -> str | None:
    """The Gemini API key from the settings, or None when none is set."""
    if settings.gemini_api_key is None:
        return None
    return settings.gemini_api_key.get_secret_value().strip() or None


def uses_simulator(settings: Settings) -> bool:
    """Whether the settings select the simulator rather than Gemini."""
    if settings.provider == "simulator":
        return True
    return settings.provider == "auto" and api_key(settings) is None


def chosen_provider(settings: Settings) -> str:
    """The provider a job started now should use: "gemini" or "simulator"."""
    return "simulator" if uses_simulator(settings) else "gemini"


def describe(settings: Settings, model: str | None = None) -> str:
    """One line naming the provider the settings select, for a status line."""
    if settings.provider == "simulator":
        return f"simulator (MEDKB_PROVIDER=simulator): {SIMULATOR_NOTE}"
    if api_key(settings) is None and settings.provider == "auto":
        return f"simulator (no {KEY_NAMES} set): {SIMULATOR_NOTE}"
    if api_key(settings) is None:
        return f"Gemini ({model or settings.model}): unusable, no {KEY_NAMES} set"
    return f"Gemini ({model or settings.model})"


def make_provider(
    settings: Settings,
    model: str | None = None,
    limiter: RateLimiter | None = None,
) -> Provider:
    """The provider the settings select: Gemini with a key, else the simulator."""
    if uses_simulator(settings):
        from core.llm.simulator import SimulatorProvider

        return SimulatorProvider.from_settings(settings, limiter=limiter)

    key = api_key(settings)
    if key is None:
        raise ProviderConfigError(
            f"MEDKB_PROVIDER is gemini but no API key is set. Set {KEY_NAMES}, "
            "or set MEDKB_PROVIDER=simulator to work offline."
        )

    from core.llm.gemini import GeminiProvider

    return GeminiProvider.from_settings(settings, key, model=model, limiter=limiter)
