"""What the knowledge base holds: each topic in each language, and its state."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from core.jobs import JobStatus
from core.knowledge import (
    SOURCE_LANGUAGE,
    Guideline,
    content_hash,
    load_curriculum,
    load_languages,
)
from core.store.base import JobFilter, Store

RECENT_JOBS = 200


class CellState(StrEnum):
    """The state of one topic in one language."""

    SAVED = "saved"
    STALE = "stale"
    MISSING = "missing"
    FAILED = "failed"


@dataclass
class Coverage:
    """The grid of topics by languages (English first)."""

    topics: list[str]
    languages: list[str]
    cells: dict[tuple[str, str], CellState] = field(default_factory=dict)

    def state(self, topic: str, language: str) -> CellState:
        return self.cells.get((topic, language), CellState.MISSING)

    def by_language(self, language: str) -> Counter[CellState]:
        return Counter(self.state(topic, language) for topic in self.topics)

    def by_topic(self, topic: str) -> Counter[CellState]:
        return Counter(self.state(topic, code) for code in self.languages)

    def to_translate(
        self, topics: list[str] | None = None, languages: list[str] | None = None
    ) -> list[tuple[str, str]]:
        """The missing, stale or failed translations among the chosen cells."""
        wanted = {CellState.MISSING, CellState.STALE, CellState.FAILED}
        return [
            (topic, code)
            for topic in topics or self.topics
            for code in languages or self.languages
            if code != SOURCE_LANGUAGE
            and self.state(topic, SOURCE_LANGUAGE) is CellState.SAVED
            and self.state(topic, code) in wanted
        ]


def coverage(store: Store) -> Coverage:
    """Read the whole knowledge base once and classify every cell."""
    topics = [topic.slug for topic in load_curriculum()]
    codes = [SOURCE_LANGUAGE, *(language.code for language in load_languages())]
    grid = Coverage(topics=topics, languages=codes)
    hashes: dict[str, str] = {}
    for item in store.list_items(language=SOURCE_LANGUAGE):
        hashes[item.topic] = content_hash(Guideline.model_validate(item.data))
        grid.cells[item.key] = CellState.SAVED
    for item in store.list_items():
        if item.language != SOURCE_LANGUAGE:
            fresh = item.data.get("source_hash") == hashes.get(item.topic)
            grid.cells[item.key] = CellState.SAVED if fresh else CellState.STALE
    for key in recent_failures(store):
        if grid.state(*key) is not CellState.SAVED:
            grid.cells[key] = CellState.FAILED
    return grid


def recent_failures(store: Store) -> dict[tuple[str, str], str]:
    """Items that recent train and translate jobs failed, with the reason."""
    where = JobFilter(
        statuses=frozenset({JobStatus.COMPLETED, JobStatus.FAILED}),
        kinds=frozenset({"train", "translate"}),
    )
    failures: dict[tuple[str, str], str] = {}
    for job in reversed(store.list_jobs(where, limit=RECENT_JOBS)):
        for failure in (job.result or {}).get("failures", []):
            key = (failure["topic"], failure.get("language", SOURCE_LANGUAGE))
            failures[key] = failure["reason"]
    return failures
