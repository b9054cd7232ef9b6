"""The store contract: every backend keeps these promises.

The store is the only source of truth and the only channel between front
ends and workers. Every method is safe to call from several processes at
once; the ones that change a running job take the worker id and do
nothing unless that worker holds the job's lease.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.jobs import Item, Job, JobStatus, LogLine, Progress, WorkerInfo

SCHEMA_VERSION = 1


class StoreError(Exception):
    """A store that cannot be used; the message names it and says what to do."""


class JobNotFound(LookupError):
    """No job has that id."""


@dataclass(frozen=True)
class JobFilter:
    """What `list_jobs` selects; empty fields select everything."""

    statuses: frozenset[JobStatus] = frozenset()
    kinds: frozenset[str] = frozenset()
    text: str = ""


@dataclass(frozen=True)
class LeaseState:
    """What a heartbeat learns about one job it holds."""

    job_id: str
    held: bool
    cancel_requested: bool = False


@dataclass
class Requeued:
    """Jobs whose lease ran out: back to pending, or failed when out of attempts."""

    pending: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Store(ABC):
    """Jobs, their logs, the items they produce, and the live workers."""

    url: str
    #: errors worth a retry in a long-running loop (server gone for a moment)
    transient_errors: tuple[type[Exception], ...] = (StoreError,)

    # -- jobs: front ends -------------------------------------------------

    @abstractmethod
    def create(self, job: Job) -> Job:
        """Insert a new pending job and return it as stored."""

    @abstractmethod
    def get(self, job_id: str) -> Job:
        """The job with that id; raises JobNotFound."""

    @abstractmethod
    def list_jobs(
        self, where: JobFilter = JobFilter(), *, offset: int = 0, limit: int = 100
    ) -> list[Job]:
        """Jobs newest first, filtered, one page at a time."""

    @abstractmethod
    def count_jobs(self, where: JobFilter = JobFilter()) -> int:
        """How many jobs `list_jobs` would page through."""

    @abstractmethod
    def changes_since(self, since: datetime) -> list[Job]:
        """Jobs updated at or after `since`, oldest change first.

        Callers keep the newest `updated_at` they saw and ask again from
        it; a job seen twice is harmless, a change is never skipped.
        """

    @abstractmethod
    def request_cancel(self, job_id: str) -> Job:
        """Cancel a pending job at once, or flag a running one for its worker.

        A finished job is returned unchanged. Raises JobNotFound.
        """

    # -- jobs: workers ----------------------------------------------------

    @abstractmethod
    def claim_next(
        self, worker_id: str, lease_seconds: float, kinds: Iterable[str]
    ) -> Job | None:
        """Atomically take the oldest pending job of these kinds, or None.

        The job becomes running, leased to the worker until now +
        lease_seconds, with its attempt counted. No two callers ever get
        the same job.
        """

    @abstractmethod
    def has_pending(self, kinds: Iterable[str]) -> bool:
        """Whether a claim could find something; cheap enough to poll."""

    @abstractmethod
    def extend_leases(
        self, worker_id: str, job_ids: Sequence[str], lease_seconds: float
    ) -> list[LeaseState]:
        """Renew the worker's leases; say which it still holds and which to cancel."""

    @abstractmethod
    def record_progress(
        self, job_id: str, worker_id: str, progress: Progress, message: str
    ) -> bool:
        """Replace the job's progress and message if the worker holds it."""

    @abstractmethod
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
        """End a running job the worker holds; False if the lease was lost."""

    @abstractmethod
    def release(self, job_id: str, worker_id: str) -> bool:
        """Give a held job back to pending without counting the attempt."""

    @abstractmethod
    def requeue_expired(self) -> Requeued:
        """Put running jobs whose lease ran out back to pending (or failed)."""

    # -- logs and items ---------------------------------------------------

    @abstractmethod
    def append_logs(self, job_id: str, lines: Sequence[tuple[str, str]]) -> None:
        """Add (level, message) lines to a job's log, keeping only the newest cap."""

    @abstractmethod
    def logs(
        self, job_id: str, *, after: int = 0, limit: int = 500, tail: int | None = None
    ) -> list[LogLine]:
        """A job's log lines in order: after a sequence number, or the last `tail`."""

    @abstractmethod
    def save_items(self, job_id: str, items: Sequence[Item]) -> None:
        """Upsert items by (topic, language): never a duplicate, never a loss."""

    @abstractmethod
    def saved_keys(self, job_id: str) -> frozenset[tuple[str, str]]:
        """The (topic, language) keys this job has saved; a resume skips them."""

    @abstractmethod
    def get_item(self, topic: str, language: str) -> Item | None:
        """One saved item, or None."""

    @abstractmethod
    def list_items(
        self, *, language: str | None = None, topics: Iterable[str] | None = None
    ) -> list[Item]:
        """Saved items, optionally of one language and some topics."""

    @abstractmethod
    def delete_items(self, keys: Iterable[tuple[str, str]]) -> int:
        """Remove items by key; returns how many went."""

    # -- workers and housekeeping -----------------------------------------

    @abstractmethod
    def heartbeat(self, worker: WorkerInfo) -> bool:
        """Record that a worker is alive; returns whether it was asked to stop."""

    @abstractmethod
    def live_workers(self, max_age_seconds: float) -> list[WorkerInfo]:
        """Workers whose last heartbeat is at most that old."""

    @abstractmethod
    def request_worker_stop(self, worker_id: str) -> bool:
        """Ask a worker to stop at its next heartbeat; False if unknown."""

    @abstractmethod
    def remove_worker(self, worker_id: str) -> None:
        """Forget a worker that has stopped."""

    @abstractmethod
    def prune(self, finished_before: datetime) -> int:
        """Delete jobs finished before the cutoff, with their logs; count them."""

    @abstractmethod
    def close(self) -> None:
        """Release connections; the store is not used again."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
