"""What the dashboard does to jobs: start, cancel and retry, asking first.

Each refuses in read-only mode, asks with a y/n dialog where a slip of a
key would cost work, and writes to the store in a thread so the screen
never waits on it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from core.jobs import FINISHED, Job, JobStatus
from core.llm.provider import chosen_provider
from core.store import JobNotFound
from core.tasks.registry import InvalidParams, UnknownKind, validate_params
from tui.screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from tui.app import MedkbApp

RETRYABLE = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})


def start_job(app: MedkbApp, kind: str, raw: dict[str, Any], what: str) -> bool:
    """Validate params and enqueue a job; False (and a notice) if invalid."""
    if app.refuse_in_read_only(f"start {what}"):
        return False
    try:
        params = validate_params(
            kind, {**raw, "provider": chosen_provider(app.settings)}
        )
    except (InvalidParams, UnknownKind) as error:
        app.tell(f"{error}.", "error")
        return False
    job = Job.new(kind, params, max_attempts=app.settings.max_attempts)
    app.run_worker(partial(_create, app, job, f"Started {what}: {{id}}."), thread=True)
    return True


def ask_to_cancel(app: MedkbApp, job: Job | None) -> None:
    """Ask y/n, then cancel a pending job or ask a running one's worker to stop."""
    if job is None or app.refuse_in_read_only("cancel jobs"):
        return
    if job.status in FINISHED:
        app.tell(f"Job {job.id} is already {job.status}; nothing to cancel.")
        return
    question = f"Cancel {job.kind} job {job.id}?"
    if job.status is JobStatus.RUNNING:
        question += " Its worker stops it within seconds; saved guidelines stay."
    app.push_screen(
        ConfirmScreen(question, yes="Cancel the job", no="Keep it running"),
        partial(_when_confirmed, app, partial(_cancel, app, job.id)),
    )


def ask_to_retry(app: MedkbApp, job: Job | None) -> None:
    """Ask y/n, then enqueue a failed or cancelled job again as a new job."""
    if job is None or app.refuse_in_read_only("retry jobs"):
        return
    if job.status not in RETRYABLE:
        app.tell(
            f"Job {job.id} is {job.status}; only failed or cancelled jobs are retried."
        )
        return
    again = Job.new(
        job.kind, job.params, max_attempts=job.max_attempts, retry_of=job.id
    )
    app.push_screen(
        ConfirmScreen(f"Run {job.kind} job {job.id} again as a new job?", yes="Retry"),
        partial(
            _when_confirmed,
            app,
            partial(_create, app, again, f"Retrying {job.id} as {{id}}."),
        ),
    )


def _when_confirmed(
    app: MedkbApp, write: partial[None], confirmed: bool | None
) -> None:
    if confirmed:
        app.run_worker(write, thread=True)


def _create(app: MedkbApp, job: Job, said: str) -> None:
    """Store a new job (in a thread) and make sure a worker will take it."""
    try:
        app.store.create(job)
    except app.store.transient_errors as error:
        app.tell(f"Could not enqueue the job: {error}", "error")
        return
    app.tell(said.format(id=job.id))
    app.poller.wake()
    app.serve_jobs()


def _cancel(app: MedkbApp, job_id: str) -> None:
    """Cancel in the store (in a thread) and say what happened."""
    try:
        job = app.store.request_cancel(job_id)
    except JobNotFound:
        app.tell(f"Job {job_id} is no longer in the store.", "warning")
        return
    except app.store.transient_errors as error:
        app.tell(f"Could not cancel {job_id}: {error}", "error")
        return
    if job.status is JobStatus.CANCELLED:
        app.tell(f"Cancelled {job_id}.")
    elif job.status in FINISHED:
        app.tell(f"Job {job_id} had already {job.status} first.")
    else:
        app.tell(f"Asked {job_id} to stop; its worker cancels it within seconds.")
    app.poller.wake()
