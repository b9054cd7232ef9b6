"""The MongoDB store: one database shared by workers and front ends on many hosts."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import unquote, urlsplit

from bson.codec_options import CodecOptions
from pymongo import ASCENDING, DESCENDING, MongoClient, ReturnDocument, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import (
    ConnectionFailure,
    InvalidURI,
    OperationFailure,
    PyMongoError,
)
from pymongo.uri_parser import parse_uri

from core.jobs import (
    FINISHED,
    Item,
    Job,
    JobStatus,
    LogLine,
    Progress,
    WorkerInfo,
    check_transition,
    utcnow,
)
from core.store import redact
from core.store.base import (
    SCHEMA_VERSION,
    JobFilter,
    JobNotFound,
    LeaseState,
    Requeued,
    Store,
    StoreError,
)

Document = dict[str, Any]
P = ParamSpec("P")
T = TypeVar("T")

_DEFAULT_DATABASE = "medkb"
_TIMEOUTS_MS = {"serverSelectionTimeoutMS": 5000, "connectTimeoutMS": 5000}
_CODEC: CodecOptions[Document] = CodecOptions(document_class=dict, tz_aware=True)
_AUTH_CODES = frozenset({13, 18})  # Unauthorized, AuthenticationFailed
_WHERE = "--store, MEDKB_STORE or MONGODB_URI"
_REASON_MAX = 200
# pymongo appends its timeouts and a dump of the whole topology to the reason.
_REASON_NOISE = re.compile(r" \(configured timeouts|, Timeout: ")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_OLDEST_FIRST = [("created_us", ASCENDING), ("_id", ASCENDING)]
_NEWEST_FIRST = [("created_us", DESCENDING), ("_id", DESCENDING)]
_PENDING = JobStatus.PENDING.value
_RUNNING = JobStatus.RUNNING.value

# What a running job whose lease ran out becomes: message, error, finished.
_EXPIRY: dict[JobStatus, tuple[str, str | None, bool]] = {
    JobStatus.PENDING: ("Requeued: its worker stopped answering", None, False),
    JobStatus.FAILED: (
        "Failed",
        "its worker stopped answering and no attempts are left",
        True,
    ),
    JobStatus.CANCELLED: ("Cancelled", None, True),
}


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _reason(error: BaseException, password: str | None) -> str:
    """The first line of a driver error: short, and never with the password."""
    lines = str(error).strip().splitlines()
    text = _REASON_NOISE.split(lines[0], maxsplit=1)[0] if lines else ""
    text = text.rstrip(". ") or type(error).__name__
    if password:
        for secret in (password, unquote(password)):
            text = text.replace(secret, "***")
    return text if len(text) <= _REASON_MAX else text[: _REASON_MAX - 1] + "…"


def _explain(url: str, error: Exception, password: str | None) -> str:
    """One line for the user: which store, what went wrong, what to do."""
    reason = _reason(error, password)
    if isinstance(error, OperationFailure) and error.code in _AUTH_CODES:
        return (
            f"cannot log in to the MongoDB store {url}: {reason}. Check the user, "
            f"password and authSource in {_WHERE}."
        )
    if isinstance(error, ConnectionFailure):
        return (
            f"cannot reach the MongoDB store {url}: {reason}. Check that the "
            f"server is running and the URL in {_WHERE}."
        )
    if isinstance(error, InvalidURI | ValueError):
        return (
            f"malformed MongoDB store URL {url}: {reason}. Write it as "
            f"mongodb://user:password@host:port/database in {_WHERE}."
        )
    return f"cannot use the MongoDB store {url}: {reason}. Check the URL in {_WHERE}."


def _reported(
    method: Callable[Concatenate[MongoStore, P], T],
) -> Callable[Concatenate[MongoStore, P], T]:
    """Turn a lost server or a refused login into a StoreError the user can read."""

    @functools.wraps(method)
    def call(store: MongoStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(store, *args, **kwargs)
        except (ConnectionFailure, OperationFailure) as error:
            if isinstance(error, OperationFailure) and error.code not in _AUTH_CODES:
                raise
            raise StoreError(_explain(store.url, error, store._password)) from None

    return call


def _connect(url: str, given: Mapping[str, Any]) -> MongoClient[Document]:
    """A client that gives up quickly, unless the URL sets its own timeouts."""
    named = {name.lower() for name in given}
    timeouts: dict[str, Any] = {
        name: value for name, value in _TIMEOUTS_MS.items() if name.lower() not in named
    }
    return MongoClient(url, tz_aware=True, **timeouts)


def _micros(moment: datetime) -> int:
    return (moment.astimezone(UTC) - _EPOCH) // _MICROSECOND


def _job_document(job: Job) -> Document:
    # created_us orders jobs: BSON dates keep only milliseconds, too coarse
    # for jobs enqueued in a burst, and job ids do not break that tie in order.
    return {
        "_id": job.id,
        "kind": job.kind,
        "status": job.status.value,
        "params": job.params,
        "progress": _progress_document(job.progress),
        "message": job.message,
        "result": None,
        "error": None,
        "attempts": 0,
        "max_attempts": job.max_attempts,
        "cancel_requested": False,
        "worker_id": None,
        "lease_expires_at": None,
        "retry_of": job.retry_of,
        "created_at": job.created_at,
        "created_us": _micros(job.created_at),
        "started_at": None,
        "finished_at": None,
        "updated_at": job.updated_at,
        "log_lines": 0,
    }


def _progress_document(progress: Progress) -> Document:
    return progress.model_dump(exclude={"percent"})


def _job_from(document: Document) -> Job:
    return Job.model_validate({**document, "id": document["_id"]})


def _job_query(where: JobFilter) -> Document:
    query: Document = {}
    if where.statuses:
        query["status"] = {"$in": sorted(status.value for status in where.statuses)}
    if where.kinds:
        query["kind"] = {"$in": sorted(where.kinds)}
    if where.text:
        pattern = {"$regex": re.escape(where.text), "$options": "i"}
        query["$or"] = [{field: pattern} for field in ("_id", "message", "error")]
    return query


def _held(job_id: str, worker_id: str) -> Document:
    return {"_id": job_id, "worker_id": worker_id, "status": _RUNNING}


def _claim(worker_id: str, lease_seconds: float) -> list[Document]:
    """The update that makes a pending job running, as a one-stage pipeline."""
    now = utcnow()
    return [
        {
            "$set": {
                "status": _RUNNING,
                "worker_id": {"$literal": worker_id},
                "lease_expires_at": now + timedelta(seconds=lease_seconds),
                "attempts": {"$add": ["$attempts", 1]},
                "started_at": {"$ifNull": ["$started_at", now]},
                "updated_at": now,
            }
        }
    ]


def _expiry_status(document: Document) -> JobStatus:
    if document["cancel_requested"]:
        return JobStatus.CANCELLED
    if document["attempts"] >= document["max_attempts"]:
        return JobStatus.FAILED
    return JobStatus.PENDING


class MongoStore(Store):
    """The store in one MongoDB database; safe across threads, processes, hosts."""

    def __init__(self, url: str, *, log_cap: int = 5000, client: Any = None) -> None:
        self.url = redact(url)
        self.log_cap = log_cap
        self._password = _password(url)
        try:
            self._open(url, client)
        except (PyMongoError, ValueError) as error:
            raise StoreError(_explain(self.url, error, self._password)) from None

    def _open(self, url: str, client: Any) -> None:
        parsed = parse_uri(url)
        self._client = (
            client if client is not None else _connect(url, parsed["options"])
        )
        try:
            name = parsed["database"] or _DEFAULT_DATABASE
            self._db = self._client.get_database(name, codec_options=_CODEC)
            self._jobs: Collection[Document] = self._db["jobs"]
            self._logs: Collection[Document] = self._db["job_logs"]
            self._items: Collection[Document] = self._db["guidelines"]
            self._workers: Collection[Document] = self._db["workers"]
            self._set_up()
        except BaseException:
            self._client.close()
            raise

    def _set_up(self) -> None:
        self._client.admin.command("ping")
        meta = self._db["meta"]
        found = meta.find_one({"_id": "schema"})
        version = 0 if found is None else int(found["version"])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.url} was written by a newer medkb (schema "
                f"{version}, this medkb knows {SCHEMA_VERSION}); upgrade medkb "
                "or use another store."
            )

        self._create_indexes()
        meta.update_one(
            {"_id": "schema"}, {"$max": {"version": SCHEMA_VERSION}}, upsert=True
        )

    def _create_indexes(self) -> None:
        self._jobs.create_index([("status", ASCENDING), *_OLDEST_FIRST])
        self._jobs.create_index(_OLDEST_FIRST)
        self._jobs.create_index("updated_at")

        self._logs.create_index(
            [("job_id", ASCENDING), ("seq", ASCENDING)], unique=True
        )
        self._logs.create_index([("job_id", ASCENDING), ("at", ASCENDING)])

        key = [("topic", ASCENDING), ("language", ASCENDING)]
        self._items.create_index(key, unique=True)
        self._items.create_index("job_id")
        self._workers.create_index("heartbeat_at")

    # -- jobs: front ends --------------------------------------------------

    @_reported
    def create(self, job: Job) -> Job:
        self._jobs.insert_one(_job_document(job))
        return self.get(job.id)

    @_reported
    def get(self, job_id: str) -> Job:
        found = self._jobs.find_one({"_id": job_id})
        if found is None:
            raise JobNotFound(job_id)
        return _job_from(found)

    @_reported
    def list_jobs(
        self, where: JobFilter = JobFilter(), *, offset: int = 0, limit: int = 100
    ) -> list[Job]:
        if limit <= 0:  # pymongo reads limit 0 as "no limit"
            return []
        found = self._jobs.find(_job_query(where)).sort(_NEWEST_FIRST)
        return [_job_from(document) for document in found.skip(offset).limit(limit)]

    @_reported
    def count_jobs(self, where: JobFilter = JobFilter()) -> int:
        return self._jobs.count_documents(_job_query(where))

    @_reported
    def changes_since(self, since: datetime) -> list[Job]:
        # BSON dates keep milliseconds: start at the millisecond of `since`, or
        # a change later in that same millisecond would be skipped.
        start = since.replace(microsecond=since.microsecond // 1000 * 1000)
        found = self._jobs.find({"updated_at": {"$gte": start}})
        order = [("updated_at", ASCENDING), ("_id", ASCENDING)]
        return [_job_from(document) for document in found.sort(order)]

    @_reported
    def request_cancel(self, job_id: str) -> Job:
        check_transition(JobStatus.PENDING, JobStatus.CANCELLED)
        now = utcnow()
        cancelled = self._jobs.update_one(
            {"_id": job_id, "status": _PENDING},
            {
                "$set": {
                    "status": JobStatus.CANCELLED.value,
                    "cancel_requested": True,
                    "finished_at": now,
                    "updated_at": now,
                    "message": "Cancelled",
                }
            },
        )

        # Not pending (any more): if it runs, flag it for its worker.
        if cancelled.matched_count == 0:
            self._jobs.update_one(
                {"_id": job_id, "status": _RUNNING},
                {"$set": {"cancel_requested": True, "updated_at": now}},
            )
        return self.get(job_id)

    # -- jobs: workers -----------------------------------------------------

    @_reported
    def claim_next(
        self, worker_id: str, lease_seconds: float, kinds: Iterable[str]
    ) -> Job | None:
        wanted = sorted(kinds)
        if not wanted:
            return None

        check_transition(JobStatus.PENDING, JobStatus.RUNNING)
        claimed = self._jobs.find_one_and_update(
            {"status": _PENDING, "kind": {"$in": wanted}},
            _claim(worker_id, lease_seconds),
            sort=_OLDEST_FIRST,
            return_document=ReturnDocument.AFTER,
        )
        return None if claimed is None else _job_from(claimed)

    @_reported
    def has_pending(self, kinds: Iterable[str]) -> bool:
        query = {"status": _PENDING, "kind": {"$in": sorted(kinds)}}
        return self._jobs.find_one(query, {"_id": 1}) is not None

    @_reported
    def extend_leases(
        self, worker_id: str, job_ids: Sequence[str], lease_seconds: float
    ) -> list[LeaseState]:
        if not job_ids:
            return []

        held_by = {
            "_id": {"$in": list(job_ids)},
            "worker_id": worker_id,
            "status": _RUNNING,
        }
        until = utcnow() + timedelta(seconds=lease_seconds)
        self._jobs.update_many(held_by, {"$set": {"lease_expires_at": until}})

        found = self._jobs.find(held_by, {"cancel_requested": 1})
        held = {document["_id"]: document["cancel_requested"] for document in found}
        return [
            LeaseState(job_id, job_id in held, bool(held.get(job_id, False)))
            for job_id in job_ids
        ]

    @_reported
    def record_progress(
        self, job_id: str, worker_id: str, progress: Progress, message: str
    ) -> bool:
        changes = {
            "progress": _progress_document(progress),
            "message": message,
            "updated_at": utcnow(),
        }
        written = self._jobs.update_one(_held(job_id, worker_id), {"$set": changes})
        return written.matched_count == 1

    @_reported
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

        now = utcnow()
        changes: Document = {
            "status": status.value,
            "result": result,
            "error": error,
            "finished_at": now,
            "updated_at": now,
            "lease_expires_at": None,
        }
        if message is not None:
            changes["message"] = message
        written = self._jobs.update_one(_held(job_id, worker_id), {"$set": changes})
        return written.matched_count == 1

    @_reported
    def release(self, job_id: str, worker_id: str) -> bool:
        check_transition(JobStatus.RUNNING, JobStatus.PENDING)
        give_back = {
            "status": _PENDING,
            "worker_id": None,
            "lease_expires_at": None,
            "attempts": {"$max": [{"$subtract": ["$attempts", 1]}, 0]},
            "message": "Requeued: its worker stopped",
            "updated_at": utcnow(),
        }
        written = self._jobs.update_one(_held(job_id, worker_id), [{"$set": give_back}])
        return written.matched_count == 1

    @_reported
    def requeue_expired(self) -> Requeued:
        now = utcnow()
        expired = self._jobs.find(
            {"status": _RUNNING, "lease_expires_at": {"$lt": now}},
            {"attempts": 1, "max_attempts": 1, "cancel_requested": 1},
        )

        outcome = Requeued()
        for document in list(expired):
            status = _expiry_status(document)
            if self._expire_as(document["_id"], status, now):
                moved = (
                    outcome.pending if status is JobStatus.PENDING else outcome.failed
                )
                moved.append(document["_id"])
        return outcome

    def _expire_as(self, job_id: str, status: JobStatus, now: datetime) -> bool:
        check_transition(JobStatus.RUNNING, status)
        message, error, finished = _EXPIRY[status]
        changes: Document = {
            "status": status.value,
            "message": message,
            "worker_id": None,
            "lease_expires_at": None,
            "finished_at": now if finished else None,
            "updated_at": now,
        }
        if error is not None:
            changes["error"] = error

        # Only while still expired: its worker may have renewed it meanwhile.
        still_expired = {
            "_id": job_id,
            "status": _RUNNING,
            "lease_expires_at": {"$lt": now},
        }
        written = self._jobs.update_one(still_expired, {"$set": changes})
        return written.matched_count == 1

    # -- logs and items ----------------------------------------------------

    @_reported
    def append_logs(self, job_id: str, lines: Sequence[tuple[str, str]]) -> None:
        if not lines:
            return

        # Three writes, not one transaction: a crash between them leaves a
        # gap in the sequence numbers, which readers paging by seq step over.
        last = self._count_log_lines(job_id, len(lines))
        first, now = last - len(lines) + 1, utcnow()
        self._logs.insert_many(
            [
                {
                    "job_id": job_id,
                    "seq": first + n,
                    "at": now,
                    "level": level,
                    "message": message,
                }
                for n, (level, message) in enumerate(lines)
            ]
        )
        self._logs.delete_many({"job_id": job_id, "seq": {"$lte": last - self.log_cap}})

    def _count_log_lines(self, job_id: str, added: int) -> int:
        """Reserve sequence numbers for new lines; the last one reserved."""
        counted = self._jobs.find_one_and_update(
            {"_id": job_id},
            {"$inc": {"log_lines": added}},
            projection={"log_lines": 1},
            return_document=ReturnDocument.AFTER,
        )
        if counted is None:
            raise JobNotFound(job_id)
        return int(counted["log_lines"])

    @_reported
    def logs(
        self, job_id: str, *, after: int = 0, limit: int = 500, tail: int | None = None
    ) -> list[LogLine]:
        if tail is not None:
            found = self._log_tail(job_id, tail)
        elif limit <= 0:  # pymongo reads limit 0 as "no limit"
            found = []
        else:
            query = {"job_id": job_id, "seq": {"$gt": after}}
            found = list(self._logs.find(query).sort("seq", ASCENDING).limit(limit))
        return [LogLine.model_validate(document) for document in found]

    def _log_tail(self, job_id: str, tail: int) -> list[Document]:
        if tail <= 0:
            return []
        newest = self._logs.find({"job_id": job_id}).sort("seq", DESCENDING)
        return list(newest.limit(tail))[::-1]

    @_reported
    def save_items(self, job_id: str, items: Sequence[Item]) -> None:
        if not items:
            return
        now = utcnow()
        self._upsert_items(
            [
                (
                    {"topic": item.topic, "language": item.language},
                    {"$set": {"job_id": job_id, "data": item.data, "saved_at": now}},
                )
                for item in items
            ]
        )

    def _upsert_items(self, changes: list[tuple[Document, Document]]) -> None:
        if isinstance(self._items, Collection):
            upserts = [UpdateOne(key, change, upsert=True) for key, change in changes]
            self._items.bulk_write(upserts)
            return

        # mongomock 4.3, which the tests use, cannot run pymongo's UpdateOne in
        # bulk_write (it rejects the `sort` option pymongo now passes), so a
        # stand-in collection gets the same upserts one at a time.
        for key, change in changes:
            self._items.update_one(key, change, upsert=True)

    @_reported
    def saved_keys(self, job_id: str) -> frozenset[tuple[str, str]]:
        found = self._items.find({"job_id": job_id}, {"topic": 1, "language": 1})
        return frozenset(
            (document["topic"], document["language"]) for document in found
        )

    @_reported
    def get_item(self, topic: str, language: str) -> Item | None:
        found = self._items.find_one({"topic": topic, "language": language})
        return None if found is None else Item.model_validate(found)

    @_reported
    def list_items(
        self, *, language: str | None = None, topics: Iterable[str] | None = None
    ) -> list[Item]:
        query: Document = {}
        if language is not None:
            query["language"] = language
        if topics is not None:
            query["topic"] = {"$in": sorted(topics)}

        found = self._items.find(query).sort(
            [("topic", ASCENDING), ("language", ASCENDING)]
        )
        return [Item.model_validate(document) for document in found]

    @_reported
    def delete_items(self, keys: Iterable[tuple[str, str]]) -> int:
        wanted = [{"topic": topic, "language": language} for topic, language in keys]
        if not wanted:
            return 0
        return self._items.delete_many({"$or": wanted}).deleted_count

    # -- workers and housekeeping ------------------------------------------

    @_reported
    def heartbeat(self, worker: WorkerInfo) -> bool:
        found = self._workers.find_one_and_update(
            {"_id": worker.id},
            {
                "$set": worker.model_dump(exclude={"id", "stop_requested"}),
                "$setOnInsert": {"stop_requested": False},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return found is not None and bool(found["stop_requested"])

    @_reported
    def live_workers(self, max_age_seconds: float) -> list[WorkerInfo]:
        since = utcnow() - timedelta(seconds=max_age_seconds)
        found = self._workers.find({"heartbeat_at": {"$gte": since}}).sort("_id")
        return [
            WorkerInfo.model_validate({**document, "id": document["_id"]})
            for document in found
        ]

    @_reported
    def request_worker_stop(self, worker_id: str) -> bool:
        asked = self._workers.update_one(
            {"_id": worker_id}, {"$set": {"stop_requested": True}}
        )
        return asked.matched_count == 1

    @_reported
    def remove_worker(self, worker_id: str) -> None:
        self._workers.delete_one({"_id": worker_id})

    @_reported
    def prune(self, finished_before: datetime) -> int:
        done = sorted(status.value for status in FINISHED)
        old = {"status": {"$in": done}, "finished_at": {"$lt": finished_before}}
        ids = [document["_id"] for document in self._jobs.find(old, {"_id": 1})]

        # Logs first: a crash halfway leaves jobs that the next prune takes.
        self._logs.delete_many({"job_id": {"$in": ids}})
        pruned = self._jobs.delete_many({"_id": {"$in": ids}}).deleted_count
        self._workers.delete_many({"heartbeat_at": {"$lt": finished_before}})
        return pruned

    @_reported
    def drop_database(self) -> None:
        """Delete the store's whole database; for tests against a real server."""
        self._client.drop_database(self._db.name)

    def close(self) -> None:
        self._client.close()
