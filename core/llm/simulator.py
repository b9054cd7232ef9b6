"""An offline provider that makes placeholder guidelines, marked as simulated.

Nothing it writes is first-aid advice: every text says it is simulated, so
no one can mistake a simulated knowledge base for a real one.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from datetime import UTC, datetime

from core.knowledge import (
    SOURCE_LANGUAGE,
    Guideline,
    GuidelineContent,
    Language,
    Provenance,
    SpecialGroup,
    Step,
    Topic,
    content_hash,
)
from core.llm.limits import RateLimiter
from core.llm.provider import ItemFailed, Provider
from core.settings import Settings

MARK = "[simulated] "
SUMMARY_MARK = "SIMULATED TEXT, NOT MEDICAL ADVICE."
MODEL = "simulator-1"

ACTIONS = (
    "Check the scene is safe before you approach",
    "Speak to the person and check whether they respond",
    "Call your local emergency number",
    "Keep the person still and comfortable",
    "Watch their breathing until help arrives",
    "Keep the person warm with a coat or blanket",
    "Stay with the person and reassure them",
    "Tell the emergency services what you saw",
)
DETAILS = (
    "Placeholder detail written offline by the simulator.",
    "This line stands in for the advice a model would write.",
)
GROUPS = ("Infants", "Children", "Pregnancy", "Older adults")


def _seed(*parts: str) -> int:
    """A stable seed: the same parts give the same number in every process."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _marked(text: str) -> str:
    """The text, carrying the simulated mark if it does not already."""
    return text if "simulated" in text.lower() else MARK + text


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


class SimulatorProvider(Provider):
    """Deterministic placeholder guidelines, with optional latency and failures."""

    name = "simulator"

    def __init__(
        self,
        latency: float = 0.0,
        failure_rate: float = 0.0,
        failure_seed: str = "",
        limiter: RateLimiter | None = None,
    ) -> None:
        self.model = MODEL
        self._latency = latency
        self._failure_rate = failure_rate
        self._failure_seed = failure_seed
        self._limiter = limiter

    @classmethod
    def from_settings(
        cls, settings: Settings, limiter: RateLimiter | None = None
    ) -> SimulatorProvider:
        return cls(
            latency=settings.simulator_latency,
            failure_rate=settings.simulator_failure_rate,
            limiter=limiter,
        )

    def __repr__(self) -> str:
        return f"SimulatorProvider(latency={self._latency}, fail={self._failure_rate})"

    async def write_guideline(self, topic: Topic) -> Guideline:
        await self._work(topic.model_dump_json(), topic.slug, SOURCE_LANGUAGE)
        content = _invent(topic)
        return Guideline(
            topic=topic.slug,
            language=SOURCE_LANGUAGE,
            content=content,
            provenance=self._provenance(topic.model_dump_json(), content),
        )

    async def translate(self, source: Guideline, language: Language) -> Guideline:
        source_json = source.content.model_dump_json()
        await self._work(source_json, source.topic, language.code)
        content = _translated(source.content, language.code)
        return Guideline(
            topic=source.topic,
            language=language.code,
            content=content,
            provenance=self._provenance(source_json, content),
            source_hash=content_hash(source),
        )

    async def aclose(self) -> None:
        return None

    async def _work(self, request: str, topic: str, language: str) -> None:
        """Take a rate-limit slot, wait the latency, fail if this item is due to."""
        if self._limiter is not None:
            await self._limiter.acquire(_tokens(request) * 2)
        if self._latency > 0:
            await asyncio.sleep(self._latency)

        draw = random.Random(_seed(self._failure_seed, topic, language)).random()
        if draw < self._failure_rate:
            raise ItemFailed(
                f"simulated failure for {topic} ({language}): the simulator "
                f"fails {self._failure_rate:.0%} of items by design"
            )

    def _provenance(self, request: str, content: GuidelineContent) -> Provenance:
        return Provenance(
            provider=self.name,
            model=self.model,
            generated_at=datetime.now(UTC),
            tokens_in=_tokens(request),
            tokens_out=_tokens(content.model_dump_json()),
            simulated=True,
        )


def _invent(topic: Topic) -> GuidelineContent:
    """Placeholder content for a topic, the same every time for the same slug."""
    rng = random.Random(_seed(topic.slug))
    steps = [
        Step(instruction=MARK + action, detail=_marked(rng.choice(DETAILS)))
        for action in rng.sample(ACTIONS, rng.randint(4, 6))
    ]
    groups = [
        SpecialGroup(group=MARK + group, advice=f"{MARK}Advice for {group.lower()}.")
        for group in rng.sample(GROUPS, rng.randint(0, 2))
    ]
    return GuidelineContent(
        title=f"{topic.title} (simulated)",
        summary=f"{SUMMARY_MARK} Placeholder summary for {topic.title}: {topic.scope}",
        call_emergency_when=_lines(rng, "Call for help if", 2, 3),
        steps=steps,
        do=_lines(rng, "Do", 2, 4),
        dont=_lines(rng, "Do not", 2, 4),
        warning_signs=_lines(rng, "Warning sign", 2, 4),
        special_groups=groups,
    )


def _lines(rng: random.Random, label: str, low: int, high: int) -> list[str]:
    """A few numbered placeholder entries, each carrying the simulated mark."""
    return [
        f"{MARK}{label} {number}." for number in range(1, rng.randint(low, high) + 1)
    ]


def _translated(content: GuidelineContent, code: str) -> GuidelineContent:
    """The same structure with every text tagged by the target language."""

    def tag(text: str) -> str:
        # An empty detail stays empty, as a real translation keeps it.
        return f"[{code}] {_marked(text)}" if text else text

    return GuidelineContent(
        title=tag(content.title),
        summary=tag(content.summary),
        call_emergency_when=[tag(text) for text in content.call_emergency_when],
        steps=[
            Step(instruction=tag(step.instruction), detail=tag(step.detail))
            for step in content.steps
        ],
        do=[tag(text) for text in content.do],
        dont=[tag(text) for text in content.dont],
        warning_signs=[tag(text) for text in content.warning_signs],
        special_groups=[
            SpecialGroup(group=tag(group.group), advice=tag(group.advice))
            for group in content.special_groups
        ],
    )
