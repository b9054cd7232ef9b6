"""The two header lines: which store, and what runs on it with which provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.widgets import Static

from tui.job_cells import STATUS_STYLES, STATUS_SYMBOLS
from tui.plain import one_line

if TYPE_CHECKING:
    from tui.app import MedkbApp

from core.jobs import JobStatus


class StatusHeader(Static):
    """Store (password hidden) and mode; running, queued, workers, provider."""

    def on_mount(self) -> None:
        app = cast("MedkbApp", self.app)
        app.header_changes.subscribe(self, self.show_state)
        self.show_state(None)

    def show_state(self, _: None = None) -> None:
        app = cast("MedkbApp", self.app)
        lines = Text("\n").join([self._store_line(app), self._work_line(app)])
        lines.no_wrap, lines.overflow = True, "ellipsis"
        self.update(lines)

    @staticmethod
    def _store_line(app: MedkbApp) -> Text:
        line = Text("medkb", "bold")
        if app.read_only:
            line.append("  READ-ONLY", "bold yellow")
        line.append(f"  store {one_line(app.store_label)}")
        line.no_wrap, line.overflow = True, "ellipsis"
        return line

    @staticmethod
    def _work_line(app: MedkbApp) -> Text:
        if app.trouble:
            return Text(f"⚠ the store does not answer: {one_line(app.trouble)}", "red")
        summary = app.summary
        workers = f"{summary.workers} worker" + ("" if summary.workers == 1 else "s")
        line = Text.assemble(
            (f"{STATUS_SYMBOLS[JobStatus.RUNNING]} {summary.running} running", ""),
            "  ",
            (f"{STATUS_SYMBOLS[JobStatus.PENDING]} {summary.queued} queued", ""),
            "  ",
            (workers, "" if summary.workers else "bold yellow"),
            "  ",
            one_line(app.provider),
        )
        line.stylize(STATUS_STYLES[JobStatus.RUNNING], 0, 1)
        line.no_wrap, line.overflow = True, "ellipsis"
        return line
