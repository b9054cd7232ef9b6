"""The dashboard: watch and steer medkb's jobs from a terminal, also over SSH."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial

from textual import on
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.signal import Signal

from core.engine.worker import configure_logging, ensure_worker
from core.jobs import Job
from core.llm.provider import describe
from core.settings import Settings, scrub
from core.store import Store, open_store, redact
from core.tasks.registry import load_task_modules
from tui.job_timing import ItemRates
from tui.plain import plain
from tui.screens.jobs import JobsScreen
from tui.store_poller import (
    JobsChanged,
    StorePoller,
    StoreTrouble,
    Summary,
    SummaryChanged,
)
from tui.terminal_watch import TerminalWatch

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class MedkbApp(App[None]):
    """Jobs, their progress and logs, and the knowledge base, kept current."""

    CSS_PATH = "app.tcss"
    TITLE = "medkb"

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        store_url: str,
        read_only: bool = False,
        clock: Clock = utc_now,
        start_worker: bool = True,
    ) -> None:
        super().__init__()
        load_task_modules(settings.task_modules)
        self.store = store
        self.settings = settings
        self.store_url = store_url
        self.store_label = redact(store_url)
        self.provider = describe(settings)
        self.read_only = read_only
        self.clock = clock
        self.start_worker = start_worker and not read_only

        self.summary = Summary()
        self.trouble = ""
        self.rates = ItemRates()
        self.poller = StorePoller(store, settings, self, clock)
        self.job_changes: Signal[list[Job]] = Signal(self, "job-changes")
        self.header_changes: Signal[None] = Signal(self, "header-changes")
        self.terminal = TerminalWatch(partial(self.exit, None))
        self._secrets = settings.secret_values(store_url)

    def get_default_screen(self) -> Screen[None]:
        return JobsScreen()

    def on_mount(self) -> None:
        self.poller.start()
        if not self.is_headless:
            self.terminal.start(asyncio.get_running_loop())
        if self.start_worker:
            self.run_worker(self.serve_jobs, thread=True)

    def on_unmount(self) -> None:
        self.terminal.stop()
        self.poller.stop()

    # -- shared by the screens ----------------------------------------------

    def tell(self, text: str, severity: str = "information") -> None:
        """A notification of plain text (thread-safe): no markup, no secrets."""
        level = severity if severity in ("warning", "error") else "information"
        shown = scrub(plain(text), self._secrets)
        self.notify(shown, severity=level, markup=False)  # type: ignore[arg-type]

    def refuse_in_read_only(self, what: str) -> bool:
        """In read-only mode, say that `what` is not allowed and return True."""
        if not self.read_only:
            return False
        self.tell(
            f"Read-only mode: cannot {what}. Run medkb without --read-only "
            "to change jobs.",
            "warning",
        )
        return True

    def serve_jobs(self) -> None:
        """Start a detached worker unless one serves the store (call in a thread)."""
        if not self.start_worker:
            return
        failures: tuple[type[Exception], ...] = (OSError, *self.store.transient_errors)
        try:
            pid = ensure_worker(self.settings, self.store, self.store_url)
        except failures as error:
            self.tell(
                f"Could not start a background worker ({error}); "
                "start one with: medkb worker --detach",
                "error",
            )
            return
        if pid is not None:
            self.tell(f"Started a background worker (pid {pid}).")
            self.poller.wake()

    # -- what the poller sends ------------------------------------------------

    @on(JobsChanged)
    def _jobs_changed(self, message: JobsChanged) -> None:
        for job in message.jobs:
            self.rates.observe(job)
        self.job_changes.publish(message.jobs)

    @on(SummaryChanged)
    def _summary_changed(self, message: SummaryChanged) -> None:
        self.summary = message.summary
        self.header_changes.publish(None)

    @on(StoreTrouble)
    def _store_trouble(self, message: StoreTrouble) -> None:
        self.trouble = scrub(message.text, self._secrets)
        self.header_changes.publish(None)

    # -- every key is also a command ------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.tooltip or binding.action == "app.quit":
                continue
            key = binding.key_display or self.get_key_display(binding)
            yield SystemCommand(
                binding.tooltip,
                f"{binding.description} (key: {key})",
                partial(self.call_later, self.run_action, binding.action, active.node),
            )


def run_dashboard(
    settings: Settings, store_url: str, *, read_only: bool = False
) -> int:
    """Open the dashboard on the store until the user quits; jobs go on after."""
    store = open_store(store_url, log_cap=settings.log_cap)
    _log_to_file(settings, store_url)
    try:
        app = MedkbApp(store, settings, store_url=store_url, read_only=read_only)
        app.run()
        app.terminal.done()
    finally:
        store.close()
    _say_goodbye(app.summary)
    return app.return_code or 0


def _log_to_file(settings: Settings, store_url: str) -> None:
    """Log lines must not land on the screen the dashboard draws."""
    folder = settings.data_path / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler: logging.Handler = logging.FileHandler(folder / "dashboard.log")
    except OSError:
        handler = logging.NullHandler()
    configure_logging(settings, store_url, handler)


def _say_goodbye(summary: Summary) -> None:
    """The quit message; the terminal may be gone, so failing to print is fine."""
    if summary.running or summary.queued:
        busy = f"{summary.running} running and {summary.queued} queued jobs go on"
    else:
        busy = "jobs you start go on"
    with contextlib.suppress(OSError):
        print(
            f"medkb: dashboard closed; {busy} in the background.\n"
            "Come back with `medkb`; follow jobs with `medkb jobs list`."
        )
