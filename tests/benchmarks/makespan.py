"""Makespan of the full workload against the rate-limit bound and the old tool.

The real Gemini provider code path (google-genai over loopback) talks to the
fake Gemini server, whose latency models the real API: 4.5 s a guideline and
2 s a translation, each uniformly jittered by +-25 %, all scaled down by
SCALE, with the rate window scaled the same way, so every ratio holds.

What does not shrink with the scale is magnified by it: the SDK's CPU time
per call, opening connections, and the rate limiter's 1 s guard. At 0.2 they
made our translation 16 % slower than at 0.5 (89.8 s against 77.6 s), so 0.5
is the default.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from pathlib import Path
from typing import Any

from core.knowledge import Guideline, load_curriculum, load_languages
from core.llm.gemini import GeminiProvider
from core.settings import Settings
from core.store.sqlite import SQLiteStore
from tests.benchmarks.harness import bench_dir, enqueue, start_worker, wait_finished
from tests.fake_gemini import Received, running_fake_gemini

GUIDELINE_SECONDS = 4.5
TRANSLATION_SECONDS = 2.0
JITTER = 0.25
OLD_BATCH = 5


def latency_model(scale: float, seed: int = 7) -> Any:
    """Seconds the fake server waits before answering one request."""
    rng = random.Random(seed)

    def delay(request: Received) -> float:
        text = str(request.body)
        base = TRANSLATION_SECONDS if "Translate" in text else GUIDELINE_SECONDS
        return base * scale * rng.uniform(1 - JITTER, 1 + JITTER)

    return delay


def bound(calls: int, rpm: int, concurrency: int, latency: float) -> float:
    """max(N x 60 / RPM, ceil(N / C) x L), the issue's bound.

    It takes the request limit as a steady rate. A limit over a sliding
    minute also admits a minute's worth at once when the minute is empty, so
    a job of more than one minute's requests can finish a little under it;
    `busiest_window` shows the server never saw more than the limit.
    """
    return max(calls * 60 / rpm, math.ceil(calls / concurrency) * latency)


def run(root: Path, scale: float) -> dict[str, Any]:
    """Both jobs on defaults and the old strategy; seconds as on the real API.

    Both run at the same scale: a fixed cost per call (the SDK's own CPU time)
    is magnified by 1 / scale alike on both sides.
    """
    settings = Settings()
    topics = len(load_curriculum())
    pairs = topics * len(load_languages())
    with running_fake_gemini(latency_model(scale)) as fake:
        ours = _ours(root, _environment(fake.base_url, scale))
        busiest = busiest_window(fake.times(), 60 * scale)
    with running_fake_gemini(latency_model(scale)) as fake:
        old = _old_tool(fake.base_url)
    rpm = settings.requests_per_minute
    bounds = {
        "train": bound(topics, rpm, settings.train_concurrency, GUIDELINE_SECONDS),
        "translate": bound(
            pairs, rpm, settings.translate_concurrency, TRANSLATION_SECONDS
        ),
    }
    real = {kind: seconds / scale for kind, seconds in ours.items()}
    old_real = {kind: seconds / scale for kind, seconds in old.items()}
    return {
        "scale": scale,
        "requests_per_minute": rpm,
        "concurrency": {
            "train": settings.train_concurrency,
            "translate": settings.translate_concurrency,
        },
        "calls": {"train": topics, "translate": pairs},
        "seconds": real,
        "bound_seconds": bounds,
        "ratio_to_bound": {kind: real[kind] / bounds[kind] for kind in real},
        "old_tool_seconds": old_real,
        "speedup": sum(old_real.values()) / sum(real.values()),
        "busiest_minute_requests": busiest,
    }


def busiest_window(arrivals: list[float], window: float) -> int:
    """The most requests the server received within any `window` seconds."""
    times = sorted(arrivals)
    busiest = first = 0
    for last, at in enumerate(times):
        while at - times[first] >= window:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


def _environment(base_url: str, scale: float) -> dict[str, str]:
    return {
        "GEMINI_API_KEY": "AIza-benchmark",
        "GOOGLE_GEMINI_BASE_URL": base_url,
        "MEDKB_RATE_WINDOW_SECONDS": str(60 * scale),
        "MEDKB_TASK_MODULES": "",
    }


def _ours(root: Path, env: dict[str, str]) -> dict[str, float]:
    """Both jobs through a real worker on defaults, enqueue to finish."""
    with bench_dir(root, "makespan", **env) as bench:
        start_worker(bench)
        seconds = {}
        with SQLiteStore(bench.store_path) as store:
            for kind in ("train", "translate"):
                job = enqueue(store, kind, provider="gemini")
                done = wait_finished(store, job.id)
                assert done.finished_at is not None
                seconds[kind] = (done.finished_at - job.created_at).total_seconds()
                assert done.result is not None and done.result["failed"] == 0
        return seconds


def _old_tool(base_url: str) -> dict[str, float]:
    """The replaced tool's strategy: one topic at a time, then batches of 5."""
    return asyncio.run(_old_tool_async(base_url))


async def _old_tool_async(base_url: str) -> dict[str, float]:
    provider = GeminiProvider(
        "AIza-benchmark", "gemini-flash-latest", base_url=base_url
    )
    started = time.monotonic()
    english: list[Guideline] = []
    for topic in load_curriculum():
        english.append(await provider.write_guideline(topic))
    trained = time.monotonic()
    pairs = [(g, lang) for lang in load_languages() for g in english]
    for first in range(0, len(pairs), OLD_BATCH):
        batch = pairs[first : first + OLD_BATCH]
        await asyncio.gather(*(provider.translate(g, lang) for g, lang in batch))
    finished = time.monotonic()
    await provider.aclose()
    return {"train": trained - started, "translate": finished - trained}
