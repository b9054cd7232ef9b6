"""A job's parts: a bar per language of a translation, a status per topic."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from core.jobs import Job, JobStatus, PartProgress
from core.knowledge import language_by_code, topic_by_slug
from tui.job_cells import STATUS_STYLES, STATUS_SYMBOLS, bar_text, outside_text
from tui.widgets.changed_cells import rewrite_changed_cells

BAR_WIDTH = 12
LABELS = {
    "train": ("Topic", "State"),
    "translate": ("Language", "Progress", "Done", "Failed"),
    "": ("Part", "Progress", "Done", "Failed"),
}


class PartTable(DataTable[Text]):
    """One row per part, rebuilt when the parts change, else cell by cell."""

    def __init__(self) -> None:
        super().__init__(cursor_type="row", id="parts")
        self.kind = ""
        self.shown: dict[str, list[Text]] = {}

    def show(self, job: Job) -> None:
        rows = {
            name: self._cells(job, name, part)
            for name, part in job.progress.parts.items()
        }
        if job.kind != self.kind or list(rows) != list(self.shown):
            self._rebuild(job.kind, rows)
            return
        for name, cells in rows.items():
            rewrite_changed_cells(self, name, self.shown[name], cells)
        self.shown = rows

    def _rebuild(self, kind: str, rows: dict[str, list[Text]]) -> None:
        self.kind, self.shown = kind, rows
        self.clear(columns=True)
        for index, label in enumerate(LABELS.get(kind, LABELS[""])):
            self.add_column(label, key=str(index))
        for name, cells in rows.items():
            self.add_row(*cells, key=name)

    def _cells(self, job: Job, name: str, part: PartProgress) -> list[Text]:
        if job.kind == "train":
            return [_topic_name(name), _topic_state(job, part)]
        failed = Text(f"✗ {part.failed}", "red") if part.failed else Text("")
        label = _language_name(name) if job.kind == "translate" else outside_text(name)
        done = Text(f"{part.done}/{part.total}")
        return [
            label,
            bar_text(part.done + part.failed, part.total, BAR_WIDTH),
            done,
            failed,
        ]


def _language_name(code: str) -> Text:
    language = language_by_code().get(code)
    shown = f"{code} {language.name}" if language else code
    return outside_text(shown, 16)


def _topic_name(slug: str) -> Text:
    topic = topic_by_slug().get(slug)
    return outside_text(topic.title if topic else slug, 34)


def _topic_state(job: Job, part: PartProgress) -> Text:
    if part.failed:
        return Text(f"{STATUS_SYMBOLS[JobStatus.FAILED]} failed", "red")
    if part.done >= part.total > 0:
        return Text(f"{STATUS_SYMBOLS[JobStatus.COMPLETED]} written", "green")
    if job.status is JobStatus.RUNNING:
        return Text(f"{STATUS_SYMBOLS[JobStatus.PENDING]} waiting", "yellow")
    return Text("· not written", STATUS_STYLES[JobStatus.CANCELLED])
