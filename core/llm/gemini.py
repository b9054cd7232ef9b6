"""Gemini through google-genai: structured guidelines, with our own retries.

The SDK's own retries are switched off: it cannot honour the delay a 429
carries, cannot retry an answer that does not parse, and would hide retries
from the rate limiter. Each attempt here takes a rate-limit slot first.

Known shortcoming: the SDK sends requests through httpx2 unless aiohttp is
installed, in which case it switches to aiohttp on its own. medkb does not
depend on aiohttp; were it installed, its timeouts would still be retried but
its connection errors would escape unretried, as unexpected exceptions.
"""

from __future__ import annotations

import asyncio
import copy
import email.utils
import json
import logging
import random
import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

import httpx2
import pydantic
from google import genai
from google.genai import errors, types

from core.knowledge import (
    SOURCE_LANGUAGE,
    Guideline,
    GuidelineContent,
    Language,
    Provenance,
    Topic,
    content_hash,
    load_prompt,
)
from core.llm.limits import RateLimiter
from core.llm.provider import ItemFailed, Provider
from core.settings import Settings, scrub

logger = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
SAFETY_FINISH = frozenset(
    {
        types.FinishReason.SAFETY,
        types.FinishReason.PROHIBITED_CONTENT,
        types.FinishReason.BLOCKLIST,
        types.FinishReason.SPII,
    }
)
# Timeouts (ours or httpx2's), dropped or refused connections, garbled HTTP.
TRANSPORT_ERRORS = (
    TimeoutError,
    httpx2.TimeoutException,
    httpx2.NetworkError,
    httpx2.RemoteProtocolError,
)
# A 200 whose body is not the JSON the SDK expects.
UNREADABLE_ERRORS = (
    errors.UnknownApiResponseError,
    json.JSONDecodeError,
    pydantic.ValidationError,
)
MESSAGE_LIMIT = 200
# About four characters of English to a token, as Google's docs put it.
CHARS_PER_TOKEN = 4


class Usage(NamedTuple):
    """Tokens one answer cost, from its usage metadata."""

    tokens_in: int
    tokens_out: int
    model_version: str | None


class _Retry(Exception):
    """One attempt failed in a way another attempt may fix."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class GeminiProvider(Provider):
    """Guidelines written and translated by a Gemini model."""

    name = "gemini"

    def __init__(
        self,
        api_key: str,
        model: str,
        *,
        request_timeout: float = 60.0,
        max_retries: int = 6,
        limiter: RateLimiter | None = None,
        base_url: str | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        max_retry_delay: float = 120.0,
    ) -> None:
        self.model = model
        self._secrets = [api_key]
        self._timeout = request_timeout
        self._attempts = max_retries + 1
        self._limiter = limiter
        self._backoff = (backoff_base, backoff_cap)
        self._max_retry_delay = max_retry_delay

        # base_url None lets the SDK read GOOGLE_GEMINI_BASE_URL itself.
        options = types.HttpOptions(
            base_url=base_url or None,
            timeout=max(1, round(request_timeout * 1000)),
            retry_options=types.HttpRetryOptions(attempts=1),
        )
        self._client = genai.Client(
            vertexai=False, api_key=api_key, http_options=options
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        api_key: str,
        model: str | None = None,
        limiter: RateLimiter | None = None,
    ) -> GeminiProvider:
        return cls(
            api_key,
            model or settings.model,
            request_timeout=settings.request_timeout,
            max_retries=settings.max_retries,
            limiter=limiter,
        )

    def __repr__(self) -> str:
        return f"GeminiProvider(model={self.model!r})"

    async def write_guideline(self, topic: Topic) -> Guideline:
        prompt = load_prompt("guideline").substitute(
            title=topic.title, category=topic.category, scope=topic.scope
        )
        content, usage = await self._generate(prompt, topic.slug)
        return Guideline(
            topic=topic.slug,
            language=SOURCE_LANGUAGE,
            content=content,
            provenance=self._provenance(usage),
        )

    async def translate(self, source: Guideline, language: Language) -> Guideline:
        source_json = source.content.model_dump_json(indent=2)
        prompt = load_prompt("translate").substitute(
            language_name=language.name,
            native_name=language.native_name,
            guideline_json=source_json,
        )
        item = f"{source.topic} ({language.code})"
        content, usage = await self._generate(prompt, item)
        return Guideline(
            topic=source.topic,
            language=language.code,
            content=content,
            provenance=self._provenance(usage),
            source_hash=content_hash(source),
        )

    async def aclose(self) -> None:
        await self._client.aio.aclose()
        self._client.close()

    def _provenance(self, usage: Usage) -> Provenance:
        return Provenance(
            provider=self.name,
            model=usage.model_version or self.model,
            generated_at=datetime.now(UTC),
            tokens_in=usage.tokens_in,
            tokens_out=usage.tokens_out,
        )

    async def _generate(self, prompt: str, item: str) -> tuple[GuidelineContent, Usage]:
        """The parsed answer, retrying what a retry may fix."""
        for attempt in range(1, self._attempts + 1):
            try:
                return await self._attempt(prompt)
            except _Retry as retry:
                if attempt == self._attempts:
                    raise ItemFailed(
                        f"{retry.reason} (gave up after {attempt} attempts)"
                    ) from None
                delay = self._delay(retry, attempt)
                logger.warning(
                    "%s: %s; attempt %d of %d, retrying in %.2f s",
                    item, retry.reason, attempt, self._attempts, delay,
                )  # fmt: skip
                await asyncio.sleep(delay)
        raise AssertionError("the retry loop always returns or raises")

    async def _attempt(self, prompt: str) -> tuple[GuidelineContent, Usage]:
        """One request: a rate-limit slot, the call, the answer checked."""
        if self._limiter is not None:
            await self._limiter.acquire(_input_tokens(prompt))

        try:
            # httpx2's timeout bounds each read; this bounds the whole request.
            async with asyncio.timeout(self._timeout):
                response = await self._client.aio.models.generate_content(
                    model=self.model, contents=prompt, config=_config()
                )
        except errors.APIError as error:
            raise self._api_failure(error) from None
        except TRANSPORT_ERRORS as error:
            raise _Retry(self._transport_reason(error)) from None
        except UNREADABLE_ERRORS:
            raise _Retry("Gemini's answer could not be read") from None
        return _read_answer(response)

    def _api_failure(self, error: errors.APIError) -> Exception:
        """A _Retry for a status worth retrying, else the ItemFailed it means."""
        detail = f"({error.code} {error.status or 'error'})"
        message = _one_line(scrub(str(error.message or ""), self._secrets))
        described = f"{detail}: {message}" if message else detail

        if error.code == 429:
            delay = _server_delay(error)
            return _Retry(f"Gemini is rate limiting {described}", delay)
        if error.code in RETRYABLE_STATUS:
            return _Retry(f"Gemini failed {described}")
        if error.code == 400:
            return ItemFailed(f"Gemini rejected the request as invalid {described}")
        if error.code == 401:
            return ItemFailed(
                f"Gemini did not accept the API key {described}; check "
                "GEMINI_API_KEY or GOOGLE_API_KEY"
            )
        if error.code == 403:
            return ItemFailed(f"Gemini refused the request {described}")
        return ItemFailed(f"Gemini could not serve the request {described}")

    def _transport_reason(self, error: Exception) -> str:
        if isinstance(error, TimeoutError | httpx2.TimeoutException):
            return f"Gemini did not answer within {self._timeout:g} s"
        text = _one_line(scrub(str(error), self._secrets)) or type(error).__name__
        return f"could not reach Gemini: {text}"

    def _delay(self, retry: _Retry, attempt: int) -> float:
        """The server's delay if it gave one, else exponential backoff with jitter."""
        if retry.delay is not None:
            return min(retry.delay, self._max_retry_delay) * random.uniform(1.0, 1.1)
        base, cap = self._backoff
        ceiling = min(cap, base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


# The SDK would rebuild this from the class on every request (a sizeable share
# of a child's CPU at hundreds of requests a second); it changes the dict it
# is given, hence the copy per request.
_SCHEMA = GuidelineContent.model_json_schema()


def _config() -> types.GenerateContentConfig:
    """Structured JSON in GuidelineContent's shape; no tools, so no function calls.

    The SDK's automatic continuation stays on: should Gemini split a long
    answer, the SDK fetches the rest in further requests that the rate
    limiter does not see.
    """
    return types.GenerateContentConfig(
        response_mime_type="application/json",
        response_schema=copy.deepcopy(_SCHEMA),
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )


def _read_answer(
    response: types.GenerateContentResponse,
) -> tuple[GuidelineContent, Usage]:
    """The guideline in an answer, ItemFailed if blocked, _Retry if unreadable."""
    refusal = _safety_refusal(response)
    if refusal is not None:
        raise ItemFailed(refusal)

    parsed = _content(response.parsed)
    if parsed is None:
        finish = _enum_text(_first_finish_reason(response))
        raise _Retry(
            f"Gemini's answer was not a valid guideline (finish reason {finish})"
        )
    return parsed, _usage(response)


def _content(parsed: object) -> GuidelineContent | None:
    """The answer's JSON as a guideline, or None when it is not one."""
    if parsed is None:
        return None
    try:
        return GuidelineContent.model_validate(parsed)
    except pydantic.ValidationError:
        return None


def _safety_refusal(response: types.GenerateContentResponse) -> str | None:
    """Why Gemini refused to answer, or None when it answered."""
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        reason = _enum_text(feedback.block_reason)
        return f"Gemini blocked the request for safety (block reason {reason})"
    if not response.candidates:
        return "Gemini returned no answer and gave no reason (no candidates)"

    finish = response.candidates[0].finish_reason
    if finish in SAFETY_FINISH:
        reason = _enum_text(finish)
        return f"Gemini stopped its answer for safety (finish reason {reason})"
    return None


def _first_finish_reason(response: types.GenerateContentResponse) -> object:
    return response.candidates[0].finish_reason if response.candidates else None


def _usage(response: types.GenerateContentResponse) -> Usage:
    """Tokens in and out; thinking tokens are billed as output, so they count."""
    meta = response.usage_metadata
    if meta is None:
        return Usage(0, 0, response.model_version)
    tokens_out = (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0)
    return Usage(meta.prompt_token_count or 0, tokens_out, response.model_version)


def _server_delay(error: errors.APIError) -> float | None:
    """The wait a 429 asks for: RetryInfo's retryDelay or Retry-After, if any."""
    headers = getattr(error.response, "headers", None)
    retry_after = headers.get("retry-after") if headers is not None else None
    delays = [
        delay
        for delay in (_retry_info_delay(error.details), _retry_after(retry_after))
        if delay is not None
    ]
    return max(delays) if delays else None


def _retry_info_delay(body: Any) -> float | None:
    """retryDelay of the google.rpc.RetryInfo in a Google error body."""
    error = body.get("error", body) if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    for detail in details if isinstance(details, list) else []:
        if not isinstance(detail, dict):
            continue
        if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            return _duration(detail.get("retryDelay"))
    return None


def _duration(value: Any) -> float | None:
    """Seconds of a protobuf Duration in JSON: "2s", "0.5s" or seconds+nanos."""
    try:
        if isinstance(value, str) and value.endswith("s"):
            return max(0.0, float(value[:-1]))
        if isinstance(value, dict):
            seconds = (
                float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9
            )
            return max(0.0, seconds)
    except (TypeError, ValueError):
        pass
    return None


def _retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for, given as seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _one_line(text: str) -> str:
    """Text from outside as one short line without control characters."""
    line = re.sub(r"[\x00-\x1f\x7f-\x9f\s]+", " ", text).strip()
    if len(line) > MESSAGE_LIMIT:
        line = line[: MESSAGE_LIMIT - 3].rstrip() + "..."
    return line


def _enum_text(value: object) -> str:
    return str(getattr(value, "value", value))


def _input_tokens(prompt: str) -> int:
    """What one request counts against the token limit, estimated.

    Gemini's tokens-per-minute limit counts input tokens only, so the answer's
    length plays no part. The prompts are English, and so is the JSON they
    carry, at about four characters a token.
    """
    return len(prompt) // CHARS_PER_TOKEN + 1
