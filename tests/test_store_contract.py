"""The store contract, run over SQLite, mongomock and (when set) real MongoDB."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from core.jobs import IllegalTransition, Item, Job, JobStatus, Progress, WorkerInfo
from core.store.base import JobFilter, JobNotFound, Store

WORKER = "worker-a"


def make_job(store: Store, kind: str = "test", **params: object) -> Job:
    return store.create(Job.new(kind, dict(params)))


def claim(store: Store, worker: str = WORKER, lease: float = 30) -> Job:
    job = store.claim_next(worker, lease, ["test"])
    assert job is not None
    return job


def test_created_job_reads_back_as_pending(store: Store) -> None:
    job = make_job(store, steps=3)

    stored = store.get(job.id)

    assert stored.status is JobStatus.PENDING
    assert stored.params == {"steps": 3}
    assert stored.created_at.tzinfo is not None
    assert stored.attempts == 0


def test_unknown_id_raises_job_not_found(store: Store) -> None:
    with pytest.raises(JobNotFound):
        store.get("test-nothing")


def test_list_is_newest_first_filtered_and_paged(store: Store) -> None:
    ids = [make_job(store).id for _ in range(5)]
    other = make_job(store, kind="other")

    assert [j.id for j in store.list_jobs(limit=3)] == [other.id, *ids[::-1][:2]]
    assert [j.id for j in store.list_jobs(offset=3, limit=3)] == ids[::-1][2:5]
    only_test = JobFilter(kinds=frozenset({"test"}))
    assert store.count_jobs(only_test) == 5
    assert store.count_jobs(JobFilter(text=other.id[-6:])) == 1
    assert store.count_jobs(JobFilter(statuses=frozenset({JobStatus.RUNNING}))) == 0


def test_changes_since_returns_jobs_touched_after_a_time(store: Store) -> None:
    old = make_job(store)
    time.sleep(0.01)
    mark = datetime.now(UTC)
    new = make_job(store)

    changed = {job.id for job in store.changes_since(mark)}

    assert new.id in changed and old.id not in changed
    store.request_cancel(old.id)
    assert old.id in {job.id for job in store.changes_since(mark)}


def test_claim_takes_oldest_pending_and_counts_the_attempt(store: Store) -> None:
    first = make_job(store)
    make_job(store)

    job = claim(store, lease=30)

    assert job.id == first.id
    assert job.status is JobStatus.RUNNING
    assert job.worker_id == WORKER
    assert job.attempts == 1
    assert job.started_at is not None
    assert job.lease_expires_at is not None
    assert job.lease_expires_at > datetime.now(UTC) + timedelta(seconds=20)


def test_claim_respects_kinds_and_returns_none_when_empty(store: Store) -> None:
    make_job(store, kind="other")

    assert store.claim_next(WORKER, 30, ["test"]) is None
    assert not store.has_pending(["test"])
    assert store.has_pending(["other"])


def test_two_claims_never_get_the_same_job(store: Store) -> None:
    make_job(store)
    make_job(store)

    a = claim(store, "worker-a")
    b = claim(store, "worker-b")

    assert a.id != b.id
    assert store.claim_next("worker-c", 30, ["test"]) is None


def test_extend_leases_reports_held_jobs_and_cancel_flags(store: Store) -> None:
    job = claim_after_create(store)
    store.request_cancel(job.id)

    states = store.extend_leases(WORKER, [job.id], 60)
    others = store.extend_leases("worker-b", [job.id], 60)

    assert states[0].held and states[0].cancel_requested
    assert not others[0].held
    lease = store.get(job.id).lease_expires_at
    assert lease is not None and lease > datetime.now(UTC) + timedelta(seconds=50)


def claim_after_create(store: Store) -> Job:
    make_job(store)
    return claim(store)


def test_progress_is_written_only_by_the_lease_holder(store: Store) -> None:
    job = claim_after_create(store)
    progress = Progress(done=2, total=4, parts={"es": {"done": 1, "total": 2}})

    assert store.record_progress(job.id, WORKER, progress, "half way")
    assert not store.record_progress(job.id, "intruder", Progress(done=9), "no")

    stored = store.get(job.id)
    assert stored.progress.done == 2 and stored.progress.percent == 50.0
    assert stored.progress.parts["es"].total == 2
    assert stored.message == "half way"


def test_finish_records_outcome_and_refuses_a_lost_lease(store: Store) -> None:
    job = claim_after_create(store)

    assert not store.finish(job.id, "intruder", JobStatus.COMPLETED)
    assert store.finish(job.id, WORKER, JobStatus.COMPLETED, result={"n": 1})
    assert not store.finish(job.id, WORKER, JobStatus.FAILED, error="late")

    stored = store.get(job.id)
    assert stored.status is JobStatus.COMPLETED
    assert stored.result == {"n": 1}
    assert stored.finished_at is not None


def test_finish_with_an_illegal_status_raises(store: Store) -> None:
    job = claim_after_create(store)

    with pytest.raises(IllegalTransition):
        store.finish(job.id, WORKER, JobStatus.RUNNING)


def test_release_gives_the_job_back_without_counting_the_attempt(
    store: Store,
) -> None:
    job = claim_after_create(store)

    assert store.release(job.id, WORKER)

    stored = store.get(job.id)
    assert stored.status is JobStatus.PENDING
    assert stored.attempts == 0
    assert stored.worker_id is None


def test_expired_lease_goes_back_to_pending_with_attempt_counted(
    store: Store,
) -> None:
    make_job(store)
    job = claim(store, lease=0.01)
    time.sleep(0.05)

    outcome = store.requeue_expired()

    assert outcome.pending == [job.id]
    stored = store.get(job.id)
    assert stored.status is JobStatus.PENDING and stored.attempts == 1
    assert claim(store, "worker-b").attempts == 2


def test_expired_lease_fails_the_job_when_attempts_run_out(store: Store) -> None:
    store.create(Job.new("test", {}, max_attempts=1))
    job = claim(store, lease=0.01)
    time.sleep(0.05)

    outcome = store.requeue_expired()

    assert outcome.failed == [job.id]
    stored = store.get(job.id)
    assert stored.status is JobStatus.FAILED
    assert stored.error is not None and "attempts" in stored.error


def test_live_lease_is_not_requeued(store: Store) -> None:
    job = claim_after_create(store)

    assert store.requeue_expired().pending == []
    assert store.get(job.id).status is JobStatus.RUNNING


def test_cancel_pending_is_immediate_running_is_a_flag(store: Store) -> None:
    pending = make_job(store)
    running = claim_after_create(store)
    if running.id == pending.id:
        pending, running = make_job(store), running

    assert store.request_cancel(pending.id).status is JobStatus.CANCELLED
    flagged = store.request_cancel(running.id)
    assert flagged.status is JobStatus.RUNNING and flagged.cancel_requested


def test_cancel_of_a_finished_job_changes_nothing(store: Store) -> None:
    job = claim_after_create(store)
    store.finish(job.id, WORKER, JobStatus.COMPLETED)

    assert store.request_cancel(job.id).status is JobStatus.COMPLETED
    with pytest.raises(JobNotFound):
        store.request_cancel("test-nothing")


def test_logs_page_tail_and_keep_only_the_newest_lines(store: Store) -> None:
    job = make_job(store)
    store.append_logs(job.id, [("info", f"line {n}") for n in range(1, 31)])
    store.append_logs(job.id, [("warning", f"line {n}") for n in range(31, 61)])

    lines = store.logs(job.id, after=0, limit=1000)
    assert len(lines) == 50  # the store in these tests keeps 50 lines a job
    assert lines[0].message == "line 11" and lines[-1].message == "line 60"
    assert [line.seq for line in store.logs(job.id, after=55)] == [56, 57, 58, 59, 60]
    assert [line.message for line in store.logs(job.id, tail=2)] == [
        "line 59",
        "line 60",
    ]
    assert store.logs(job.id, tail=1)[0].level == "warning"


def test_items_are_upserted_by_topic_and_language(store: Store) -> None:
    job = make_job(store)
    first = Item(topic="burns", language="en", data={"v": 1})
    store.save_items(job.id, [first, Item(topic="burns", language="es", data={})])
    store.save_items(job.id, [Item(topic="burns", language="en", data={"v": 2})])

    assert len(store.list_items()) == 2
    saved = store.get_item("burns", "en")
    assert saved is not None and saved.data == {"v": 2} and saved.job_id == job.id
    assert store.saved_keys(job.id) == {("burns", "en"), ("burns", "es")}
    assert [i.key for i in store.list_items(language="es")] == [("burns", "es")]
    assert store.delete_items([("burns", "es")]) == 1
    assert store.get_item("burns", "es") is None


def test_workers_heartbeat_are_listed_and_can_be_asked_to_stop(
    store: Store,
) -> None:
    now = datetime.now(UTC)
    info = WorkerInfo(
        id="w1", host="h", pid=1, concurrency=2, started_at=now, heartbeat_at=now
    )

    assert store.heartbeat(info) is False
    assert [w.id for w in store.live_workers(60)] == ["w1"]
    assert store.request_worker_stop("w1")
    assert store.heartbeat(info) is True
    assert not store.request_worker_stop("nobody")
    store.remove_worker("w1")
    assert store.live_workers(60) == []


def test_prune_deletes_old_finished_jobs_and_their_logs(store: Store) -> None:
    done = claim_after_create(store)
    store.append_logs(done.id, [("info", "bye")])
    store.finish(done.id, WORKER, JobStatus.COMPLETED)
    waiting = make_job(store)

    assert store.prune(datetime.now(UTC) - timedelta(days=1)) == 0
    assert store.prune(datetime.now(UTC) + timedelta(seconds=1)) == 1

    with pytest.raises(JobNotFound):
        store.get(done.id)
    assert store.logs(done.id) == []
    assert store.get(waiting.id).status is JobStatus.PENDING
