"""GeminiProvider against a local fake Gemini server, through the real SDK."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.knowledge import Guideline, Language, Provenance, Topic, content_hash
from core.llm.gemini import GeminiProvider
from core.llm.limits import RateLimiter
from core.llm.provider import ItemFailed
from tests.fake_gemini import (
    FakeGemini,
    Reply,
    answer,
    blocked_prompt,
    error_reply,
    guideline_answer,
    running_fake_gemini,
    sample_content,
    slow_reply,
)

API_KEY = "AIza-test-secret-123"
MODEL = "gemini-test"
TOPIC = Topic(
    slug="heat-stroke",
    title="Heat Stroke",
    category="Environmental emergencies",
    scope="Recognising heat stroke and cooling the person.",
)
GERMAN = Language(code="de", name="German", native_name="Deutsch")
SDK_ENVIRONMENT = (
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
)


@pytest.fixture
def fake_gemini(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    """A fresh fake server; the SDK's own environment switches are cleared."""
    for name in SDK_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    with running_fake_gemini() as fake:
        yield fake


def provider_for(fake: FakeGemini, **options: Any) -> GeminiProvider:
    """A provider aimed at the fake, with tiny backoff so retries are quick."""
    settings: dict[str, Any] = {
        "base_url": fake.base_url,
        "request_timeout": 2.0,
        "max_retries": 3,
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
    }
    return GeminiProvider(API_KEY, MODEL, **(settings | options))


@pytest.fixture
async def gemini(fake_gemini: FakeGemini) -> AsyncIterator[GeminiProvider]:
    provider = provider_for(fake_gemini)
    yield provider
    await provider.aclose()


async def failure_of(provider: GeminiProvider) -> str:
    """The message of the ItemFailed that writing the guideline raises."""
    with pytest.raises(ItemFailed) as caught:
        await provider.write_guideline(TOPIC)
    return str(caught.value)


def english_guideline() -> Guideline:
    return Guideline(
        topic=TOPIC.slug,
        language="en",
        content=sample_content(),
        provenance=Provenance(
            provider="gemini", model=MODEL, generated_at=datetime.now(UTC)
        ),
    )


async def test_structured_answer_becomes_a_guideline_with_token_counts(
    fake_gemini: FakeGemini, gemini: GeminiProvider
) -> None:
    fake_gemini.script(guideline_answer(prompt_tokens=111, output_tokens=222))

    guideline = await gemini.write_guideline(TOPIC)

    assert guideline.key == ("heat-stroke", "en")
    assert guideline.content == sample_content()
    made = guideline.provenance
    assert (made.provider, made.model, made.simulated) == ("gemini", MODEL, False)
    assert (made.tokens_in, made.tokens_out) == (111, 222)
    assert made.generated_at.tzinfo is not None
    assert abs((datetime.now(UTC) - made.generated_at).total_seconds()) < 10


async def test_request_asks_for_json_in_the_guideline_schema(
    fake_gemini: FakeGemini, gemini: GeminiProvider
) -> None:
    await gemini.write_guideline(TOPIC)

    (request,) = fake_gemini.received
    assert re.fullmatch(rf"/v1(beta)?/models/{MODEL}:generateContent", request.path)
    config = request.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert set(config["responseSchema"]["properties"]) >= {"title", "steps", "dont"}
    prompt = request.body["contents"][0]["parts"][0]["text"]
    assert TOPIC.title in prompt and TOPIC.scope in prompt
    assert "$" not in prompt


@pytest.mark.parametrize(
    "unreadable",
    [
        answer("Sorry, here is some prose instead of JSON."),
        answer('{"title": "only a title"}'),
        Reply(body="<html>proxy page</html>"),
    ],
    ids=["prose", "wrong-shape", "not-json-at-all"],
)
async def test_unreadable_answer_is_retried_until_a_good_one(
    fake_gemini: FakeGemini, gemini: GeminiProvider, unreadable: Reply
) -> None:
    fake_gemini.script(unreadable, guideline_answer())

    guideline = await gemini.write_guideline(TOPIC)

    assert guideline.content == sample_content()
    assert len(fake_gemini.received) == 2


@pytest.mark.parametrize(
    ("rate_limited", "delay"),
    [
        (error_reply(429, "RESOURCE_EXHAUSTED", "quota", retry_delay="1s"), 1.0),
        (error_reply(429, "RESOURCE_EXHAUSTED", "quota", retry_delay="0.5s"), 0.5),
        (error_reply(429, "RESOURCE_EXHAUSTED", "quota", retry_after="1"), 1.0),
    ],
    ids=["retry-info-1s", "retry-info-0.5s", "retry-after-header"],
)
async def test_rate_limited_request_waits_the_delay_the_error_carries(
    fake_gemini: FakeGemini, gemini: GeminiProvider, rate_limited: Reply, delay: float
) -> None:
    fake_gemini.script(rate_limited)

    await gemini.write_guideline(TOPIC)

    first, second = fake_gemini.times()
    assert second - first >= delay - 0.01


async def test_rate_limit_delay_is_capped(fake_gemini: FakeGemini) -> None:
    provider = provider_for(fake_gemini, max_retry_delay=0.2)
    fake_gemini.script(error_reply(429, "RESOURCE_EXHAUSTED", retry_delay="30s"))

    await provider.write_guideline(TOPIC)
    await provider.aclose()

    first, second = fake_gemini.times()
    assert 0.19 <= second - first < 2.0


async def test_server_errors_are_retried(
    fake_gemini: FakeGemini, gemini: GeminiProvider
) -> None:
    fake_gemini.script(
        error_reply(500, "INTERNAL"),
        error_reply(503, "UNAVAILABLE", "The model is overloaded."),
    )

    guideline = await gemini.write_guideline(TOPIC)

    assert guideline.content == sample_content()
    assert len(fake_gemini.received) == 3


async def test_retries_exhausted_fail_the_item_with_the_last_reason(
    fake_gemini: FakeGemini, gemini: GeminiProvider
) -> None:
    fake_gemini.script(*[error_reply(503, "UNAVAILABLE", "overloaded")] * 4)

    message = await failure_of(gemini)

    assert message == (
        "Gemini failed (503 UNAVAILABLE): overloaded (gave up after 4 attempts)"
    )
    assert len(fake_gemini.received) == 4


async def test_slow_answer_times_out_and_the_next_attempt_succeeds(
    fake_gemini: FakeGemini,
) -> None:
    provider = provider_for(fake_gemini, request_timeout=0.5)
    fake_gemini.script(slow_reply(1.5), guideline_answer())

    guideline = await provider.write_guideline(TOPIC)
    await provider.aclose()

    assert guideline.content == sample_content()
    assert len(fake_gemini.received) == 2


async def test_answers_that_keep_timing_out_fail_the_item(
    fake_gemini: FakeGemini,
) -> None:
    provider = provider_for(fake_gemini, request_timeout=0.5, max_retries=1)
    fake_gemini.script(slow_reply(1.5), slow_reply(1.5))
    started = time.monotonic()

    message = await failure_of(provider)
    await provider.aclose()

    assert "did not answer within 0.5 s" in message
    assert "gave up after 2 attempts" in message
    assert len(fake_gemini.received) == 2
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    ("code", "status", "says"),
    [
        (400, "INVALID_ARGUMENT", "rejected the request as invalid"),
        (401, "UNAUTHENTICATED", "did not accept the API key"),
        (403, "PERMISSION_DENIED", "refused the request"),
        (404, "NOT_FOUND", "could not serve the request"),
    ],
)
async def test_client_errors_fail_the_item_at_once(
    fake_gemini: FakeGemini,
    gemini: GeminiProvider,
    code: int,
    status: str,
    says: str,
) -> None:
    fake_gemini.script(error_reply(code, status, "Request\nnot allowed."))

    message = await failure_of(gemini)

    assert message.startswith(f"Gemini {says} ({code} {status}): ")
    assert "Request not allowed." in message and "\n" not in message
    assert len(fake_gemini.received) == 1


@pytest.mark.parametrize(
    ("refusal", "says"),
    [
        (blocked_prompt("SAFETY"), "block reason SAFETY"),
        (blocked_prompt("PROHIBITED_CONTENT"), "block reason PROHIBITED_CONTENT"),
        (answer("", finish_reason="SAFETY"), "finish reason SAFETY"),
        (answer("{}", finish_reason="BLOCKLIST"), "finish reason BLOCKLIST"),
        (Reply(body={"candidates": []}), "no candidates"),
    ],
    ids=["prompt-safety", "prompt-prohibited", "finish-safety", "blocklist", "empty"],
)
async def test_safety_block_fails_the_item_at_once(
    fake_gemini: FakeGemini, gemini: GeminiProvider, refusal: Reply, says: str
) -> None:
    fake_gemini.script(refusal)

    message = await failure_of(gemini)

    assert says in message
    assert len(fake_gemini.received) == 1


@pytest.mark.parametrize(
    "failure",
    [
        [error_reply(403, "PERMISSION_DENIED", f"key {API_KEY} is blocked")],
        [error_reply(400, "INVALID_ARGUMENT", f"API key not valid: {API_KEY}")],
        [error_reply(503, "UNAVAILABLE", f"busy ({API_KEY})")] * 4,
        [error_reply(429, "RESOURCE_EXHAUSTED", API_KEY, retry_delay="0s")] * 4,
    ],
    ids=["403", "400", "503-exhausted", "429-exhausted"],
)
async def test_api_key_never_appears_in_a_failure(
    fake_gemini: FakeGemini, gemini: GeminiProvider, failure: list[Reply]
) -> None:
    fake_gemini.script(*failure)

    message = await failure_of(gemini)

    assert API_KEY not in message
    assert "***" in message
    assert API_KEY not in repr(gemini)


async def test_translation_has_the_language_and_the_source_hash(
    fake_gemini: FakeGemini, gemini: GeminiProvider
) -> None:
    source = english_guideline()
    german = sample_content(title="Hitzschlag")
    fake_gemini.script(guideline_answer(german))

    translated = await gemini.translate(source, GERMAN)

    assert translated.key == ("heat-stroke", "de")
    assert translated.source_hash == content_hash(source)
    assert translated.content == german
    prompt = fake_gemini.received[0].body["contents"][0]["parts"][0]["text"]
    assert "German (Deutsch)" in prompt and '"Heat Stroke"' in prompt


async def test_base_url_may_come_from_the_sdk_environment_variable(
    fake_gemini: FakeGemini, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)
    provider = GeminiProvider(API_KEY, MODEL, request_timeout=2.0)

    await provider.write_guideline(TOPIC)
    await provider.aclose()

    assert len(fake_gemini.received) == 1


async def test_the_token_limit_counts_what_the_prompts_send(
    fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    """Gemini counts input tokens only: room for two prompts lets two through.

    The room is two prompts at four characters a token, plus a tenth.
    """
    source = english_guideline()
    await provider_for(fake_gemini).translate(source, GERMAN)
    sent = fake_gemini.received[0].body["contents"][0]["parts"][0]["text"]
    room = int(2 * len(sent) / 4 * 1.1)
    limiter = RateLimiter(tmp_path / "limits", 100, room, 60)
    provider = provider_for(fake_gemini, limiter=limiter)

    async with asyncio.timeout(10):
        await provider.translate(source, GERMAN)
        await provider.translate(source, GERMAN)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(provider.translate(source, GERMAN), 0.5)
    await provider.aclose()

    assert len(fake_gemini.received) == 3


async def test_every_attempt_takes_a_rate_limit_slot(
    fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    limiter = RateLimiter(tmp_path / "limits", 1, 1_000_000, window_seconds=0.5)
    provider = provider_for(fake_gemini, limiter=limiter)
    fake_gemini.script(error_reply(500, "INTERNAL"))

    await provider.write_guideline(TOPIC)
    await provider.aclose()

    first, second = fake_gemini.times()
    assert second - first >= 0.5 - 0.01
