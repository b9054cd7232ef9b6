"""The default store: one SQLite file in WAL mode, shared by every process."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from core.jobs import (
    FINISHED,
    Item,
    Job,
    JobStatus,
    LogLine,
    Progress,
    WorkerInfo,
    check_transition,
)
from core.store.base import (
    SCHEMA_VERSION,
    JobFilter,
    JobNotFound,
    LeaseState,
    Requeued,
    Store,
    StoreError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    params TEXT NOT NULL,
    progress TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    result TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    worker_id TEXT,
    lease_expires_at REAL,
    retry_of TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    updated_at REAL NOT NULL,
    log_lines INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_claim_order ON jobs (status, created_at, id);
CREATE INDEX IF NOT EXISTS jobs_updated ON jobs (updated_at);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at);
CREATE TABLE IF NOT EXISTS job_logs (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at REAL NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS guidelines (
    topic TEXT NOT NULL,
    language TEXT NOT NULL,
    job_id TEXT,
    data TEXT NOT NULL,
    saved_at REAL NOT NULL,
    PRIMARY KEY (topic, language)
);
CREATE INDEX IF NOT EXISTS guidelines_job ON guidelines (job_id);
CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY,
    info TEXT NOT NULL,
    heartbeat_at REAL NOT NULL,
    stop_requested INTEGER NOT NULL DEFAULT 0
);
"""

_LOCK_RETRIES = 50


def _ts(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _dt(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _job_from_row(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        status=JobStatus(row["status"]),
        params=json.loads(row["params"]),
        progress=Progress.model_validate_json(row["progress"]),
        message=row["message"],
        result=None if row["result"] is None else json.loads(row["result"]),
        error=row["error"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        cancel_requested=bool(row["cancel_requested"]),
        worker_id=row["worker_id"],
        lease_expires_at=_dt(row["lease_expires_at"]),
        retry_of=row["retry_of"],
        created_at=_dt(row["created_at"]),
        started_at=_dt(row["started_at"]),
        finished_at=_dt(row["finished_at"]),
        updated_at=_dt(row["updated_at"]),
    )


def _item_from_row(row: sqlite3.Row) -> Item:
    return Item(
        topic=row["topic"],
        language=row["language"],
        data=json.loads(row["data"]),
        job_id=row["job_id"],
        saved_at=_dt(row["saved_at"]),
    )


def _where(where: JobFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if where.statuses:
        clauses.append(f"status IN ({','.join('?' * len(where.statuses))})")
        args.extend(sorted(where.statuses))
    if where.kinds:
        clauses.append(f"kind IN ({','.join('?' * len(where.kinds))})")
        args.extend(sorted(where.kinds))
    if where.text:
        clauses.append("(id LIKE ? OR message LIKE ? OR error LIKE ?)")
        args.extend([f"%{where.text}%"] * 3)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def prepare_file(path: Path) -> None:
    """Create the store file (and its folder) readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(descriptor)


class SQLiteStore(Store):
    """The store in one SQLite file; safe across threads and processes."""

    transient_errors = (StoreError, sqlite3.OperationalError)

    def __init__(self, path: Path, *, log_cap: int = 5000, label: str = "") -> None:
        self.path = path
        self.url = label or str(path)
        self.log_cap = log_cap
        self._lock = threading.RLock()
        try:
            prepare_file(path)
            self._db = sqlite3.connect(
                path, timeout=10, isolation_level=None, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            self._set_up()
        except (OSError, sqlite3.Error) as error:
            raise StoreError(self._explain(error)) from None

    def _explain(self, error: Exception) -> str:
        reason = getattr(error, "strerror", None) or str(error)
        return (
            f"cannot use the store {self.url}: {reason}. Choose a writable "
            "SQLite file with --store or MEDKB_STORE."
        )

    def _set_up(self) -> None:
        self._db.execute("PRAGMA busy_timeout = 10000")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.url} was written by a newer medkb (schema "
                f"{version}, this medkb knows {SCHEMA_VERSION}); upgrade medkb "
                "or use another store."
            )
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        if version < SCHEMA_VERSION:
            with self._transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -- plumbing ----------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run work in a write transaction, retrying while the file is locked."""
        for attempt in range(_LOCK_RETRIES):
            try:
                with self._lock, self._transaction() as db:
                    return work(db)
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                log.warning("store %s is locked, retrying (%d)", self.url, attempt)
                time.sleep(min(0.5, 0.01 * 2**attempt))
        raise StoreError(f"the store {self.url} stayed locked; try again later.")

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- jobs: front ends --------------------------------------------------

    def create(self, job: Job) -> Job:
        def insert(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO jobs (id, kind, status, params, progress, message,"
                " max_attempts, retry_of, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.id,
                    job.kind,
                    job.status,
                    json.dumps(job.params),
                    job.progress.model_dump_json(),
                    job.message,
                    job.max_attempts,
                    job.retry_of,
                    _ts(job.created_at),
                    _ts(job.updated_at),
                ),
            )

        self._write(insert)
        return self.get(job.id)

    def get(self, job_id: str) -> Job:
        rows = self._read("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            raise JobNotFound(job_id)
        return _job_from_row(rows[0])

    def list_jobs(
        self, where: JobFilter = JobFilter(), *, offset: int = 0, limit: int = 100
    ) -> list[Job]:
        clause, args = _where(where)
        rows = self._read(
            f"SELECT * FROM jobs{clause} ORDER BY created_at DESC, id DESC"
            " LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [_job_from_row(row) for row in rows]

    def count_jobs(self, where: JobFilter = JobFilter()) -> int:
        clause, args = _where(where)
        return int(self._read(f"SELECT COUNT(*) FROM jobs{clause}", args)[0][0])

    def changes_since(self, since: datetime) -> list[Job]:
        rows = self._read(
            "SELECT * FROM jobs WHERE updated_at >= ? ORDER BY updated_at",
            (since.timestamp(),),
        )
        return [_job_from_row(row) for row in rows]

    def request_cancel(self, job_id: str) -> Job:
        def cancel(db: sqlite3.Connection) -> None:
            row = db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,))
            found = row.fetchone()
            if found is None:
                raise JobNotFound(job_id)
            status = JobStatus(found["status"])
            now = time.time()
            if status is JobStatus.PENDING:
                check_transition(status, JobStatus.CANCELLED)
                db.execute(
                    "UPDATE jobs SET status = 'cancelled', cancel_requested = 1,"
                    " finished_at = ?, updated_at = ?, message = 'Cancelled'"
                    " WHERE id = ?",
                    (now, now, job_id),
                )
            elif status is JobStatus.RUNNING:
                db.execute(
                    "UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?",
                    (now, job_id),
                )

        self._write(cancel)
        return self.get(job_id)

    # -- jobs: workers -----------------------------------------------------

    def claim_next(
        self, worker_id: str, lease_seconds: float, kinds: Iterable[str]
    ) -> Job | None:
        wanted = sorted(kinds)
        if not wanted:
            return None

        def claim(db: sqlite3.Connection) -> str | None:
            found = db.execute(
                "SELECT id FROM jobs WHERE status = 'pending'"
                f" AND kind IN ({','.join('?' * len(wanted))})"
                " ORDER BY created_at, id LIMIT 1",
                wanted,
            ).fetchone()
            if found is None:
                return None
            check_transition(JobStatus.PENDING, JobStatus.RUNNING)
            now = time.time()
            db.execute(
                "UPDATE jobs SET status = 'running', worker_id = ?,"
                " lease_expires_at = ?, attempts = attempts + 1,"
                " started_at = COALESCE(started_at, ?), updated_at = ?"
                " WHERE id = ?",
                (worker_id, now + lease_seconds, now, now, found["id"]),
            )
            return str(found["id"])

        job_id = self._write(claim)
        return None if job_id is None else self.get(job_id)

    def has_pending(self, kinds: Iterable[str]) -> bool:
        wanted = sorted(kinds)
        rows = self._read(
            "SELECT 1 FROM jobs WHERE status = 'pending'"
            f" AND kind IN ({','.join('?' * len(wanted))}) LIMIT 1",
            wanted,
        )
        return bool(rows)

    def extend_leases(
        self, worker_id: str, job_ids: Sequence[str], lease_seconds: float
    ) -> list[LeaseState]:
        if not job_ids:
            return []
        marks = ",".join("?" * len(job_ids))

        def extend(db: sqlite3.Connection) -> list[LeaseState]:
            now = time.time()
            db.execute(
                f"UPDATE jobs SET lease_expires_at = ? WHERE id IN ({marks})"
                " AND worker_id = ? AND status = 'running'",
                (now + lease_seconds, *job_ids, worker_id),
            )
            rows = db.execute(
                f"SELECT id, cancel_requested FROM jobs WHERE id IN ({marks})"
                " AND worker_id = ? AND status = 'running'",
                (*job_ids, worker_id),
            ).fetchall()
            held = {row["id"]: bool(row["cancel_requested"]) for row in rows}
            return [
                LeaseState(job_id, job_id in held, held.get(job_id, False))
                for job_id in job_ids
            ]

        return self._write(extend)

    def record_progress(
        self, job_id: str, worker_id: str, progress: Progress, message: str
    ) -> bool:
        def update(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "UPDATE jobs SET progress = ?, message = ?, updated_at = ?"
                " WHERE id = ? AND worker_id = ? AND status = 'running'",
                (progress.model_dump_json(), message, time.time(), job_id, worker_id),
            )
            return cursor.rowcount == 1

        return self._write(update)

    def finish(
        self,
        job_id: str,
        worker_id: str,
        status: JobStatus,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        message: str | None = None,
    ) -> bool:
        check_transition(JobStatus.RUNNING, status)
        if status is JobStatus.PENDING:
            raise ValueError("use release() to give a job back")

        def end(db: sqlite3.Connection) -> bool:
            now = time.time()
            cursor = db.execute(
                "UPDATE jobs SET status = ?, result = ?, error = ?,"
                " message = COALESCE(?, message), finished_at = ?, updated_at = ?,"
                " lease_expires_at = NULL"
                " WHERE id = ? AND worker_id = ? AND status = 'running'",
                (
                    status,
                    None if result is None else json.dumps(result),
                    error,
                    message,
                    now,
                    now,
                    job_id,
                    worker_id,
                ),
            )
            return cursor.rowcount == 1

        return self._write(end)

    def release(self, job_id: str, worker_id: str) -> bool:
        check_transition(JobStatus.RUNNING, JobStatus.PENDING)

        def give_back(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "UPDATE jobs SET status = 'pending', worker_id = NULL,"
                " lease_expires_at = NULL, attempts = MAX(attempts - 1, 0),"
                " message = 'Requeued: its worker stopped', updated_at = ?"
                " WHERE id = ? AND worker_id = ? AND status = 'running'",
                (time.time(), job_id, worker_id),
            )
            return cursor.rowcount == 1

        return self._write(give_back)

    def requeue_expired(self) -> Requeued:
        expired = self._read(
            "SELECT 1 FROM jobs WHERE status = 'running' AND lease_expires_at < ?"
            " LIMIT 1",
            (time.time(),),
        )
        if not expired:  # the common case stays a cheap read
            return Requeued()

        def requeue(db: sqlite3.Connection) -> Requeued:
            now = time.time()
            rows = db.execute(
                "SELECT id, attempts, max_attempts, cancel_requested FROM jobs"
                " WHERE status = 'running' AND lease_expires_at < ?",
                (now,),
            ).fetchall()
            outcome = Requeued()
            for row in rows:
                if row["cancel_requested"]:
                    self._expire_as(db, row["id"], JobStatus.CANCELLED, now)
                    outcome.failed.append(row["id"])
                elif row["attempts"] >= row["max_attempts"]:
                    self._expire_as(db, row["id"], JobStatus.FAILED, now)
                    outcome.failed.append(row["id"])
                else:
                    self._expire_as(db, row["id"], JobStatus.PENDING, now)
                    outcome.pending.append(row["id"])
            return outcome

        return self._write(requeue)

    @staticmethod
    def _expire_as(
        db: sqlite3.Connection, job_id: str, status: JobStatus, now: float
    ) -> None:
        check_transition(JobStatus.RUNNING, status)
        message, error, finished = {
            JobStatus.PENDING: ("Requeued: its worker stopped answering", None, None),
            JobStatus.FAILED: (
                "Failed",
                "its worker stopped answering and no attempts are left",
                now,
            ),
            JobStatus.CANCELLED: ("Cancelled", None, now),
        }[status]
        db.execute(
            "UPDATE jobs SET status = ?, worker_id = NULL, lease_expires_at = NULL,"
            " message = ?, error = COALESCE(?, error), finished_at = ?,"
            " updated_at = ? WHERE id = ?",
            (status, message, error, finished, now, job_id),
        )

    # -- logs and items ----------------------------------------------------

    def append_logs(self, job_id: str, lines: Sequence[tuple[str, str]]) -> None:
        if not lines:
            return

        def append(db: sqlite3.Connection) -> None:
            found = db.execute(
                "UPDATE jobs SET log_lines = log_lines + ? WHERE id = ?"
                " RETURNING log_lines",
                (len(lines), job_id),
            ).fetchone()
            if found is None:
                raise JobNotFound(job_id)
            last = int(found[0])
            first = last - len(lines) + 1
            now = time.time()
            db.executemany(
                "INSERT INTO job_logs (job_id, seq, at, level, message)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (job_id, first + n, now, level, message)
                    for n, (level, message) in enumerate(lines)
                ],
            )
            db.execute(
                "DELETE FROM job_logs WHERE job_id = ? AND seq <= ?",
                (job_id, last - self.log_cap),
            )

        self._write(append)

    def logs(
        self, job_id: str, *, after: int = 0, limit: int = 500, tail: int | None = None
    ) -> list[LogLine]:
        if tail is not None:
            rows = self._read(
                "SELECT * FROM (SELECT * FROM job_logs WHERE job_id = ?"
                " ORDER BY seq DESC LIMIT ?) ORDER BY seq",
                (job_id, tail),
            )
        else:
            rows = self._read(
                "SELECT * FROM job_logs WHERE job_id = ? AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (job_id, after, limit),
            )
        return [
            LogLine(
                seq=row["seq"],
                at=_dt(row["at"]),
                level=row["level"],
                message=row["message"],
            )
            for row in rows
        ]

    def save_items(self, job_id: str, items: Sequence[Item]) -> None:
        if not items:
            return
        now = time.time()
        rows = [
            (item.topic, item.language, job_id, json.dumps(item.data), now)
            for item in items
        ]

        def upsert(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT INTO guidelines (topic, language, job_id, data, saved_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (topic, language) DO UPDATE"
                " SET job_id = excluded.job_id, data = excluded.data,"
                " saved_at = excluded.saved_at",
                rows,
            )

        self._write(upsert)

    def saved_keys(self, job_id: str) -> frozenset[tuple[str, str]]:
        rows = self._read(
            "SELECT topic, language FROM guidelines WHERE job_id = ?", (job_id,)
        )
        return frozenset((row["topic"], row["language"]) for row in rows)

    def get_item(self, topic: str, language: str) -> Item | None:
        rows = self._read(
            "SELECT * FROM guidelines WHERE topic = ? AND language = ?",
            (topic, language),
        )
        return _item_from_row(rows[0]) if rows else None

    def list_items(
        self, *, language: str | None = None, topics: Iterable[str] | None = None
    ) -> list[Item]:
        clauses: list[str] = []
        args: list[Any] = []
        if language is not None:
            clauses.append("language = ?")
            args.append(language)
        if topics is not None:
            wanted = sorted(topics)
            clauses.append(f"topic IN ({','.join('?' * len(wanted))})")
            args.extend(wanted)
        clause = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._read(
            f"SELECT * FROM guidelines{clause} ORDER BY topic, language", args
        )
        return [_item_from_row(row) for row in rows]

    def delete_items(self, keys: Iterable[tuple[str, str]]) -> int:
        wanted = list(keys)

        def delete(db: sqlite3.Connection) -> int:
            cursor = db.executemany(
                "DELETE FROM guidelines WHERE topic = ? AND language = ?", wanted
            )
            return cursor.rowcount

        return self._write(delete) if wanted else 0

    # -- workers and housekeeping ------------------------------------------

    def heartbeat(self, worker: WorkerInfo) -> bool:
        def beat(db: sqlite3.Connection) -> bool:
            found = db.execute(
                "INSERT INTO workers (id, info, heartbeat_at) VALUES (?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET info = excluded.info,"
                " heartbeat_at = excluded.heartbeat_at RETURNING stop_requested",
                (worker.id, worker.model_dump_json(), _ts(worker.heartbeat_at)),
            ).fetchone()
            return bool(found[0])

        return self._write(beat)

    def live_workers(self, max_age_seconds: float) -> list[WorkerInfo]:
        rows = self._read(
            "SELECT info, stop_requested FROM workers WHERE heartbeat_at >= ?"
            " ORDER BY id",
            (time.time() - max_age_seconds,),
        )
        workers = [WorkerInfo.model_validate_json(row["info"]) for row in rows]
        for worker, row in zip(workers, rows, strict=True):
            worker.stop_requested = bool(row["stop_requested"])
        return workers

    def request_worker_stop(self, worker_id: str) -> bool:
        def ask(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "UPDATE workers SET stop_requested = 1 WHERE id = ?", (worker_id,)
            )
            return cursor.rowcount == 1

        return self._write(ask)

    def remove_worker(self, worker_id: str) -> None:
        self._write(
            lambda db: db.execute("DELETE FROM workers WHERE id = ?", (worker_id,))
        )

    def prune(self, finished_before: datetime) -> int:
        cutoff = finished_before.timestamp()
        done = tuple(sorted(FINISHED))

        def delete(db: sqlite3.Connection) -> int:
            db.execute(
                "DELETE FROM job_logs WHERE job_id IN (SELECT id FROM jobs"
                " WHERE status IN (?, ?, ?) AND finished_at < ?)",
                (*done, cutoff),
            )
            cursor = db.execute(
                "DELETE FROM jobs WHERE status IN (?, ?, ?) AND finished_at < ?",
                (*done, cutoff),
            )
            db.execute("DELETE FROM workers WHERE heartbeat_at < ?", (cutoff,))
            return cursor.rowcount

        return self._write(delete)

    def close(self) -> None:
        with self._lock:
            self._db.close()
