"""The supervisor: claims jobs, runs them in a process pool, persists events.

One supervisor runs in each `medkb worker`. It is single-threaded apart
from the thread that accepts child connections: a loop that receives
child events, saves items before counting them, writes coalesced
progress and batched logs, renews leases, and enforces cancels.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection, Listener, wait
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any

from pebble import ProcessExpired, ProcessFuture, ProcessPool

from core.engine.child import STOP_SIGNAL, init_child, nothing, run_job
from core.engine.events import (
    Event,
    Failed,
    Finished,
    ItemReady,
    Logged,
    ProgressMade,
    Started,
    Stopped,
)
from core.jobs import Item, Job, JobStatus, PartProgress, Progress, WorkerInfo
from core.settings import Settings, scrub
from core.store.base import Store
from core.tasks.registry import kinds, spec_for

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.25  # at most ~4 progress writes a second a job
CANCEL_POLL = 0.2
CLAIM_POLL = 0.05
REQUEUE_INTERVAL = 1.0
PRUNE_INTERVAL = 3600.0
MAX_EVENTS_PER_TICK = 5000


@dataclass
class RunningJob:
    """What the supervisor knows of one job it runs."""

    job: Job
    future: ProcessFuture[str]
    pid: int | None = None
    stop_reason: str | None = None  # "cancel", "shutdown" or "lease lost"
    stop_sent_at: float | None = None
    killed: bool = False
    progress: ProgressMade | None = None
    progress_written_at: float = 0.0
    logs: list[tuple[str, str]] = field(default_factory=list)
    outcome: Finished | Failed | Stopped | None = None


class Supervisor:
    """Runs jobs from one store in a pool of child processes."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        concurrency: int | None = None,
        idle_exit: float | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.concurrency = concurrency or settings.concurrency
        self.idle_exit = idle_exit
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{os.urandom(2).hex()}"
        self.secrets = settings.secret_values(store.url)
        self.running: dict[str, RunningJob] = {}
        self.stopping = False
        self._grace = settings.cancel_grace
        self._channels: list[Connection] = []
        self._new_channels: SimpleQueue[Connection] = SimpleQueue()
        self._started_at = datetime.now(UTC)
        self._last_busy = time.monotonic()
        self._next: dict[str, float] = defaultdict(float)

    # -- life cycle --------------------------------------------------------

    def run(self) -> int:
        """Serve until stopped (signal, `medkb worker stop`, idle exit); exit code."""
        self._open_pool()
        log.info(
            "worker %s serving %s with %d processes",
            self.worker_id,
            self.store.url,
            self.concurrency,
        )
        try:
            self._heartbeat()
            self._prune()
            while not self.stopping:
                self._tick()
            self._wind_down()
        finally:
            self._close_pool()
        log.info("worker %s stopped", self.worker_id)
        return 0

    def request_stop(self, *, now: bool = False) -> None:
        """Stop claiming and wind down; `now` skips the grace period."""
        if now or self.stopping:
            self._grace = 0.0
        self.stopping = True

    def _open_pool(self) -> None:
        self._socket_dir = tempfile.mkdtemp(prefix="medkb-")
        address = str(Path(self._socket_dir) / "events")
        authkey = os.urandom(32)
        self._listener = Listener(address, family="AF_UNIX", authkey=authkey)
        threading.Thread(target=self._accept, daemon=True, name="accept").start()
        self._pool = ProcessPool(
            max_workers=self.concurrency,
            context=multiprocessing.get_context("spawn"),
            initializer=init_child,
            initargs=(address, authkey, self.settings.task_modules),
        )
        # Start the children now, so they are warm when the first job comes.
        self._pool.schedule(nothing)

    def _accept(self) -> None:
        while True:
            try:
                self._new_channels.put(self._listener.accept())
            except (OSError, EOFError):
                return
            except Exception:  # a stray connection with a wrong key
                log.warning("refused a connection to the event socket")

    def _close_pool(self) -> None:
        self._pool.stop()
        self._pool.join(timeout=10)
        self._listener.close()
        for channel in self._channels:
            channel.close()
        self._forget_worker()
        _remove_tree(Path(self._socket_dir))

    def _forget_worker(self) -> None:
        try:
            self.store.remove_worker(self.worker_id)
        except self.store.transient_errors as error:
            log.warning("could not remove worker record: %s", error)

    def _wind_down(self) -> None:
        """Ask running jobs to stop, give them the grace, requeue what is left."""
        for running in list(self.running.values()):
            if running.stop_reason is None:
                self._ask_to_stop(running, "shutdown")
        deadline = time.monotonic() + self._grace + 2.0
        while self.running and time.monotonic() < deadline:
            self._tick()
        for running in list(self.running.values()):
            running.future.cancel()
            self._conclude_without_word(running)  # a user's cancel still wins

    # -- the loop ------------------------------------------------------------

    def _tick(self) -> None:
        try:
            self._receive_and_apply(timeout=CLAIM_POLL)
            self._settle()
            self._every("flush", PROGRESS_INTERVAL, self._flush_all)
            self._every("cancels", CANCEL_POLL, self._check_cancels)
            self._every("heartbeat", self.settings.heartbeat_seconds, self._heartbeat)
            self._every("requeue", REQUEUE_INTERVAL, self._requeue_expired)
            self._every("prune", PRUNE_INTERVAL, self._prune)
            self._enforce_grace()
            if not self.stopping:
                self._claim()
                self._check_idle()
        except self.store.transient_errors as error:
            log.warning("store error, retrying in 1 s: %s", error)
            time.sleep(1.0)

    def _every(self, name: str, interval: float, action: Any) -> None:
        now = time.monotonic()
        if now >= self._next[name]:
            self._next[name] = now + interval
            action()

    # -- events --------------------------------------------------------------

    def _receive_and_apply(self, timeout: float) -> None:
        events = self._receive(timeout)
        items: dict[str, list[Item]] = defaultdict(list)
        for event in events:
            self._apply(event, items)
        for job_id, batch in items.items():
            self.store.save_items(job_id, batch)

    def _receive(self, timeout: float) -> list[Event]:
        self._adopt_new_channels()
        if not self._channels:
            time.sleep(timeout)
            return []
        events: list[Event] = []
        for channel in wait(self._channels, timeout):
            assert isinstance(channel, Connection)
            self._drain(channel, events)
        return events

    def _adopt_new_channels(self) -> None:
        while True:
            try:
                self._channels.append(self._new_channels.get_nowait())
            except Empty:
                return

    def _drain(self, channel: Connection, events: list[Event]) -> None:
        try:
            while len(events) < MAX_EVENTS_PER_TICK and channel.poll():
                events.append(channel.recv())
        except (EOFError, OSError):
            self._channels.remove(channel)
            channel.close()

    def _apply(self, event: Event, items: dict[str, list[Item]]) -> None:
        running = self.running.get(getattr(event, "job_id", ""))
        if running is None:
            return
        if isinstance(event, ItemReady):
            item = Item(topic=event.topic, language=event.language, data=event.data)
            items[event.job_id].append(item)
        elif isinstance(event, ProgressMade):
            running.progress = event
        elif isinstance(event, Logged):
            running.logs.append((event.level, scrub(event.message, self.secrets)))
        elif isinstance(event, Started):
            self._on_started(running, event.pid)
        elif isinstance(event, Finished | Failed | Stopped):
            running.outcome = event

    def _on_started(self, running: RunningJob, pid: int) -> None:
        running.pid = pid
        if running.stop_reason is not None:
            _signal(pid, STOP_SIGNAL)

    # -- writing -------------------------------------------------------------

    def _flush_all(self) -> None:
        for running in self.running.values():
            self._flush(running)

    def _flush(self, running: RunningJob) -> None:
        job_id = running.job.id
        if running.logs:
            self.store.append_logs(job_id, running.logs)
            running.logs = []
        event = running.progress
        if event is not None:
            progress = Progress(
                done=event.done,
                total=event.total,
                parts={k: PartProgress(**v) for k, v in event.parts.items()},
            )
            message = scrub(event.message, self.secrets)
            self.store.record_progress(job_id, self.worker_id, progress, message)
            running.progress = None
            running.progress_written_at = time.monotonic()

    # -- ending jobs ---------------------------------------------------------

    def _settle(self) -> None:
        for running in list(self.running.values()):
            if running.outcome is None and running.future.done():
                self._receive_and_apply(timeout=0)
            if running.outcome is not None:
                self._conclude(running, running.outcome)
            elif running.future.done():
                self._conclude_without_word(running)

    def _conclude(self, running: RunningJob, outcome: Event) -> None:
        self._flush(running)
        job_id = running.job.id
        if isinstance(outcome, Finished):
            self._finish(
                running,
                JobStatus.COMPLETED,
                result=outcome.result,
                message=outcome.message,
            )
        elif isinstance(outcome, Failed):
            error = scrub(outcome.error, self.secrets)
            self._finish(running, JobStatus.FAILED, error=error, message="Failed")
        elif running.stop_reason == "cancel":
            self._finish(running, JobStatus.CANCELLED, message="Cancelled")
        else:
            self._release(running)
        log.info("job %s ended: %s", job_id, type(outcome).__name__.lower())

    def _conclude_without_word(self, running: RunningJob) -> None:
        """The task's process ended without saying how: killed or crashed."""
        self._flush(running)
        if running.stop_reason == "cancel":
            message = f"Cancelled (stopped by force after {self._grace:g} s)"
            self._finish(running, JobStatus.CANCELLED, message=message)
        elif running.stop_reason is not None:
            self._release(running)
        else:
            error = _death_reason(running.future)
            log.warning("job %s failed: %s", running.job.id, error)
            self._finish(running, JobStatus.FAILED, error=error, message="Failed")

    def _finish(self, running: RunningJob, status: JobStatus, **outcome: Any) -> None:
        self.running.pop(running.job.id, None)
        if running.stop_reason == "lease lost":
            return
        self.store.finish(running.job.id, self.worker_id, status, **outcome)

    def _release(self, running: RunningJob) -> None:
        self.running.pop(running.job.id, None)
        if running.stop_reason != "lease lost":
            self.store.release(running.job.id, self.worker_id)

    # -- cancel and grace ----------------------------------------------------

    def _check_cancels(self) -> None:
        for running in list(self.running.values()):
            if running.stop_reason is not None:
                continue
            job = self.store.get(running.job.id)
            if job.cancel_requested:
                self._ask_to_stop(running, "cancel")

    def _ask_to_stop(self, running: RunningJob, reason: str) -> None:
        running.stop_reason = reason
        running.stop_sent_at = time.monotonic()
        if running.pid is not None:
            _signal(running.pid, STOP_SIGNAL)
        log.info("asked job %s to stop (%s)", running.job.id, reason)

    def _enforce_grace(self) -> None:
        now = time.monotonic()
        for running in self.running.values():
            sent = running.stop_sent_at
            if sent is not None and not running.killed and now - sent >= self._grace:
                running.killed = True
                running.future.cancel()
                log.warning("job %s ignored the stop request; killed", running.job.id)

    # -- leases, heartbeats, claims -----------------------------------------

    def _heartbeat(self) -> None:
        now = datetime.now(UTC)
        info = WorkerInfo(
            id=self.worker_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            concurrency=self.concurrency,
            started_at=self._started_at,
            heartbeat_at=now,
            jobs=sorted(self.running),
            ready_processes=len(self._channels),
        )
        if self.store.heartbeat(info):
            log.info("asked to stop through the store")
            self.request_stop()
        self._renew_leases()

    def _requeue_expired(self) -> None:
        """Any worker puts back the jobs of workers that stopped answering."""
        requeued = self.store.requeue_expired()
        for job_id in requeued.pending:
            log.warning("job %s lost its worker; back to pending", job_id)

    def _renew_leases(self) -> None:
        ids = list(self.running)
        lease = self.settings.lease_seconds
        for state in self.store.extend_leases(self.worker_id, ids, lease):
            running = self.running.get(state.job_id)
            if running is None:
                continue
            if not state.held:
                log.warning("lost the lease of job %s; stopping it", state.job_id)
                self._ask_to_stop(running, "lease lost")
                running.killed = True
                running.future.cancel()
            elif state.cancel_requested and running.stop_reason is None:
                self._ask_to_stop(running, "cancel")

    def _prune(self) -> None:
        cutoff = datetime.now(UTC) - timedelta(days=self.settings.retention_days)
        pruned = self.store.prune(cutoff)
        if pruned:
            log.info("pruned %d finished jobs older than %s", pruned, cutoff)

    def _claim(self) -> None:
        if len(self.running) >= self.concurrency:
            return
        wanted = kinds()
        if not wanted or not self.store.has_pending(wanted):
            return
        lease = self.settings.lease_seconds
        job = self.store.claim_next(self.worker_id, lease, wanted)
        if job is not None:
            self._launch(job)

    def _launch(self, job: Job) -> None:
        self._last_busy = time.monotonic()
        spec = spec_for(job.kind)
        attempt = f"attempt {job.attempts}/{job.max_attempts}"
        self.store.append_logs(
            job.id, [("info", f"Started on {self.worker_id}, {attempt}")]
        )
        try:
            params = spec.params_model.model_validate(job.params)
            saved = self.store.saved_keys(job.id)
            task_input = (
                spec.prepare(params, self.store, saved) if spec.prepare else None
            )
        except Exception as error:
            error_line = scrub(f"{type(error).__name__}: {error}", self.secrets)
            self.store.finish(
                job.id, self.worker_id, JobStatus.FAILED, error=error_line
            )
            return
        future = self._pool.schedule(
            run_job, args=(job.id, job.kind, job.params, task_input, saved)
        )
        self.running[job.id] = RunningJob(job=job, future=future)
        log.info("running job %s (%s)", job.id, attempt)

    def _check_idle(self) -> None:
        if self.running:
            self._last_busy = time.monotonic()
            return
        idle = time.monotonic() - self._last_busy
        if self.idle_exit is not None and idle >= self.idle_exit:
            log.info("idle for %.0f s; exiting", idle)
            self.request_stop()


def _death_reason(future: ProcessFuture[str]) -> str:
    try:
        future.result(timeout=0)
    except ProcessExpired as expired:
        code = expired.exitcode
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            return f"the task's process was killed by {name} (crash or out of memory)"
        return f"the task's process exited unexpectedly with code {code}"
    except CancelledError:
        return "the task was stopped before it reported an outcome"
    except Exception as error:
        return f"the task could not run: {type(error).__name__}: {error}"
    return "the task's process ended without reporting an outcome"


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _remove_tree(directory: Path) -> None:
    for child in directory.iterdir():
        child.unlink(missing_ok=True)
    directory.rmdir()
