"""What a person types in the filter box, as a store query; and job orders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.jobs import Job, JobStatus
from core.store import JobFilter
from tui.job_timing import average_eta_seconds, elapsed_seconds

FILTER_HINT = "words, status:failed, kind:translate"


class FilterError(ValueError):
    """A filter that names something that does not exist; fit to show."""


def parse_filter(text: str) -> JobFilter:
    """Words match id, message and error; status:X and kind:Y narrow the jobs.

    A status may be cut short (`status:fail`) and both take comma lists
    (`status:failed,cancelled`).
    """
    statuses: set[JobStatus] = set()
    kinds: set[str] = set()
    words: list[str] = []
    for token in text.split():
        name, colon, value = token.partition(":")
        if colon and name.lower() == "status":
            statuses.update(_status_named(part) for part in _parts(value))
        elif colon and name.lower() == "kind":
            kinds.update(part.lower() for part in _parts(value))
        else:
            words.append(token)
    return JobFilter(frozenset(statuses), frozenset(kinds), " ".join(words))


def _parts(value: str) -> list[str]:
    return [part for part in value.split(",") if part]


def _status_named(word: str) -> JobStatus:
    found = [status for status in JobStatus if status.value.startswith(word.lower())]
    if len(found) != 1:
        known = ", ".join(status.value for status in JobStatus)
        raise FilterError(f"unknown status {word!r}; use one of {known}")
    return found[0]


def matches(job: Job, where: JobFilter) -> bool:
    """Whether the store would list the job under this filter."""
    if where.statuses and job.status not in where.statuses:
        return False
    if where.kinds and job.kind not in where.kinds:
        return False
    text = where.text.lower()
    fields = (job.id, job.message, job.error or "")
    return not text or any(text in field.lower() for field in fields)


# -- orders ---------------------------------------------------------------

SortKey = Callable[[Job, datetime], Any]
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_STATUS_RANK = {status: rank for rank, status in enumerate(JobStatus)}


def _eta_key(job: Job, now: datetime) -> float:
    eta = average_eta_seconds(job, now)
    return float("inf") if eta is None else eta


SORT_KEYS: dict[str, SortKey] = {
    "id": lambda job, now: job.id,
    "kind": lambda job, now: job.kind,
    "status": lambda job, now: _STATUS_RANK[job.status],
    "progress": lambda job, now: job.progress.percent,
    "done": lambda job, now: job.progress.done,
    "started": lambda job, now: job.started_at or _EARLIEST,
    "elapsed": lambda job, now: elapsed_seconds(job, now) or 0.0,
    "eta": _eta_key,
    "message": lambda job, now: job.message.lower(),
}


@dataclass(frozen=True)
class JobOrder:
    """How the jobs table is sorted; no column means newest first."""

    column: str | None = None
    descending: bool = False

    @property
    def newest_first(self) -> bool:
        return self.column is None

    def reversed(self) -> JobOrder:
        return JobOrder(self.column, not self.descending)


def sort_jobs(jobs: list[Job], order: JobOrder, now: datetime) -> list[Job]:
    """The jobs in that order; ties stay newest first."""
    if order.column is None:
        return jobs
    key = SORT_KEYS[order.column]
    return sorted(jobs, key=lambda job: key(job, now), reverse=order.descending)
