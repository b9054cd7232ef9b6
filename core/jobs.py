"""Jobs: their model, their states and the only transitions between them."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, computed_field

# Crockford base32: ids sort by time as plain strings.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


class JobStatus(StrEnum):
    """Where a job is in its life."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})

TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.RUNNING, JobStatus.CANCELLED}),
    JobStatus.RUNNING: frozenset(
        {
            JobStatus.COMPLETED,
            JobStatus.FAILED,
            JobStatus.CANCELLED,
            JobStatus.PENDING,
        }
    ),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A status change DESIGN.md does not allow; always a bug."""


def check_transition(old: JobStatus, new: JobStatus) -> None:
    """Raise IllegalTransition unless old -> new is one of the job's legal moves."""
    if new not in TRANSITIONS[old]:
        raise IllegalTransition(f"a job cannot go from {old} to {new}")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_job_id(kind: str) -> str:
    """A short id that names its kind and sorts by creation time."""
    millis = time.time_ns() // 1_000_000
    stamp = _encode(millis, 9)
    noise = _encode(int.from_bytes(os.urandom(4)), 6)  # 30 random bits
    return f"{kind}-{stamp}{noise}"


def _encode(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


class PartProgress(BaseModel):
    """Progress of one part of a job, e.g. one language of a translation."""

    done: int = 0
    total: int = 0
    failed: int = 0


class Progress(BaseModel):
    """How far a job has come; parts break it down (per language, per topic)."""

    done: int = 0
    total: int = 0
    parts: dict[str, PartProgress] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def percent(self) -> float:
        if self.total <= 0:
            return 0.0
        return round(min(100.0, 100.0 * self.done / self.total), 1)


class Job(BaseModel):
    """One unit of background work, as the store keeps it."""

    id: str
    kind: str
    status: JobStatus = JobStatus.PENDING
    params: dict[str, Any] = Field(default_factory=dict)
    progress: Progress = Field(default_factory=Progress)
    message: str = ""
    result: dict[str, Any] | None = None
    error: str | None = None
    attempts: int = 0
    max_attempts: int = 3
    cancel_requested: bool = False
    worker_id: str | None = None
    lease_expires_at: datetime | None = None
    retry_of: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)

    @classmethod
    def new(
        cls,
        kind: str,
        params: dict[str, Any],
        *,
        max_attempts: int = 3,
        retry_of: str | None = None,
    ) -> Job:
        """A fresh pending job; params must already be validated for the kind."""
        now = utcnow()
        return cls(
            id=new_job_id(kind),
            kind=kind,
            params=params,
            max_attempts=max_attempts,
            retry_of=retry_of,
            created_at=now,
            updated_at=now,
        )


class Item(BaseModel):
    """A finished piece of a job's output, keyed by topic and language."""

    topic: str
    language: str
    data: dict[str, Any]
    job_id: str | None = None
    saved_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.topic, self.language)


class LogLine(BaseModel):
    """One line of a job's own log."""

    seq: int
    at: datetime
    level: str
    message: str


class WorkerInfo(BaseModel):
    """A live worker as it announces itself in the store."""

    id: str
    host: str
    pid: int
    concurrency: int
    started_at: datetime
    heartbeat_at: datetime
    jobs: list[str] = Field(default_factory=list)
    ready_processes: int = 0
    stop_requested: bool = False
