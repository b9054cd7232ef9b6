"""How long a job has run, how fast it goes lately, and how long it has left."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from core.jobs import Job, JobStatus

#: the item rate is measured over the progress seen in this last stretch
RATE_WINDOW = timedelta(seconds=60)


def elapsed_seconds(job: Job, now: datetime) -> float | None:
    """Seconds from start to finish, or to now while it runs."""
    if job.started_at is None:
        return None
    end = job.finished_at or now
    return max(0.0, (end - job.started_at).total_seconds())


def average_eta_seconds(job: Job, now: datetime) -> float | None:
    """Time left at the job's average pace since it started."""
    elapsed = elapsed_seconds(job, now)
    if not _has_left(job) or not elapsed or job.progress.done <= 0:
        return None
    return _remaining(job) * elapsed / job.progress.done


def _has_left(job: Job) -> bool:
    return job.status is JobStatus.RUNNING and job.progress.total > 0


def _remaining(job: Job) -> int:
    return max(0, job.progress.total - job.progress.done)


class ItemRates:
    """Progress samples of running jobs, from each update the dashboard sees.

    The ETA uses the rate over the last minute of samples, which follows a
    job that speeds up or slows down (rate limits, a slow language); until
    there are two samples it falls back to the average since the start.
    """

    def __init__(self) -> None:
        self._samples: dict[str, deque[tuple[datetime, int]]] = {}

    def observe(self, job: Job) -> None:
        """Record the job's progress as of its last update."""
        if job.status is not JobStatus.RUNNING:
            self._samples.pop(job.id, None)
            return
        samples = self._samples.setdefault(job.id, deque())
        if samples and samples[-1][0] >= job.updated_at:
            return
        samples.append((job.updated_at, job.progress.done))
        while samples[0][0] < job.updated_at - RATE_WINDOW:
            samples.popleft()

    def items_per_second(self, job: Job, now: datetime) -> float | None:
        """The recent rate up to now, if the samples show one.

        Measured up to now rather than to the last sample, so a job that has
        stalled (waiting for a rate limit, say) slows down as the stall goes on.
        """
        samples = self._samples.get(job.id)
        if not samples or len(samples) < 2:
            return None
        (first_at, first_done), (last_at, last_done) = samples[0], samples[-1]
        span = (max(now, last_at) - first_at).total_seconds()
        if (last_at - first_at).total_seconds() < 1.0 or last_done <= first_done:
            return None
        return (last_done - first_done) / span

    def eta_seconds(self, job: Job, now: datetime) -> float | None:
        """Seconds left at the recent rate, or at the average one."""
        if not _has_left(job):
            return None
        rate = self.items_per_second(job, now)
        if rate is None:
            return average_eta_seconds(job, now)
        return _remaining(job) / rate
