"""RateLimiter: limits that hold across processes sharing one file."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import pickle
import time
from pathlib import Path

import pytest

from core.llm.limits import RateLimiter

# Each process stamps a grant a moment after the limiter made it; a grant
# stamped late can make two grants look closer than they were by that moment.
STAMP_SLACK = 0.05


def hammer(limiter: RateLimiter, seconds: float, tokens: int) -> list[float]:
    """Acquire as fast as the limiter allows for a while; the grant times."""

    async def run() -> list[float]:
        granted: list[float] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await limiter.acquire(tokens)
            granted.append(time.monotonic())
        return granted

    return asyncio.run(run())


def in_three_processes(
    limiter: RateLimiter, seconds: float, tokens: int
) -> list[float]:
    """Every grant the three spawned processes got, in time order."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        results = pool.starmap(hammer, [(limiter, seconds, tokens)] * 3)
    return sorted(at for granted in results for at in granted)


def busiest_window(times: list[float], window: float) -> int:
    """The most grants that fall in any window of this length."""
    return max(
        sum(1 for later in times[index:] if later - start < window)
        for index, start in enumerate(times)
    )


def test_processes_sharing_a_file_never_exceed_the_request_limit(
    tmp_path: Path,
) -> None:
    limiter = RateLimiter(tmp_path / "limits-w1", 5, 1_000_000, window_seconds=1.0)

    granted = in_three_processes(limiter, seconds=2.5, tokens=0)

    assert busiest_window(granted, 1.0 - STAMP_SLACK) <= 5
    assert len(granted) >= 10


def test_processes_sharing_a_file_never_exceed_the_token_limit(
    tmp_path: Path,
) -> None:
    limiter = RateLimiter(tmp_path / "limits-w2", 1000, 100, window_seconds=1.0)

    granted = in_three_processes(limiter, seconds=2.0, tokens=30)

    # 30 tokens each: at most three grants (90 tokens) fit in a window of 100.
    assert busiest_window(granted, 1.0 - STAMP_SLACK) <= 3
    assert len(granted) >= 6


async def test_request_above_the_token_limit_waits_for_an_empty_window(
    tmp_path: Path,
) -> None:
    limiter = RateLimiter(tmp_path / "limits", 100, 100, window_seconds=0.3)

    await asyncio.wait_for(limiter.acquire(500), timeout=1)
    started = time.monotonic()
    await asyncio.wait_for(limiter.acquire(500), timeout=1)

    assert time.monotonic() - started >= 0.3 - 0.01


async def test_requests_within_the_limits_pass_at_once(tmp_path: Path) -> None:
    limiter = RateLimiter(tmp_path / "limits", 10, 1000, window_seconds=5.0)
    started = time.monotonic()

    for _ in range(10):
        await limiter.acquire(100)

    assert time.monotonic() - started < 0.5


async def test_state_file_stays_small(tmp_path: Path) -> None:
    limiter = RateLimiter(tmp_path / "limits", 20, 1_000_000, window_seconds=0.05)

    for _ in range(200):
        await limiter.acquire(12345)

    # Only the grants of the last window are kept: 20 at most, not 200.
    assert (tmp_path / "limits").stat().st_size < 20 * 60


async def test_unreadable_state_file_is_started_afresh(tmp_path: Path) -> None:
    (tmp_path / "limits").write_text("{not json")
    limiter = RateLimiter(tmp_path / "limits", 2, 1000, window_seconds=5.0)

    await asyncio.wait_for(limiter.acquire(), timeout=1)


def test_limiter_pickles_as_path_and_numbers(tmp_path: Path) -> None:
    limiter = RateLimiter(tmp_path / "limits", 7, 70, window_seconds=3.0)

    copy = pickle.loads(pickle.dumps(limiter))

    assert repr(copy) == repr(limiter)


async def test_a_long_wait_is_reported_once_with_the_limit_that_holds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RateLimiter(tmp_path / "limits", 2, 1_000_000, window_seconds=1.5)
    caplog.set_level(logging.INFO, logger="core.llm.limits")

    await asyncio.gather(*(limiter.acquire() for _ in range(4)))

    reports = [r.getMessage() for r in caplog.records]
    assert reports == [
        "Reached the limit of 2 requests per 1.5 s; the next request goes in 2 s"
    ]


async def test_a_wait_for_tokens_names_the_token_limit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RateLimiter(tmp_path / "limits", 100, 1000, window_seconds=1.2)
    caplog.set_level(logging.INFO, logger="core.llm.limits")

    await limiter.acquire(800)
    await limiter.acquire(800)

    (report,) = [r.getMessage() for r in caplog.records]
    assert report.startswith("Reached the limit of 1,000 tokens per 1.2 s")


async def test_short_waits_are_not_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RateLimiter(tmp_path / "limits", 1, 1_000_000, window_seconds=0.3)
    caplog.set_level(logging.INFO, logger="core.llm.limits")

    await asyncio.gather(*(limiter.acquire() for _ in range(3)))

    assert caplog.records == []


async def test_a_grant_cut_short_while_writing_leaves_the_log_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if the process died while writing: the grants before it still count."""
    limiter = RateLimiter(tmp_path / "limits", 2, 1_000_000, window_seconds=30)
    await limiter.acquire()

    def killed(fd: int, data: bytes) -> int:
        raise OSError("killed while writing")

    with monkeypatch.context() as patched:
        patched.setattr("core.llm.limits.os.write", killed)
        with pytest.raises(OSError):
            await limiter.acquire()

    await limiter.acquire()  # the second of two
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(limiter.acquire(), 0.5)
