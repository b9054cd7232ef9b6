"""Train: write one English guideline per topic of the curriculum."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from core.knowledge import SOURCE_LANGUAGE, Topic, check_topics, load_curriculum
from core.llm.provider import ItemFailed
from core.settings import Settings
from core.store.base import Store
from core.tasks.bounded import run_bounded
from core.tasks.providers import provider_for, warm_up
from core.tasks.registry import TaskContext, TaskSpec, register


class TrainParams(BaseModel):
    """Which topics to write, whether to rewrite existing ones, which model."""

    model_config = ConfigDict(extra="forbid")

    topics: list[str] | None = None
    overwrite: bool = False
    model: str | None = None
    #: chosen where the job is started, so the worker does what was announced
    provider: Literal["gemini", "simulator"] | None = None

    @field_validator("topics")
    @classmethod
    def _known_topics(cls, slugs: list[str] | None) -> list[str] | None:
        return check_topics(slugs)


class TrainInput(BaseModel):
    """What the supervisor hands the task: topics to write, topics skipped."""

    topics: list[Topic]
    skipped: list[str]


def prepare(
    params: TrainParams, store: Store, saved: frozenset[tuple[str, str]]
) -> TrainInput:
    """Pick the topics to write: the named ones or all, minus those in the KB."""
    chosen = [
        topic
        for topic in load_curriculum()
        if params.topics is None or topic.slug in params.topics
    ]
    existing = {item.topic for item in store.list_items(language=SOURCE_LANGUAGE)}

    def wanted(topic: Topic) -> bool:
        mine = (topic.slug, SOURCE_LANGUAGE) in saved
        return params.overwrite or mine or topic.slug not in existing

    todo = [topic for topic in chosen if wanted(topic)]
    skipped = [topic.slug for topic in chosen if not wanted(topic)]
    return TrainInput(topics=todo, skipped=skipped)


class Training:
    """The running state of one training job."""

    def __init__(self, work: TrainInput, context: TaskContext) -> None:
        self.context = context
        self.total = len(work.topics)
        self.done = 0
        self.learned = 0
        self.failures: list[dict[str, str]] = []
        self.parts: dict[str, dict[str, int]] = {
            topic.slug: {"done": 0, "total": 1, "failed": 0} for topic in work.topics
        }

    def resume(self, topic: Topic) -> bool:
        """Count a topic this job saved before a restart; True if it was."""
        if (topic.slug, SOURCE_LANGUAGE) not in self.context.saved_keys:
            return False
        self._count(topic, failed=False)
        self.learned += 1
        return True

    def _count(self, topic: Topic, *, failed: bool) -> None:
        self.done += 1
        self.parts[topic.slug]["failed" if failed else "done"] = 1
        verb = "Failed" if failed else "Learning"
        message = f"{verb}: {topic.title} ({self.done}/{self.total})"
        self.context.progress(self.done, self.total, message, self.parts)

    def learned_one(self, topic: Topic, guideline: dict[str, Any]) -> None:
        self.context.item(topic.slug, SOURCE_LANGUAGE, guideline)
        self.learned += 1
        self._count(topic, failed=False)

    def failed_one(self, topic: Topic, reason: str) -> None:
        self.failures.append({"topic": topic.slug, "reason": reason})
        self.context.log(f"{topic.slug}: {reason}", "warning")
        self._count(topic, failed=True)


async def train(
    params: TrainParams, work: TrainInput, context: TaskContext
) -> dict[str, Any]:
    """Write every topic of the input; a failed topic is recorded, not fatal."""
    training = Training(work, context)
    provider = provider_for(params.model, params.provider)
    context.log(f"{training.total} topics to write with {provider.name}")
    context.progress(0, training.total, "Starting", training.parts)

    async def write(topic: Topic) -> None:
        try:
            guideline = await provider.write_guideline(topic)
        except ItemFailed as failure:
            training.failed_one(topic, str(failure))
            return
        training.learned_one(topic, guideline.model_dump(mode="json"))

    todo = [topic for topic in work.topics if not training.resume(topic)]
    await run_bounded(todo, write, Settings().train_concurrency, context)
    return _outcome(training, work)


def _outcome(training: Training, work: TrainInput) -> dict[str, Any]:
    failed = len(training.failures)
    if failed and not training.learned:
        first = training.failures[0]
        raise RuntimeError(
            f"no topic was learned; all {failed} failed, the first "
            f"({first['topic']}) with: {first['reason']}"
        )
    return {
        "learned": training.learned,
        "skipped": len(work.skipped),
        "failed": failed,
        "failures": training.failures,
    }


register(
    TaskSpec(
        kind="train",
        params_model=TrainParams,
        run=train,
        prepare=prepare,
        warm_up=warm_up,
    )
)
