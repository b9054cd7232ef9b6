"""Latencies: enqueue to running, cancel to cancelled, killed worker to resumed."""

from __future__ import annotations

import signal
import statistics
import time
from pathlib import Path
from typing import Any

from core.jobs import JobStatus
from core.settings import Settings
from core.store.sqlite import SQLiteStore
from tests.benchmarks.harness import (
    bench_dir,
    enqueue,
    start_worker,
    wait_finished,
    wait_status,
)
from tests.workers import wait_for

SAMPLES = 15


def run(root: Path, idle_seconds: float) -> dict[str, Any]:
    settings = Settings()
    with bench_dir(root, "latency") as bench:
        start_worker(bench)
        with SQLiteStore(bench.store_path) as store:
            fresh = _enqueue_to_running(store, SAMPLES)
            time.sleep(idle_seconds)  # the worker idles, as overnight
            idle = _enqueue_to_running(store, SAMPLES)
            cooperative = [_cancel(store, ignore_cancel=False) for _ in range(5)]
            forced = [_cancel(store, ignore_cancel=True) for _ in range(2)]
    with bench_dir(root, "resume") as bench:
        resumed = _killed_worker_resumed(bench)
    return {
        "enqueue_to_running_median_s": statistics.median(fresh),
        "enqueue_to_running_max_s": max(fresh),
        "idle_seconds_before": idle_seconds,
        "enqueue_to_running_after_idle_median_s": statistics.median(idle),
        "cooperative_cancel_median_s": statistics.median(cooperative),
        "cooperative_cancel_max_s": max(cooperative),
        "forced_cancel_max_s": max(forced),
        "cancel_grace_s": settings.cancel_grace,
        "killed_worker_to_resumed_s": resumed,
        "lease_seconds": settings.lease_seconds,
        "heartbeat_seconds": settings.heartbeat_seconds,
    }


def _enqueue_to_running(store: SQLiteStore, samples: int) -> list[float]:
    """From created_at to started_at, both stamped by the store's writers."""
    seconds = []
    for _ in range(samples):
        job = enqueue(store, "test", steps=1)
        done = wait_finished(store, job.id)
        assert done.started_at is not None
        seconds.append((done.started_at - job.created_at).total_seconds())
    return seconds


def _cancel(store: SQLiteStore, *, ignore_cancel: bool) -> float:
    job = enqueue(
        store, "test", steps=10_000, step_seconds=0.05, ignore_cancel=ignore_cancel
    )
    wait_for(lambda: store.get(job.id).progress.done >= 2, 60, "two steps")
    asked = time.monotonic()
    store.request_cancel(job.id)
    return wait_status(store, job.id, JobStatus.CANCELLED) - asked


def _killed_worker_resumed(bench: Any) -> float:
    """SIGKILL the worker running a job; time until another worker runs it."""
    doomed = start_worker(bench)
    with SQLiteStore(bench.store_path) as store:
        job = enqueue(store, "test", steps=10_000, step_seconds=0.05)
        wait_for(lambda: store.get(job.id).progress.done >= 2, 60, "two steps")
        start_worker(bench)  # the survivor, idle until the lease runs out
        doomed.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: store.get(job.id).attempts == 2, 60, "the resume")
        resumed = time.monotonic() - killed
        store.request_cancel(job.id)
    return resumed
