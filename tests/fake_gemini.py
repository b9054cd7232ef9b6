"""A local stand-in for the Gemini API, for tests that drive the real SDK.

It answers `POST /<version>/models/<model>:generateContent` on 127.0.0.1 with
a script of replies (a good guideline when the script runs out) and records
every request it receives, with the monotonic time it arrived.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from core.knowledge import GuidelineContent, SpecialGroup, Step

PATH = re.compile(r"^/(v1|v1beta)/models/(?P<model>[^/:]+):generateContent$")


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status, a JSON (dict) or raw (str) body, a delay."""

    status: int = 200
    body: dict[str, Any] | str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    at: float
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


def sample_content(title: str = "Heat Stroke") -> GuidelineContent:
    """A small but complete guideline, as a model might write it."""
    return GuidelineContent(
        title=title,
        summary="Heat stroke is a life-threatening rise in body temperature.",
        call_emergency_when=["The person is confused or unconscious."],
        steps=[
            Step(instruction="Call your local emergency number.", detail=""),
            Step(instruction="Move the person somewhere cool.", detail="Shade."),
            Step(instruction="Cool them with water.", detail="Fan them too."),
            Step(instruction="Stay with them.", detail=""),
        ],
        do=["Give sips of cool water if they are alert."],
        dont=["Do not give alcohol."],
        warning_signs=["Seizures."],
        special_groups=[SpecialGroup(group="Infants", advice="Get help at once.")],
    )


def answer(
    text: str,
    finish_reason: str = "STOP",
    prompt_tokens: int = 321,
    output_tokens: int = 654,
) -> Reply:
    """A 200 answer whose first candidate holds `text`."""
    return Reply(
        body={
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "finishReason": finish_reason,
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": output_tokens,
                "totalTokenCount": prompt_tokens + output_tokens,
            },
        }
    )


def guideline_answer(
    content: GuidelineContent | None = None,
    prompt_tokens: int = 321,
    output_tokens: int = 654,
) -> Reply:
    """A 200 answer holding a guideline as structured JSON."""
    text = (content or sample_content()).model_dump_json()
    return answer(text, prompt_tokens=prompt_tokens, output_tokens=output_tokens)


def error_reply(
    code: int,
    status: str,
    message: str = "scripted error",
    retry_delay: str | None = None,
    retry_after: str | None = None,
) -> Reply:
    """A Google-style error, optionally with a RetryInfo and a Retry-After."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if retry_delay is not None:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": retry_delay,
            }
        ]
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Reply(status=code, body={"error": error}, headers=headers)


def slow_reply(delay: float) -> Reply:
    """A good answer that starts only after `delay` seconds."""
    return Reply(body=guideline_answer().body, delay=delay)


def blocked_prompt(reason: str = "SAFETY") -> Reply:
    """The prompt itself was blocked: no candidates, a block reason."""
    return Reply(
        body={
            "promptFeedback": {"blockReason": reason},
            "usageMetadata": {"promptTokenCount": 100, "totalTokenCount": 100},
        }
    )


class FakeGemini:
    """The fake server; `script()` queues replies, `received` lists requests."""

    def __init__(self, delay_for: Callable[[Received], float] | None = None) -> None:
        self._delay_for = delay_for
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def times(self) -> list[float]:
        """When each request arrived, in seconds of time.monotonic()."""
        with self._lock:
            return [request.at for request in self.received]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _take(self, request: Received, scripted: bool) -> Reply:
        """Record a request; the next scripted reply if its path is right."""
        with self._lock:
            self.received.append(request)
            if not scripted:
                return error_reply(404, "NOT_FOUND", f"no route {request.path}")
            if self._replies:
                return self._replies.popleft()
        if self._delay_for is None:
            return _DEFAULT_ANSWER
        return replace(_DEFAULT_ANSWER, delay=self._delay_for(request))


_DEFAULT_ANSWER = guideline_answer()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many clients connect at once


def _handler_for(fake: FakeGemini) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep connections alive, as Google does

        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            request = Received(
                at=time.monotonic(),
                path=self.path,
                body=json.loads(raw) if raw else {},
                headers=dict(self.headers.items()),
            )
            match = PATH.match(self.path)
            reply = fake._take(request, scripted=match is not None)
            time.sleep(reply.delay)
            self._send(reply, match["model"] if match else "")

        def _send(self, reply: Reply, model: str) -> None:
            body = reply.body
            if isinstance(body, dict) and reply.status == 200:
                body = {**body, "modelVersion": model}
            data = (json.dumps(body) if isinstance(body, dict) else body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, as a timeout test wants

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return None

    return Handler


@contextmanager
def running_fake_gemini(
    delay_for: Callable[[Received], float] | None = None,
) -> Iterator[FakeGemini]:
    """A started fake server, stopped on exit; delay_for models its latency."""
    fake = FakeGemini(delay_for)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
