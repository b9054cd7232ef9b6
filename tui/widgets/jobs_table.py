"""The jobs table: one page of jobs, drawn line by line, redrawn row by row.

The store may hold many thousands of jobs; the table holds one page and
asks for the next (`PageWanted`) when the cursor runs off either end.
Each row is drawn once into a cached strip; a changed job redraws its own
line and nothing else, so a busy job does not repaint the whole table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.jobs import Job, JobStatus
from tui.job_query import JobOrder
from tui.job_timing import ItemRates
from tui.widgets.job_columns import PADDING, Column, Seen, cells_of, layout_for


class JobsTable(ScrollView, can_focus=True):
    """A page of jobs, newest first unless sorted; the cursor selects one."""

    COMPONENT_CLASSES = {"jobs-table--header", "jobs-table--cursor"}
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "move_page(-1)", "Page up", show=False),
        Binding("pagedown", "move_page(1)", "Page down", show=False),
        Binding("ctrl+home", "page_end(False)", "Top of page", show=False),
        Binding("ctrl+end", "page_end(True)", "Bottom of page", show=False),
        Binding("home", "first_job", "First job", show=False),
        Binding("end", "last_job", "Last job", show=False),
        Binding("enter", "choose", "Open", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class Chosen(Message):
        """Enter (or a click on the selected row) opens a job."""

        def __init__(self, job: Job) -> None:
            super().__init__()
            self.job = job

    class PageWanted(Message):
        """The cursor ran off the page: show the page starting at `offset`."""

        def __init__(self, offset: int, at_end: bool) -> None:
            super().__init__()
            self.offset = offset
            self.at_end = at_end

    class SortWanted(Message):
        """A column header was clicked."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    def __init__(
        self, rates: ItemRates, clock: Callable[[], datetime], page_size: int
    ) -> None:
        super().__init__(id="jobs")
        self.rates = rates
        self.clock = clock
        self.page_size = page_size
        self.jobs: dict[str, Job] = {}
        self.order_ids: list[str] = []
        self.shown: dict[str, list[Text]] = {}
        self.strips: dict[str, Strip] = {}
        self.page_offset = 0
        self.total = 0
        self.order = JobOrder()
        self.layout_columns, self.message_width = layout_for(80)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.tick)

    @property
    def row_count(self) -> int:
        return len(self.order_ids)

    @property
    def selected_job(self) -> Job | None:
        if not self.order_ids:
            return None
        return self.jobs[self.order_ids[min(self.cursor_row, self.row_count - 1)]]

    # -- what the screen tells it -------------------------------------------

    def show_page(self, jobs: list[Job], offset: int, total: int) -> None:
        """Show these jobs; the cursor stays on its job, or on the newest.

        A cursor on the newest job follows each new job in; anywhere else
        it stays with the job it is on, wherever that moves.
        """
        ids = [job.id for job in jobs]
        on_newest = self.cursor_row == 0 and self.page_offset == offset == 0
        self.page_offset, self.total = offset, total
        if ids == self.order_ids:
            self.update_jobs(jobs)
            return
        selected = None if on_newest else self.selected_job
        self.jobs = {job.id: job for job in jobs}
        self.order_ids = ids
        self._redraw_all()
        if selected is not None and selected.id in self.jobs:
            self.cursor_row = ids.index(selected.id)
        else:
            self.cursor_row = 0 if on_newest else self.cursor_row

    def update_jobs(self, jobs: list[Job]) -> None:
        """Redraw the rows of changed jobs that are on this page."""
        for job in jobs:
            shown = self.jobs.get(job.id)
            if shown is not None and job.updated_at >= shown.updated_at:
                self.jobs[job.id] = job
                self._refresh_row(job)

    def set_order(self, order: JobOrder) -> None:
        self.order = order
        self.refresh_line(0)

    def tick(self) -> None:
        """Once a second: running jobs' elapsed time and ETA move on."""
        for job in self.jobs.values():
            if job.status is JobStatus.RUNNING:
                self._refresh_row(job)

    def select_end(self, at_end: bool) -> None:
        self.cursor_row = self.row_count - 1 if at_end else 0

    # -- drawing ----------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        layout = layout_for(event.size.width)
        if layout != (self.layout_columns, self.message_width):
            self.layout_columns, self.message_width = layout
            self._redraw_all()

    def _redraw_all(self) -> None:
        self.shown = {
            job_id: self._cells(self.jobs[job_id]) for job_id in self.order_ids
        }
        self.strips = {}
        width = sum(c.width + PADDING for c in self.layout_columns) + self.message_width
        self.virtual_size = Size(width, self.row_count + 1)
        self.refresh()

    def _cells(self, job: Job) -> list[Text]:
        seen = Seen(self.clock(), self.rates)
        return cells_of(job, self.layout_columns, self.message_width, seen)

    def _refresh_row(self, job: Job) -> None:
        fresh = self._cells(job)
        if fresh == self.shown.get(job.id):
            return
        self.shown[job.id] = fresh
        self.strips.pop(job.id, None)
        self.refresh_line(self.order_ids.index(job.id) + 1)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        if y == 0:
            line = self._strip(
                self._header(), self.get_component_rich_style("jobs-table--header")
            )
        elif scroll_y + y - 1 < self.row_count:
            line = self._row(scroll_y + y - 1)
        else:
            return Strip.blank(self.size.width, base)
        return line.crop_extend(scroll_x, scroll_x + self.size.width, base)

    def _row(self, index: int) -> Strip:
        job_id = self.order_ids[index]
        if job_id not in self.strips:
            self.strips[job_id] = self._strip(self.shown[job_id], self.rich_style)
        line = self.strips[job_id]
        if index != self.cursor_row:
            return line
        cursor = self.get_component_rich_style("jobs-table--cursor")
        return Strip(Segment.apply_style(line, post_style=cursor), line.cell_length)

    def _strip(self, cells: list[Text], style: Style) -> Strip:
        """Cells side by side, each cut or padded to its column."""
        segments: list[Segment] = []
        for column, cell in zip(self.layout_columns, cells, strict=True):
            width = column.width or self.message_width
            segments += [Segment(" "), *self._segments(cell, width), Segment(" ")]
        return Strip(Segment.apply_style(segments, style)).simplify()

    def _segments(self, cell: Text, width: int) -> list[Segment]:
        """The cell cut or padded to width, its own style under its spans'."""
        console = self.app.console
        text = cell.copy()
        text.truncate(width, overflow="ellipsis", pad=True)
        base = console.get_style(text.style) if text.style else Style()
        return [
            Segment(part.text, base + part.style if part.style else base)
            for part in text.render(console, end="")
        ]

    def _header(self) -> list[Text]:
        return [self._label(column) for column in self.layout_columns]

    def _label(self, column: Column) -> Text:
        if self.order.column != column.key:
            return Text(column.label)
        return Text(f"{column.label} {'▼' if self.order.descending else '▲'}")

    # -- the cursor -------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh_line(old + 1)
        self.refresh_line(new + 1)
        visible = max(1, self.size.height - 1)
        if new < self.scroll_offset.y:
            self.scroll_to(y=new, animate=False)
        elif new >= self.scroll_offset.y + visible:
            self.scroll_to(y=new - visible + 1, animate=False)

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, self.row_count - 1))

    def action_move(self, step: int) -> None:
        if not self._turn(step > 0):
            self.cursor_row += step

    def action_move_page(self, direction: int) -> None:
        if not self._turn(direction > 0):
            self.cursor_row += direction * max(1, self.size.height - 2)

    def action_page_end(self, at_end: bool) -> None:
        self.select_end(at_end)

    def action_choose(self) -> None:
        if (job := self.selected_job) is not None:
            self.post_message(self.Chosen(job))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            self._header_clicked(event.x + self.scroll_offset.x)
            return
        row = self.scroll_offset.y + event.y - 1
        if row == self.cursor_row:
            self.action_choose()
        elif row < self.row_count:
            self.cursor_row = row

    def _header_clicked(self, x: int) -> None:
        edge = 0
        for column in self.layout_columns:
            edge += (column.width or self.message_width) + PADDING
            if x < edge:
                self.post_message(self.SortWanted(column.key))
                return

    # -- paging -----------------------------------------------------------------

    def _turn(self, forward: bool) -> bool:
        """Ask for the next or previous page when the cursor is at an edge."""
        if forward and self.cursor_row >= self.row_count - 1:
            following = self.page_offset + self.row_count
            if following < self.total:
                self.post_message(self.PageWanted(following, at_end=False))
                return True
        if not forward and self.cursor_row == 0 and self.page_offset > 0:
            previous = max(0, self.page_offset - self.page_size)
            self.post_message(self.PageWanted(previous, at_end=True))
            return True
        return False

    def action_first_job(self) -> None:
        if self.page_offset > 0:
            self.post_message(self.PageWanted(0, at_end=False))
        else:
            self.select_end(at_end=False)

    def action_last_job(self) -> None:
        if self.page_offset + self.row_count < self.total:
            last = max(0, self.total - self.page_size)
            self.post_message(self.PageWanted(last, at_end=True))
        else:
            self.select_end(at_end=True)
