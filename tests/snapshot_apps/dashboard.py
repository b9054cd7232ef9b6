"""A store of fixed jobs, logs and guidelines, and the dashboard on it.

Every time in the store comes from a frozen clock and the app gets the
same clock, so what the screens show is the same on every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from core.jobs import Item, Job, JobStatus, PartProgress, Progress
from core.knowledge import (
    Guideline,
    GuidelineContent,
    Provenance,
    Step,
    content_hash,
    load_curriculum,
    load_languages,
)
from core.settings import Settings
from core.store.sqlite import SQLiteStore
from tui.app import MedkbApp

NOW = datetime(2025, 3, 14, 12, 0, 0, tzinfo=UTC)
STORE_LABEL = "/srv/medkb/medkb.sqlite3"
WORKER = "worker-snapshot"


class FrozenTime:
    """Stands in for the `time` module inside the SQLite store."""

    def __init__(self) -> None:
        self.at = NOW

    def time(self) -> float:
        return self.at.timestamp()

    def sleep(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@contextmanager
def frozen_store(path: Path) -> Iterator[tuple[SQLiteStore, FrozenTime]]:
    clock = FrozenTime()
    with mock.patch("core.store.sqlite.time", clock):
        yield SQLiteStore(path), clock


def _job(kind: str, number: int, params: dict[str, Any], minutes_ago: float) -> Job:
    created = NOW - timedelta(minutes=minutes_ago)
    return Job(
        id=f"{kind}-0snap{number:08d}",
        kind=kind,
        params=params,
        created_at=created,
        updated_at=created,
    )


def _run(store: SQLiteStore, clock: FrozenTime, job: Job, minutes: float) -> None:
    """Create the job, and claim it `minutes` later."""
    clock.at = job.created_at
    store.create(job)
    clock.at = job.created_at + timedelta(minutes=minutes)
    assert store.claim_next(WORKER, 3600, [job.kind]) is not None


def _translation_parts(done_per_language: int, total: int) -> dict[str, PartProgress]:
    return {
        language.code: PartProgress(
            done=min(total, done_per_language + index % 3 * 9),
            total=total,
            failed=1 if language.code == "ar" else 0,
        )
        for index, language in enumerate(load_languages())
    }


def _add_running_translation(store: SQLiteStore, clock: FrozenTime) -> None:
    job = _job("translate", 6, {"languages": None, "topics": None, "model": None}, 5)
    _run(store, clock, job, 1)
    parts = _translation_parts(40, 76)
    done = sum(part.done + part.failed for part in parts.values())
    clock.at = NOW - timedelta(seconds=20)
    progress = Progress(done=done, total=1444, parts=parts)
    message = f"Translating: Burns → العربية ({done}/1444)"
    store.record_progress(job.id, WORKER, progress, message)
    store.append_logs(
        job.id,
        [
            ("info", "Started on snapshot-host, attempt 1/3"),
            ("info", "1444 translations to make with simulator"),
            ("warning", "burns [ar]: the model returned an empty text"),
            ("info", "Half way through Portuguese"),
        ],
    )


def _add_finished_jobs(store: SQLiteStore, clock: FrozenTime) -> None:
    training = _job("train", 2, {"topics": None, "overwrite": False, "model": None}, 90)
    _run(store, clock, training, 0.5)
    clock.at = training.created_at + timedelta(minutes=3)
    result = {"learned": 74, "skipped": 0, "failed": 2, "failures": [
        {"topic": "drowning", "reason": "the model refused: safety filter"},
        {"topic": "sunburn", "reason": "timed out after 60 s"},
    ]}  # fmt: skip
    store.record_progress(training.id, WORKER, Progress(done=76, total=76), "")
    store.finish(training.id, WORKER, JobStatus.COMPLETED, result=result)

    failed = _job(
        "translate", 3, {"languages": ["es"], "topics": None, "model": None}, 60
    )
    _run(store, clock, failed, 0.2)
    clock.at = failed.created_at + timedelta(minutes=1)
    error = (
        "no translation succeeded; all 76 failed, the first (burns [es]) with: quota"
    )
    store.finish(failed.id, WORKER, JobStatus.FAILED, error=error, message="Failed")

    cancelled = _job(
        "train", 4, {"topics": ["burns"], "overwrite": True, "model": None}, 30
    )
    _run(store, clock, cancelled, 0.1)
    clock.at = cancelled.created_at + timedelta(minutes=2)
    store.finish(cancelled.id, WORKER, JobStatus.CANCELLED, message="Cancelled")


def _add_pending(store: SQLiteStore, clock: FrozenTime) -> None:
    job = _job(
        "translate", 7, {"languages": ["fr", "de"], "topics": None, "model": None}, 1
    )
    clock.at = job.created_at
    store.create(job)


def _guideline(topic: str, language: str, source_hash: str | None = None) -> Guideline:
    return Guideline(
        topic=topic,
        language=language,
        content=GuidelineContent(
            title=f"{topic.replace('-', ' ').title()} ({language})",
            summary="What to do first, in a few calm steps.",
            call_emergency_when=["The person does not respond"],
            steps=[Step(instruction="Make the scene safe", detail="Look around.")],
            do=["Stay with the person"],
            dont=["Do not give food or drink"],
            warning_signs=["Breathing stops"],
        ),
        provenance=Provenance(
            provider="simulator",
            model="simulator-1",
            generated_at=NOW,
            tokens_in=120,
            tokens_out=480,
            simulated=True,
        ),  # fmt: skip
        source_hash=source_hash,
    )


def _add_guidelines(store: SQLiteStore) -> None:
    """English for 12 topics; Spanish fresh, French stale, some German."""
    items: list[Item] = []
    for index, topic in enumerate(load_curriculum()[:12]):
        english = _guideline(topic.slug, "en")
        fresh = content_hash(english)
        items.append(
            Item(topic=topic.slug, language="en", data=english.model_dump(mode="json"))
        )
        for code, source in (("es", fresh), ("fr", "0" * 16), ("de", fresh)):
            if code != "de" or index % 2 == 0:
                data = _guideline(topic.slug, code, source).model_dump(mode="json")
                items.append(Item(topic=topic.slug, language=code, data=data))
    store.save_items("train-0snap00000002", items)


def fill_store(path: Path) -> None:
    """The fixed store the snapshots show."""
    with frozen_store(path) as (store, clock):
        _add_finished_jobs(store, clock)
        _add_running_translation(store, clock)
        _add_pending(store, clock)
        _add_guidelines(store)
        store.close()


def snapshot_app(store: SQLiteStore, tmp_path: Path) -> MedkbApp:
    settings = Settings(provider="simulator", data_dir=tmp_path / "data")
    return MedkbApp(
        store,
        settings,
        store_url=STORE_LABEL,
        clock=lambda: NOW,
        start_worker=False,
    )
