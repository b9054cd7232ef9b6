"""One provider per child process and model, sharing the worker's rate limits."""

from __future__ import annotations

from core.llm.limits import RateLimiter
from core.llm.provider import Provider, make_provider
from core.settings import Settings
from core.tasks.registry import TaskContext

_providers: dict[tuple[str | None, str | None], Provider] = {}


def provider_for(
    model: str | None, provider: str | None, context: TaskContext
) -> Provider:
    """The process's provider of that kind and model, made on first use."""
    key = (model, provider)
    if key not in _providers:
        settings = Settings()
        if provider is not None:
            settings = settings.model_copy(update={"provider": provider})
        limiter = RateLimiter(
            context.scratch_dir / "limits",
            settings.requests_per_minute,
            settings.tokens_per_minute,
        )
        _providers[key] = make_provider(settings, model, limiter)
    return _providers[key]


def check_topics(slugs: list[str] | None, known: set[str]) -> list[str] | None:
    """The slugs as given, or a ValueError naming the first unknown one."""
    for slug in slugs or []:
        if slug not in known:
            raise ValueError(f"unknown topic {slug!r}; see assets/curriculum.json")
    return slugs
