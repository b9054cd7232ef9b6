"""Translate: every English guideline into the chosen languages, where missing
or stale (its source hash differs from the current English guideline)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from core.knowledge import (
    SOURCE_LANGUAGE,
    Guideline,
    Language,
    check_topics,
    content_hash,
    load_curriculum,
    load_languages,
)
from core.llm.provider import ItemFailed
from core.settings import Settings
from core.store.base import Store
from core.tasks.bounded import run_bounded
from core.tasks.providers import provider_for, warm_up
from core.tasks.registry import TaskContext, TaskSpec, register


class TranslateParams(BaseModel):
    """Which languages (default all 19) and topics (default all), which model."""

    model_config = ConfigDict(extra="forbid")

    languages: list[str] | None = None
    topics: list[str] | None = None
    model: str | None = None
    #: chosen where the job is started, so the worker does what was announced
    provider: Literal["gemini", "simulator"] | None = None

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, codes: list[str] | None) -> list[str] | None:
        known = {language.code for language in load_languages()}
        for code in codes or []:
            if code not in known:
                raise ValueError(
                    f"unknown language {code!r}; known: {', '.join(sorted(known))}"
                )
        return codes

    @field_validator("topics")
    @classmethod
    def _known_topics(cls, slugs: list[str] | None) -> list[str] | None:
        return check_topics(slugs)


class Pair(BaseModel):
    """One translation to make: a topic into a language."""

    topic: str
    language: str
    stale: bool = False


class TranslateInput(BaseModel):
    """Sources, languages and the pairs to translate; what was up to date."""

    sources: dict[str, Guideline]
    languages: dict[str, Language]
    pairs: list[Pair]
    skipped: int
    #: topics asked for that have no English guideline to translate from
    untrained: list[str] = []


def prepare(
    params: TranslateParams, store: Store, saved: frozenset[tuple[str, str]]
) -> TranslateInput:
    """Find every (topic, language) whose translation is missing or stale."""
    english = store.list_items(language=SOURCE_LANGUAGE, topics=params.topics)
    sources = {item.topic: Guideline.model_validate(item.data) for item in english}
    languages = {
        language.code: language
        for language in load_languages()
        if params.languages is None or language.code in params.languages
    }
    pairs: list[Pair] = []
    skipped = 0
    for code in languages:
        have = {
            i.topic: i.data.get("source_hash") for i in store.list_items(language=code)
        }
        for topic, source in sources.items():
            mine = (topic, code) in saved
            if mine or topic not in have:
                pairs.append(Pair(topic=topic, language=code))
            elif have[topic] != content_hash(source):
                pairs.append(Pair(topic=topic, language=code, stale=True))
            else:
                skipped += 1
    asked = params.topics or [topic.slug for topic in load_curriculum()]
    return TranslateInput(
        sources=sources,
        languages=languages,
        pairs=pairs,
        skipped=skipped,
        untrained=[slug for slug in asked if slug not in sources],
    )


class Translation:
    """The running state of one translation job."""

    def __init__(self, work: TranslateInput, context: TaskContext) -> None:
        self.work = work
        self.context = context
        self.total = len(work.pairs)
        self.done = 0
        self.counts = {"translated": 0, "refreshed": 0}
        self.failures: list[dict[str, str]] = []
        self.parts = {
            code: {"done": 0, "total": 0, "failed": 0} for code in work.languages
        }
        for pair in work.pairs:
            self.parts[pair.language]["total"] += 1

    def resume(self, pair: Pair) -> bool:
        """Count a pair this job saved before a restart; True if it was."""
        if (pair.topic, pair.language) not in self.context.saved_keys:
            return False
        self.saved_one(pair, None)
        return True

    def saved_one(self, pair: Pair, guideline: dict[str, Any] | None) -> None:
        if guideline is not None:
            self.context.item(pair.topic, pair.language, guideline)
        self.counts["refreshed" if pair.stale else "translated"] += 1
        self._count(pair, "done")

    def failed_one(self, pair: Pair, reason: str) -> None:
        self.failures.append(
            {"topic": pair.topic, "language": pair.language, "reason": reason}
        )
        self.context.log(f"{pair.topic} [{pair.language}]: {reason}", "warning")
        self._count(pair, "failed")

    def _count(self, pair: Pair, outcome: str) -> None:
        self.done += 1
        self.parts[pair.language][outcome] += 1
        title = self.work.sources[pair.topic].content.title
        native = self.work.languages[pair.language].native_name
        message = f"Translating: {title} → {native} ({self.done}/{self.total})"
        self.context.progress(self.done, self.total, message, self.parts)


async def translate(
    params: TranslateParams, work: TranslateInput, context: TaskContext
) -> dict[str, Any]:
    """Translate every pair of the input; a failed pair is recorded, not fatal."""
    translation = Translation(work, context)
    provider = provider_for(params.model, params.provider)
    context.log(f"{translation.total} translations to make with {provider.name}")
    if work.untrained:
        context.log(_untrained_line(work.untrained), "warning")
    context.progress(0, translation.total, "Starting", translation.parts)

    async def one(pair: Pair) -> None:
        source = work.sources[pair.topic]
        language = work.languages[pair.language]
        try:
            result = await provider.translate(source, language)
        except ItemFailed as failure:
            translation.failed_one(pair, str(failure))
            return
        translation.saved_one(pair, result.model_dump(mode="json"))

    todo = [pair for pair in work.pairs if not translation.resume(pair)]
    await run_bounded(todo, one, Settings().translate_concurrency, context)
    return _outcome(translation, work)


def _outcome(translation: Translation, work: TranslateInput) -> dict[str, Any]:
    failed = len(translation.failures)
    succeeded = translation.counts["translated"] + translation.counts["refreshed"]
    if failed and not succeeded:
        first = translation.failures[0]
        raise RuntimeError(
            f"no translation succeeded; all {failed} failed, the first "
            f"({first['topic']} [{first['language']}]) with: {first['reason']}"
        )
    return {
        **translation.counts,
        "skipped": work.skipped,
        "untrained": len(work.untrained),
        "failed": failed,
        "failures": translation.failures,
    }


def _untrained_line(slugs: list[str]) -> str:
    """Which topics cannot be translated yet, and what to do about it."""
    shown = ", ".join(slugs[:5]) + (
        f" and {len(slugs) - 5} more" if len(slugs) > 5 else ""
    )
    return (
        f"{len(slugs)} topic(s) have no English guideline yet, so nothing was "
        f"translated for them: {shown}. Train them first (medkb train, or t)."
    )


register(
    TaskSpec(
        kind="translate",
        params_model=TranslateParams,
        run=translate,
        prepare=prepare,
        warm_up=warm_up,
    )
)
