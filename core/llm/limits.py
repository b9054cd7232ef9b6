"""Request and token limits shared by every process of one worker.

The limiter keeps a log of the requests granted in the last window (their
start times and token estimates) in a small file. A process holds `flock` on
a lock file beside it while it reads the log and writes the next one. The
kernel drops that lock when its holder dies, so a killed child never leaves
the others waiting; and the next log is written aside and renamed into
place, so a child killed while writing leaves the last log whole.

A request is granted only when fewer than `requests_per_minute` requests
and, with its tokens, no more than `tokens_per_minute` tokens fall in the
window ending now; so no window of that length, wherever it starts, ever
holds more than the limits.

Known shortcomings, said plainly:
- Times come from `time.monotonic()`, which Linux shares between processes;
  the file only serves processes of one machine.
- Waiting processes are not served in order: under heavy contention one may
  be passed over several times before it gets a slot.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import time
from array import array
from bisect import bisect_right
from pathlib import Path

logger = logging.getLogger(__name__)

# Waking a little after an entry leaves the window avoids a wasted round
# when the float arithmetic lands exactly on the boundary.
WAKE_MARGIN = 0.002
GUARD_SECONDS = 1.0
# A wait this long or longer is reported in the job's log.
REPORT_WAIT = 1.0


class RateLimiter:
    """Requests-per-minute and tokens-per-minute limits kept in one file.

    Picklable: it holds only the path and the numbers and opens the file
    anew on each use, so each child process can use its own copy.
    """

    def __init__(
        self,
        path: Path | str,
        requests_per_minute: int,
        tokens_per_minute: int,
        window_seconds: float = 60.0,
    ) -> None:
        if requests_per_minute < 1 or tokens_per_minute < 1 or window_seconds <= 0:
            raise ValueError("rate limits and the window must be positive")
        self.path = Path(path)
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self.window_seconds = window_seconds
        # A request reaches the server a little after its grant, and not always
        # equally late: a burst of grants on fresh connections arrived up to
        # 0.45 s late on loopback, against a few ms on open ones. Holding each
        # grant a second longer than the window keeps the count the server
        # sees within the limit too.
        self.guard_seconds = min(GUARD_SECONDS, 0.1 * window_seconds)
        self._gate: asyncio.Lock | None = None
        self._quiet_until = 0.0

    def __repr__(self) -> str:
        return (
            f"RateLimiter({str(self.path)!r}, rpm={self.requests_per_minute}, "
            f"tpm={self.tokens_per_minute}, window={self.window_seconds})"
        )

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_gate": None}

    async def acquire(self, tokens: int = 0) -> None:
        """Wait until one more request with `tokens` tokens fits the limits.

        A request estimated above the whole token limit is counted as the
        limit itself, so it waits for an empty window rather than forever.
        Within a process, callers queue on a lock, so one of them at a time
        reads the file and they are served in order.
        """
        tokens = min(max(tokens, 0), self.tokens_per_minute)
        if self._gate is None:
            self._gate = asyncio.Lock()
        async with self._gate:
            while True:
                wait, limit = self._try_grant(tokens)
                if wait <= 0:
                    return
                self._report(wait, limit)
                await asyncio.sleep(wait)

    def _report(self, wait: float, limit: str) -> None:
        """Say so when a wait is long enough for a user to wonder, once."""
        now = time.monotonic()
        if wait < REPORT_WAIT or now < self._quiet_until:
            return
        self._quiet_until = now + wait
        count = (
            self.requests_per_minute if limit == "requests" else self.tokens_per_minute
        )
        per = (
            "a minute"
            if self.window_seconds == 60
            else f"per {self.window_seconds:g} s"
        )
        logger.info(
            "Reached the limit of %s %s %s; the next request goes in %.0f s",
            f"{count:,}", limit, per, wait,
        )  # fmt: skip

    def _try_grant(self, tokens: int) -> tuple[float, str]:
        """Record a grant and return 0, or how long to wait and which limit."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        lock = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            now = time.monotonic()
            times, counts = self._current(*_read_log(self.path), now)
            wait, limit = self._wait_needed(times, counts, tokens, now)
            if wait <= 0:
                times.append(now)
                counts.append(tokens)
                _write_log(self.path, times, counts)
            return wait, limit
        finally:
            os.close(lock)  # closing the file releases the lock

    def _current(
        self, times: array[float], counts: array[float], now: float
    ) -> tuple[array[float], array[float]]:
        """The grants inside the window ending now, oldest first.

        Grants stamped in the future come from before a reboot (the
        monotonic clock restarts): then the log starts afresh.
        """
        if times and times[-1] > now:
            return array("d"), array("d")
        first = bisect_right(times, now - self.window_seconds - self.guard_seconds)
        return times[first:], counts[first:]

    def _wait_needed(
        self, times: array[float], counts: array[float], tokens: int, now: float
    ) -> tuple[float, str]:
        """Seconds until the request fits (0 if it fits now), and which limit."""
        wait = 0.0
        excess = len(times) + 1 - self.requests_per_minute
        if excess > 0:
            wait = self._until_expired(times[excess - 1], now)

        token_wait = 0.0
        surplus = sum(counts) + tokens - self.tokens_per_minute
        for at, count in zip(times, counts, strict=True):
            if surplus <= 0:
                break
            surplus -= count
            token_wait = self._until_expired(at, now)
        if token_wait > wait:
            return token_wait, "tokens"
        return wait, "requests"

    def _until_expired(self, at: float, now: float) -> float:
        return at + self.window_seconds + self.guard_seconds - now + WAKE_MARGIN


def _read_log(path: Path) -> tuple[array[float], array[float]]:
    """Grant times and token counts, stored as interleaved float64 pairs."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raw = b""
    pairs = array("d")
    pairs.frombytes(raw[: len(raw) // 16 * 16])
    return pairs[0::2], pairs[1::2]


def _write_log(path: Path, times: array[float], counts: array[float]) -> None:
    """The next log, written aside and then put in place in one step."""
    pairs = array("d", bytes(16 * len(times)))
    pairs[0::2] = times
    pairs[1::2] = counts
    aside = path.with_name(path.name + ".next")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        data = memoryview(pairs.tobytes())
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)
    os.replace(aside, path)
