"""Follow the store from a background thread and post what changed to the UI.

The UI thread never waits on the store: it tells the poller which page of
jobs and which job's log it shows, and the poller answers with messages.
About four times a second it asks the store for jobs changed since the
newest change it saw, and posts them as one batch; when nothing changed,
a tick costs one indexed query and posts nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from textual.message import Message
from textual.message_pump import MessagePump

from core.engine.worker import live_workers
from core.jobs import Job, JobStatus, LogLine
from core.settings import Settings
from core.store import JobFilter, Store
from tui.job_query import JobOrder, matches, sort_jobs

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25
SUMMARY_SECONDS = 1.0
LOG_TAIL = 300
PAGE_SIZE = 200
#: a change seen from another host may carry a clock a little behind ours
CLOCK_MARGIN = timedelta(seconds=5)


@dataclass(frozen=True)
class PageRequest:
    """One window of the jobs list: filter, order and where it starts."""

    where: JobFilter = field(default_factory=JobFilter)
    order: JobOrder = field(default_factory=JobOrder)
    offset: int = 0
    limit: int = PAGE_SIZE


@dataclass(frozen=True)
class Summary:
    """What the header counts."""

    running: int = 0
    queued: int = 0
    workers: int = 0


class PageLoaded(Message):
    """The jobs of a requested page, and how many match in all."""

    def __init__(self, request: PageRequest, jobs: list[Job], total: int) -> None:
        super().__init__()
        self.request = request
        self.jobs = jobs
        self.total = total


class JobsChanged(Message):
    """Jobs changed since the last batch, oldest change first."""

    def __init__(self, jobs: list[Job]) -> None:
        super().__init__()
        self.jobs = jobs


class SummaryChanged(Message):
    def __init__(self, summary: Summary) -> None:
        super().__init__()
        self.summary = summary


class LogLines(Message):
    """New lines of a followed job's log; `fresh` means start over with these."""

    def __init__(self, job_id: str, lines: list[LogLine], fresh: bool) -> None:
        super().__init__()
        self.job_id = job_id
        self.lines = lines
        self.fresh = fresh


class StoreTrouble(Message):
    """The store failed to answer (empty text: it answers again)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


@dataclass(frozen=True)
class _Watch:
    """A page or a log someone asked for, and where the answers go."""

    subject: PageRequest | str
    reply_to: MessagePump


class StorePoller:
    """A daemon thread that follows the store for one app."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        app: MessagePump,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.settings = settings
        self.app = app
        self._since = clock() - CLOCK_MARGIN
        self._seen_at_since: set[str] = set()
        self._page = _PageState()
        self._log = _LogState()
        self._summary: Summary | None = None
        self._summary_at = 0.0
        self._trouble = ""
        self._clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="store-poller", daemon=True
        )

    # -- asked from the UI thread -----------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def show_page(self, request: PageRequest, reply_to: MessagePump) -> None:
        """Load this page now and keep it current until asked for another."""
        self._page.wanted = _Watch(request, reply_to)
        self.wake()

    def follow_log(self, job_id: str | None, reply_to: MessagePump) -> None:
        """Send a job's log tail, then its new lines; None stops reply_to's."""
        current = self._log.wanted
        if job_id is not None:
            self._log.wanted = _Watch(job_id, reply_to)
        elif current is not None and current.reply_to is reply_to:
            self._log.wanted = None
        self.wake()

    def wake(self) -> None:
        """Poll at once, e.g. right after the UI changed a job."""
        self._wake.set()

    # -- the poller thread ------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self._tick_safely()
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def _tick_safely(self) -> None:
        try:
            self._tick()
        except self.store.transient_errors as error:
            if self._in_trouble(str(error)):
                log.warning("the store did not answer: %s", error)
            return
        except Exception as error:
            # A bug here would otherwise stop the thread and freeze the screen.
            if self._in_trouble(
                f"polling failed ({type(error).__name__}); see the log"
            ):
                log.exception("polling the store failed")
            return
        if self._trouble:
            self._trouble = ""
            self.app.post_message(StoreTrouble(""))

    def _tick(self) -> None:
        changed = self._changes()
        if changed:
            self.app.post_message(JobsChanged(changed))
        self._page.serve(self.store, changed, self._clock())
        self._log.serve(self.store)
        self._serve_summary(bool(changed))

    def _in_trouble(self, text: str) -> bool:
        """Tell the UI of a new problem; False while the same one lasts."""
        if text == self._trouble:
            return False
        self._trouble = text
        self.app.post_message(StoreTrouble(text))
        return True

    def _changes(self) -> list[Job]:
        """Jobs changed since the newest change seen, each change once."""
        jobs = self.store.changes_since(self._since)
        fresh = [
            job
            for job in jobs
            if job.updated_at > self._since or job.id not in self._seen_at_since
        ]
        if jobs:
            newest = jobs[-1].updated_at
            if newest > self._since:
                self._since, self._seen_at_since = newest, set()
            self._seen_at_since |= {j.id for j in jobs if j.updated_at == newest}
        return fresh

    def _serve_summary(self, changed: bool) -> None:
        due = time.monotonic() - self._summary_at >= SUMMARY_SECONDS
        if not (changed or due):
            return
        self._summary_at = time.monotonic()
        summary = Summary(
            running=self._count(JobStatus.RUNNING),
            queued=self._count(JobStatus.PENDING),
            workers=len(live_workers(self.store, self.settings)),
        )
        if summary != self._summary:
            self._summary = summary
            self.app.post_message(SummaryChanged(summary))

    def _count(self, status: JobStatus) -> int:
        return self.store.count_jobs(JobFilter(statuses=frozenset({status})))


class _PageState:
    """The page the UI shows, and when it must be read again."""

    def __init__(self) -> None:
        self.wanted: _Watch | None = None
        self.served: _Watch | None = None
        self.ids: set[str] = set()
        self.oldest: datetime | None = None
        self.full = False
        self.dirty_since: float | None = None
        self.next_sorted_load = 0.0

    def serve(self, store: Store, changed: list[Job], now: datetime) -> None:
        wanted = self.wanted
        if wanted is None:
            return
        if wanted is not self.served or self._must_reload(wanted, changed):
            self._load(store, wanted, now)

    def _must_reload(self, watch: _Watch, changed: list[Job]) -> bool:
        """Whether the changes move jobs into, out of or around this page."""
        assert isinstance(watch.subject, PageRequest)
        request = watch.subject
        moved = [job for job in changed if self._moves(job, request)]
        if not request.order.newest_first:
            # A sorted page is read whole; do it at a pace its size allows.
            if moved or any(job.id in self.ids for job in changed):
                self.dirty_since = self.dirty_since or time.monotonic()
            return (
                self.dirty_since is not None
                and time.monotonic() >= self.next_sorted_load
            )
        return bool(moved)

    def _moves(self, job: Job, request: PageRequest) -> bool:
        if matches(job, request.where) == (job.id in self.ids):
            return False
        if not request.order.newest_first or not self.full or self.oldest is None:
            return True
        return job.created_at >= self.oldest

    def _load(self, store: Store, watch: _Watch, now: datetime) -> None:
        assert isinstance(watch.subject, PageRequest)
        request = watch.subject
        started = time.monotonic()
        total = store.count_jobs(request.where)
        if request.order.newest_first:
            jobs = store.list_jobs(
                request.where, offset=request.offset, limit=request.limit
            )
        else:
            everything = store.list_jobs(request.where, limit=max(total, 1))
            ordered = sort_jobs(everything, request.order, now)
            jobs = ordered[request.offset : request.offset + request.limit]
        self._remember(watch, jobs, started)
        watch.reply_to.post_message(PageLoaded(request, jobs, total))

    def _remember(self, watch: _Watch, jobs: list[Job], started: float) -> None:
        assert isinstance(watch.subject, PageRequest)
        self.served = watch
        self.ids = {job.id for job in jobs}
        self.oldest = min((job.created_at for job in jobs), default=None)
        self.full = len(jobs) >= watch.subject.limit
        self.dirty_since = None
        took = time.monotonic() - started
        self.next_sorted_load = time.monotonic() + max(1.0, 4 * took)


class _LogState:
    """The log the UI follows, and the last line sent."""

    def __init__(self) -> None:
        self.wanted: _Watch | None = None
        self.served: _Watch | None = None
        self.last_seq = 0

    def serve(self, store: Store) -> None:
        watch = self.wanted
        if watch is None:
            self.served = None
            return
        assert isinstance(watch.subject, str)
        fresh = watch is not self.served
        if fresh:
            lines = store.logs(watch.subject, tail=LOG_TAIL)
            self.served, self.last_seq = watch, 0
        else:
            lines = store.logs(watch.subject, after=self.last_seq)
        if lines:
            self.last_seq = lines[-1].seq
        if lines or fresh:
            watch.reply_to.post_message(LogLines(watch.subject, lines, fresh))
