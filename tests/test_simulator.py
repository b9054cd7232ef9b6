"""SimulatorProvider: offline, deterministic, and marked simulated everywhere."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from core.knowledge import (
    Guideline,
    GuidelineContent,
    Language,
    Topic,
    content_hash,
    load_curriculum,
)
from core.llm.provider import ItemFailed
from core.llm.simulator import SimulatorProvider

TOPIC = Topic(
    slug="heat-stroke",
    title="Heat Stroke",
    category="Environmental emergencies",
    scope="Recognising heat stroke and cooling the person.",
)
GERMAN = Language(code="de", name="German", native_name="Deutsch")


def texts(value: Any) -> Iterator[str]:
    """Every string inside a dumped model, however deeply nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


async def test_same_topic_gives_the_same_content() -> None:
    first = await SimulatorProvider().write_guideline(TOPIC)
    second = await SimulatorProvider().write_guideline(TOPIC)

    assert first.content == second.content


async def test_different_topics_give_different_content() -> None:
    topics = load_curriculum()[:10]
    provider = SimulatorProvider()

    contents = [(await provider.write_guideline(t)).content for t in topics]

    assert len({content.model_dump_json() for content in contents}) == len(topics)


async def test_every_curriculum_guideline_is_schema_valid_and_marked() -> None:
    provider = SimulatorProvider()

    for topic in load_curriculum():
        guideline = await provider.write_guideline(topic)

        content = GuidelineContent.model_validate_json(
            guideline.content.model_dump_json()
        )
        assert 4 <= len(content.steps) <= 6
        assert content.title == f"{topic.title} (simulated)"
        assert content.summary.startswith("SIMULATED TEXT, NOT MEDICAL ADVICE.")
        for text in texts(content.model_dump()):
            assert "simulated" in text.lower(), text


async def test_provenance_says_simulated_with_plausible_tokens() -> None:
    guideline = await SimulatorProvider().write_guideline(TOPIC)

    made = guideline.provenance
    assert (made.provider, made.model, made.simulated) == (
        "simulator",
        "simulator-1",
        True,
    )
    assert 10 < made.tokens_in < made.tokens_out < 5000
    assert guideline.key == ("heat-stroke", "en")


async def test_failure_rate_one_fails_every_item() -> None:
    provider = SimulatorProvider(failure_rate=1.0)

    for topic in load_curriculum()[:5]:
        with pytest.raises(ItemFailed, match="simulated failure") as caught:
            await provider.write_guideline(topic)
        assert "\n" not in str(caught.value)


async def test_failures_are_the_same_items_for_the_same_seed() -> None:
    async def failed(provider: SimulatorProvider) -> set[str]:
        slugs = set()
        for topic in load_curriculum():
            try:
                await provider.write_guideline(topic)
            except ItemFailed:
                slugs.add(topic.slug)
        return slugs

    first = await failed(SimulatorProvider(failure_rate=0.5, failure_seed="a"))
    again = await failed(SimulatorProvider(failure_rate=0.5, failure_seed="a"))
    other = await failed(SimulatorProvider(failure_rate=0.5, failure_seed="b"))

    assert first == again
    assert first != other
    assert 0 < len(first) < len(load_curriculum())


async def test_latency_is_waited() -> None:
    provider = SimulatorProvider(latency=0.2)
    started = time.monotonic()

    await provider.write_guideline(TOPIC)

    assert time.monotonic() - started >= 0.2


async def test_translation_keeps_structure_tags_language_and_sets_source_hash() -> None:
    provider = SimulatorProvider()
    source: Guideline = await provider.write_guideline(TOPIC)

    translated = await provider.translate(source, GERMAN)

    assert translated.key == ("heat-stroke", "de")
    assert translated.source_hash == content_hash(source)
    assert translated.provenance.simulated
    assert len(translated.content.steps) == len(source.content.steps)
    assert len(translated.content.dont) == len(source.content.dont)
    for text in texts(translated.content.model_dump()):
        assert text.startswith("[de] ") and "simulated" in text.lower(), text
