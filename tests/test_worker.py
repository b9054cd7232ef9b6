"""The engine end to end: real worker processes on a real SQLite store."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.jobs import JobStatus
from tests.workers import Bench, make_bench, wait_for


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    made = make_bench(
        tmp_path, MEDKB_LEASE_SECONDS="1.5", MEDKB_HEARTBEAT_SECONDS="0.3"
    )
    yield made
    made.stop_all()


def statuses_seen(bench: Bench, job_id: str, until: JobStatus) -> list[JobStatus]:
    seen: list[JobStatus] = []

    def reached() -> bool:
        status = bench.job(job_id).status
        if not seen or seen[-1] is not status:
            seen.append(status)
        return status is until

    wait_for(reached, 30, f"{job_id} to reach {until}")
    return seen


def test_job_runs_end_to_end_through_a_real_worker(bench: Bench) -> None:
    job_id = bench.add(steps=5, step_seconds=0.2)
    bench.start_worker()

    seen = statuses_seen(bench, job_id, JobStatus.COMPLETED)

    assert seen == [JobStatus.PENDING, JobStatus.RUNNING, JobStatus.COMPLETED]
    job = bench.job(job_id)
    assert job.progress.percent == 100.0
    assert job.result == {"steps": 5, "skipped": 0}
    assert job.finished_at is not None and job.message == "Completed"
    with bench.store() as store:
        assert len(store.saved_keys(job_id)) == 5
        assert any("did step 4" in line.message for line in store.logs(job_id))


def test_cooperative_cancel_stops_the_task_and_keeps_saved_items(
    bench: Bench,
) -> None:
    job_id = bench.add(steps=500, step_seconds=0.05)
    bench.start_worker()
    wait_for(lambda: bench.job(job_id).progress.done >= 3, what="three steps")

    asked = time.monotonic()
    assert bench.medkb("jobs", "cancel", job_id).returncode == 0
    job = bench.wait_status(job_id, JobStatus.CANCELLED)

    assert time.monotonic() - asked < 3.0
    assert job.message == "Cancelled"
    with bench.store() as store:
        saved = store.saved_keys(job_id)
    assert len(saved) >= 3 and len(saved) < 500


def test_task_that_ignores_cancel_is_killed_after_the_grace(bench: Bench) -> None:
    job_id = bench.add(steps=100, step_seconds=0.2, ignore_cancel=True)
    bench.start_worker(MEDKB_CANCEL_GRACE="1")
    wait_for(lambda: bench.job(job_id).progress.done >= 2, what="two steps")

    asked = time.monotonic()
    bench.medkb("jobs", "cancel", job_id)
    job = bench.wait_status(job_id, JobStatus.CANCELLED)

    assert 1.0 <= time.monotonic() - asked < 4.0
    assert "by force" in job.message
    with bench.store() as store:
        assert len(store.saved_keys(job_id)) >= 2


@pytest.mark.parametrize(
    ("crash", "reason"),
    [("exit", "exited unexpectedly with code 3"), ("segfault", "SIGSEGV")],
)
def test_crashing_child_fails_its_job_and_the_next_job_still_runs(
    bench: Bench, crash: str, reason: str
) -> None:
    crashing = bench.add(steps=3, crash=crash, crash_at=1)
    healthy = bench.add(steps=2)
    bench.start_worker("--concurrency", "1")

    failed = bench.wait_status(crashing, JobStatus.FAILED)
    bench.wait_status(healthy, JobStatus.COMPLETED)

    assert failed.error is not None and reason in failed.error


def test_task_exception_fails_the_job_with_its_reason(bench: Bench) -> None:
    job_id = bench.add(steps=3, crash="raise", crash_at=2)
    bench.start_worker()

    job = bench.wait_status(job_id, JobStatus.FAILED)

    assert job.error == "RuntimeError: the task crashed on command"
    with bench.store() as store:
        assert any("Traceback" in line.message for line in store.logs(job_id))


def test_worker_killed_mid_job_is_resumed_by_another_without_loss(
    bench: Bench,
) -> None:
    job_id = bench.add(steps=40, step_seconds=0.1)
    first = bench.start_worker()
    wait_for(lambda: bench.job(job_id).progress.done >= 5, what="five steps")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    with bench.store() as store:
        before = {i.topic: i.data["pid"] for i in store.list_items(language="xx")}

    bench.start_worker()
    job = bench.wait_status(job_id, JobStatus.COMPLETED, timeout=40)

    assert job.attempts == 2
    assert job.result is not None and job.result["skipped"] >= len(before)
    with bench.store() as store:
        items = store.list_items(language="xx")
    assert sorted(i.topic for i in items) == sorted(f"step-{n}" for n in range(40))
    kept = {i.topic: i.data["pid"] for i in items if i.topic in before}
    assert kept == before  # saved items were not redone, nor lost


def test_two_workers_on_one_store_run_each_job_once(bench: Bench) -> None:
    ids = [bench.add(steps=1) for _ in range(30)]
    bench.start_worker()
    bench.start_worker()

    for job_id in ids:
        bench.wait_status(job_id, JobStatus.COMPLETED)

    with bench.store() as store:
        for job_id in ids:
            assert store.get(job_id).attempts == 1
            starts = [ln for ln in store.logs(job_id) if "Started on" in ln.message]
            assert len(starts) == 1
        owners = {ln.message.split()[2] for j in ids for ln in store.logs(j)[:1]}
    assert len(owners) == 2  # both workers took part


def test_sigterm_requeues_running_jobs_and_exits_zero(bench: Bench) -> None:
    job_id = bench.add(steps=500, step_seconds=0.05)
    worker = bench.start_worker()
    wait_for(lambda: bench.job(job_id).progress.done >= 2, what="two steps")

    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=15) == 0
    job = bench.job(job_id)
    assert job.status is JobStatus.PENDING
    assert job.attempts == 0 and job.worker_id is None
    with bench.store() as store:
        assert len(store.saved_keys(job_id)) >= 2
        assert store.live_workers(60) == []


def test_idle_exit_stops_a_worker_with_nothing_to_do(bench: Bench) -> None:
    worker = bench.start_worker("--idle-exit", "0.5")

    assert worker.wait(timeout=20) == 0


def test_worker_status_and_stop_go_through_the_store(bench: Bench) -> None:
    bench.start_worker()
    wait_for(
        lambda: "processes" in bench.medkb("worker", "status").stdout,
        what="the worker to show",
    )

    stopped = bench.medkb("worker", "stop")

    assert stopped.returncode == 0, stopped.stdout
    assert stopped.stdout.strip() == "stopped 1 worker(s)"
    assert bench.workers[0].wait(timeout=10) == 0
    assert "no live worker" in bench.medkb("worker", "status").stdout


def test_stopping_a_worker_names_the_jobs_it_put_back(bench: Bench) -> None:
    job_id = bench.add(steps=1000, step_seconds=0.05)
    bench.start_worker()
    bench.wait_status(job_id, JobStatus.RUNNING)

    stopped = bench.medkb("worker", "stop")

    assert stopped.returncode == 0, stopped.stdout
    assert stopped.stdout.strip() == (
        f"stopped 1 worker(s); back to pending for the next worker: {job_id}"
    )
    assert bench.job(job_id).status is JobStatus.PENDING


def test_detached_worker_runs_jobs_after_its_starter_exits(bench: Bench) -> None:
    job_id = bench.add(steps=2)

    started = bench.medkb("worker", "--detach", "--idle-exit", "2")

    assert started.returncode == 0 and "started worker" in started.stdout
    bench.wait_status(job_id, JobStatus.COMPLETED)
    log_file = Path(bench.env["MEDKB_DATA_DIR"]) / "logs" / "worker.log"
    wait_for(lambda: "stopped" in log_file.read_text(), what="idle exit")
    assert log_file.stat().st_mode & 0o777 == 0o600


def test_a_failing_job_leaves_the_api_key_nowhere(bench: Bench) -> None:
    secret = "AIzaFAKE-secret-key-12345"
    job_id = bench.add(steps=1, log_secret=True)

    started = bench.medkb(
        "worker", "--detach", "--idle-exit", "1", GEMINI_API_KEY=secret
    )
    assert started.returncode == 0
    job = bench.wait_status(job_id, JobStatus.FAILED)

    assert job.error == "RuntimeError: request with key=*** was refused"
    log_file = Path(bench.env["MEDKB_DATA_DIR"]) / "logs" / "worker.log"
    wait_for(lambda: "stopped" in log_file.read_text(), what="idle exit")
    stored = b"".join(p.read_bytes() for p in bench.home.glob("store.sqlite3*"))
    assert secret.encode() not in stored
    assert b"key ***" in stored  # the log line made it, scrubbed
    assert secret not in log_file.read_text()
