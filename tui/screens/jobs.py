"""The main screen: every job, newest first, following the store."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static

from core.jobs import Job
from tui.job_actions import ask_to_cancel, ask_to_retry
from tui.job_query import FILTER_HINT, FilterError, JobOrder, parse_filter
from tui.plain import one_line
from tui.screens.dashboard import DASHBOARD_BINDINGS, DashboardScreen
from tui.store_poller import PAGE_SIZE, PageLoaded, PageRequest
from tui.widgets.jobs_table import JobsTable
from tui.widgets.status_header import StatusHeader


class JobsScreen(DashboardScreen):
    """The jobs table, its filter and the line that says where you are."""

    BINDINGS = [
        Binding("enter", "open_job", "Detail", show=False, tooltip="Open the job"),
        Binding("c", "cancel_job", "Cancel", tooltip="Cancel the selected job"),
        Binding("r", "retry_job", "Retry", tooltip="Retry a failed or cancelled job"),
        Binding("slash", "filter", "Filter", key_display="/", tooltip="Filter jobs"),
        Binding("s", "sort", "Sort", show=False, tooltip="Sort by the next column"),
        Binding("S", "reverse_sort", "Reverse", show=False, tooltip="Reverse the sort"),
        Binding("escape", "clear_filter", show=False),
        *DASHBOARD_BINDINGS,
    ]

    def __init__(self) -> None:
        super().__init__()
        self.request = PageRequest()
        self.filter_text = ""
        self.problem = ""
        self.land_at_end: bool | None = None

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        yield Input(placeholder=f"filter: {FILTER_HINT}", id="filter")
        yield JobsTable(self.medkb.rates, self.medkb.clock, PAGE_SIZE)
        yield Static(id="page-line")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.medkb.job_changes.subscribe(self, self._jobs_changed)
        self.query_one(JobsTable).focus()
        self._ask(self.request)

    def on_screen_resume(self) -> None:
        self.medkb.poller.show_page(self.request, self)

    @property
    def table(self) -> JobsTable:
        return self.query_one(JobsTable)

    # -- pages from the poller ------------------------------------------------

    def _ask(self, request: PageRequest, at_end: bool | None = None) -> None:
        self.request, self.land_at_end = request, at_end
        self.medkb.poller.show_page(request, self)

    @on(PageLoaded)
    def _page_loaded(self, message: PageLoaded) -> None:
        if message.request != self.request:
            return
        for job in message.jobs:
            self.medkb.rates.observe(job)
        self.table.show_page(message.jobs, message.request.offset, message.total)
        if self.land_at_end is not None:
            self.table.select_end(self.land_at_end)
            self.land_at_end = None
        self._show_page_line()

    def _jobs_changed(self, jobs: list[Job]) -> None:
        self.table.update_jobs(jobs)

    @on(JobsTable.PageWanted)
    def _page_wanted(self, message: JobsTable.PageWanted) -> None:
        self._ask(replace(self.request, offset=message.offset), message.at_end)

    def _show_page_line(self) -> None:
        self.query_one("#page-line", Static).update(self._page_line())

    def _page_line(self) -> Text:
        if self.problem:
            return Text(one_line(self.problem), "bold red")
        table, shown = self.table, len(self.table.jobs)
        if not table.total:
            return Text(self._empty_hint(), "italic")
        first, last = table.page_offset + 1, table.page_offset + shown
        line = Text(f"jobs {first:,}–{last:,} of {table.total:,}", "bold")
        line.append(f" · {self._order_words()}")
        if self.filter_text:
            line.append(f" · filter: {one_line(self.filter_text, 40)}")
        return line

    def _empty_hint(self) -> str:
        if self.filter_text:
            return f"No jobs match {one_line(self.filter_text, 40)}; esc clears it."
        return "No jobs yet. Press t to write the guidelines, then l to translate."

    def _order_words(self) -> str:
        order = self.request.order
        if order.newest_first:
            return "newest first (s sorts)"
        way = "descending" if order.descending else "ascending"
        return f"sorted by {order.column} ({way})"

    # -- the filter -----------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("-shown")
        # At once, not later as focus() does: a key typed just after the slash
        # then lands in the box, not on the table's own keys (s sorts, t
        # trains). Textual still hands keys that arrive in the same read as
        # the slash to the table, which had focus when they came.
        self.set_focus(box)

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        self._apply_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#filter", Input).remove_class("-shown")
        self.set_focus(self.table)

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.remove_class("-shown")
        self._apply_filter("")
        self.set_focus(self.table)

    def _apply_filter(self, text: str) -> None:
        try:
            where = parse_filter(text)
        except FilterError as error:
            self.problem = f"Filter: {error}."
            self._show_page_line()
            return
        self.problem, self.filter_text = "", text.strip()
        if where != self.request.where:
            self._ask(replace(self.request, where=where, offset=0))

    # -- sorting ----------------------------------------------------------------

    def action_sort(self) -> None:
        keys = [c.key for c in self.table.layout_columns if c.key != "message"]
        current = self.request.order.column
        following = keys.index(current) + 1 if current in keys else 0
        column = keys[following] if following < len(keys) else None
        self._sort(JobOrder(column))

    def action_reverse_sort(self) -> None:
        if not self.request.order.newest_first:
            self._sort(self.request.order.reversed())

    @on(JobsTable.SortWanted)
    def _sort_wanted(self, message: JobsTable.SortWanted) -> None:
        order = self.request.order
        same = order.column == message.column
        self._sort(order.reversed() if same else JobOrder(message.column))

    def _sort(self, order: JobOrder) -> None:
        self.table.set_order(order)
        self._ask(replace(self.request, order=order, offset=0))
        self._show_page_line()

    # -- jobs -------------------------------------------------------------------

    @on(JobsTable.Chosen)
    def _row_chosen(self) -> None:
        self.action_open_job()

    def action_open_job(self) -> None:
        from tui.screens.job_detail import JobDetailScreen

        job = self.table.selected_job
        if job is not None:
            self.app.push_screen(JobDetailScreen(job))

    def action_cancel_job(self) -> None:
        ask_to_cancel(self.medkb, self.table.selected_job)

    def action_retry_job(self) -> None:
        ask_to_retry(self.medkb, self.table.selected_job)
