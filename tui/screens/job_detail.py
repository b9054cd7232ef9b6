"""One job in full: facts, parts, failures and the live log."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Footer, Static

from core.jobs import FINISHED, Job, JobStatus
from tui.job_actions import ask_to_cancel, ask_to_retry
from tui.plain import plain
from tui.screens.dashboard import DASHBOARD_BINDINGS, DashboardScreen
from tui.store_poller import LogLines
from tui.widgets.failure_table import FailureTable
from tui.widgets.job_facts import JobFacts, Tokens
from tui.widgets.job_log import JobLog
from tui.widgets.part_table import PartTable
from tui.widgets.status_header import StatusHeader

#: counting tokens reads every saved guideline, so not on every change
TOKENS_EVERY_SECONDS = 5.0


class TokensCounted(Message):
    def __init__(self, tokens: Tokens) -> None:
        super().__init__()
        self.tokens = tokens


class JobDetailScreen(DashboardScreen):
    """Follows one job until esc goes back to the table."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the jobs"),
        Binding("c", "cancel_job", "Cancel", tooltip="Cancel this job"),
        Binding("r", "retry_job", "Retry", tooltip="Retry this job"),
        Binding("f", "follow", "Follow", tooltip="Follow or pause the log"),
        *DASHBOARD_BINDINGS,
    ]

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job
        self.tokens: Tokens | None = None
        self.tokens_at = 0.0

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        yield JobFacts(id="facts")
        yield Static(id="error")
        with Horizontal(id="parts-row"):
            yield PartTable()
            yield FailureTable()
        yield JobLog()
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.medkb.job_changes.subscribe(self, self._jobs_changed)
        self.medkb.poller.follow_log(self.job.id, self)
        self.set_interval(1.0, self._tick)
        self._count_tokens()
        self._show()
        self.query_one(JobLog).focus()

    def on_unmount(self) -> None:
        self.medkb.poller.follow_log(None, self)

    # -- keeping up ---------------------------------------------------------------

    def _jobs_changed(self, jobs: list[Job]) -> None:
        for job in jobs:
            if job.id == self.job.id and job.updated_at >= self.job.updated_at:
                finished_now = (
                    job.status in FINISHED and self.job.status not in FINISHED
                )
                self.job = job
                if finished_now or self._tokens_due():
                    self._count_tokens()
                self._show()

    @on(LogLines)
    def _log_lines(self, message: LogLines) -> None:
        if message.job_id == self.job.id:
            self.query_one(JobLog).add(message.lines, message.fresh)

    def _tick(self) -> None:
        if self.job.status is JobStatus.RUNNING:
            self._show_facts()

    def _show(self) -> None:
        self._show_facts()
        error = self.query_one("#error", Static)
        error.update(
            Text(f"Error: {plain(self.job.error)}", "red") if self.job.error else ""
        )
        error.set_class(bool(self.job.error), "-shown")
        self.query_one(PartTable).show(self.job)
        failures = (self.job.result or {}).get("failures", [])
        self.query_one(FailureTable).show(
            failures if isinstance(failures, list) else []
        )

    def _show_facts(self) -> None:
        now = self.medkb.clock()
        eta = self.medkb.rates.eta_seconds(self.job, now)
        self.query_one(JobFacts).show(self.job, now, eta, self.tokens)

    # -- tokens -------------------------------------------------------------------

    def _tokens_due(self) -> bool:
        return time.monotonic() - self.tokens_at >= TOKENS_EVERY_SECONDS

    @work(thread=True, exclusive=True, group="tokens")
    def _count_tokens(self) -> None:
        self.tokens_at = time.monotonic()
        try:
            saved = self.medkb.store.list_items()
        except self.medkb.store.transient_errors:
            return  # the header says the store is in trouble; counted next time
        items = [i for i in saved if i.job_id == self.job.id]
        made = [i.data.get("provenance") or {} for i in items]
        tokens = Tokens(
            read=sum(int(p.get("tokens_in", 0)) for p in made),
            written=sum(int(p.get("tokens_out", 0)) for p in made),
            guidelines=len(items),
        )
        self.post_message(TokensCounted(tokens))

    @on(TokensCounted)
    def _tokens_counted(self, message: TokensCounted) -> None:
        self.tokens = message.tokens
        self._show_facts()

    # -- actions ------------------------------------------------------------------

    def action_cancel_job(self) -> None:
        ask_to_cancel(self.medkb, self.job)

    def action_retry_job(self) -> None:
        ask_to_retry(self.medkb, self.job)

    def action_follow(self) -> None:
        log = self.query_one(JobLog)
        log.following = not log.following
