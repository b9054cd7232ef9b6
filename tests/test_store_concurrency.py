"""SQLite under real concurrency: several processes on one store file."""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
from pathlib import Path

from core.jobs import Job, JobStatus, Progress
from core.store.sqlite import SQLiteStore


def claim_all(
    path: str,
    worker: str,
    out: multiprocessing.Queue,  # type: ignore[type-arg]
    start: multiprocessing.synchronize.Barrier,
) -> None:
    store = SQLiteStore(Path(path))
    claimed = []
    start.wait(timeout=30)
    while (job := store.claim_next(worker, 60, ["test"])) is not None:
        claimed.append(job.id)
    out.put(claimed)


def write_progress(path: str, job_ids: list[str], rounds: int) -> None:
    store = SQLiteStore(Path(path))
    for done in range(1, rounds + 1):
        for job_id in job_ids:
            progress = Progress(done=done, total=rounds)
            assert store.record_progress(job_id, "w", progress, f"{done}")
            store.append_logs(job_id, [("info", f"{job_id} {done}")])


def test_two_processes_claiming_500_jobs_never_claim_one_twice(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.sqlite3"
    with SQLiteStore(path) as store:
        created = {store.create(Job.new("test", {})).id for _ in range(500)}
    spawn = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = spawn.Queue()  # type: ignore[type-arg]
    start = spawn.Barrier(2)
    workers = [
        spawn.Process(target=claim_all, args=(str(path), name, results, start))
        for name in ("a", "b")
    ]

    for process in workers:
        process.start()
    claims = [results.get(timeout=60) for _ in workers]
    for process in workers:
        process.join(timeout=30)

    together = claims[0] + claims[1]
    assert len(together) == 500 and set(together) == created
    assert claims[0] and claims[1]  # both took part


def test_concurrent_progress_and_log_writes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with SQLiteStore(path) as store:
        ids = [store.create(Job.new("test", {})).id for _ in range(4)]
        while store.claim_next("w", 60, ["test"]):
            pass
    spawn = multiprocessing.get_context("spawn")
    writers = [
        spawn.Process(target=write_progress, args=(str(path), ids[n::2], 100))
        for n in range(2)
    ]

    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=60)

    assert [process.exitcode for process in writers] == [0, 0]
    with SQLiteStore(path) as store:
        for job_id in ids:
            job = store.get(job_id)
            assert job.status is JobStatus.RUNNING
            assert job.progress.done == 100 and job.message == "100"
            seqs = [line.seq for line in store.logs(job_id, limit=1000)]
            assert seqs == list(range(1, 101))
