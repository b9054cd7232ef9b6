"""What every benchmark needs: a fresh store, a worker process, a clock."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.jobs import FINISHED, Job, JobStatus
from core.settings import Settings
from core.store.sqlite import SQLiteStore
from core.tasks.registry import load_task_modules, validate_params
from tests.workers import Bench, make_bench, wait_for


@contextmanager
def bench_dir(root: Path, name: str, **env: str) -> Iterator[Bench]:
    """A bench (store + environment) on default settings, workers stopped on exit."""
    defaults = {"MEDKB_CANCEL_GRACE": str(Settings().cancel_grace)}
    bench = make_bench(root / name, **{**defaults, **env})
    try:
        yield bench
    finally:
        bench.stop_all()


def start_worker(bench: Bench, *args: str, **env: str) -> subprocess.Popen[bytes]:
    """A worker process, returned once all its children are ready for work."""
    before = _ready_workers(bench)
    process = bench.start_worker(*args, **env)
    wait_for(lambda: _ready_workers(bench) - before, 60, "the worker to be ready")
    return process


def _ready_workers(bench: Bench) -> set[str]:
    if not bench.store_path.exists():
        return set()
    with SQLiteStore(bench.store_path) as store:
        workers = store.live_workers(30)
    return {w.id for w in workers if w.ready_processes >= w.concurrency}


def enqueue(store: SQLiteStore, kind: str, **params: object) -> Job:
    load_task_modules("tests.engine_tasks")
    return store.create(Job.new(kind, validate_params(kind, params)))


def wait_finished(store: SQLiteStore, job_id: str, timeout: float = 900) -> Job:
    def finished() -> Job | None:
        job = store.get(job_id)
        return job if job.status in FINISHED else None

    job = wait_for(finished, timeout, f"{job_id} to finish")
    if job.status is not JobStatus.COMPLETED:
        raise RuntimeError(f"{job_id} ended {job.status}: {job.error}")
    return job


def wait_status(
    store: SQLiteStore, job_id: str, status: JobStatus, poll: float = 0.002
) -> float:
    """Poll fast until the job has the status; the monotonic time it was seen."""
    deadline = time.monotonic() + 120
    while store.get(job_id).status is not status:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{job_id} never became {status}")
        time.sleep(poll)
    return time.monotonic()
