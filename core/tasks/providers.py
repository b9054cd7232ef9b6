"""One provider per child process and model, sharing the worker's rate limits."""

from __future__ import annotations

from core.llm.limits import RateLimiter
from core.llm.provider import Provider, make_provider
from core.settings import Settings
from core.tasks.registry import TaskContext

_providers: dict[str | None, Provider] = {}


def provider_for(model: str | None, context: TaskContext) -> Provider:
    """The process's provider for that model, made on first use."""
    if model not in _providers:
        settings = Settings()
        limiter = RateLimiter(
            context.scratch_dir / "limits",
            settings.requests_per_minute,
            settings.tokens_per_minute,
        )
        _providers[model] = make_provider(settings, model, limiter)
    return _providers[model]


def check_topics(slugs: list[str] | None, known: set[str]) -> list[str] | None:
    """The slugs as given, or a ValueError naming the first unknown one."""
    for slug in slugs or []:
        if slug not in known:
            raise ValueError(f"unknown topic {slug!r}; see assets/curriculum.json")
    return slugs
