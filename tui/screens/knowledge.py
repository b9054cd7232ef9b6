"""The knowledge base view: which guideline exists in which language."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from core.coverage import Coverage, coverage, recent_failures
from core.jobs import Job
from core.knowledge import SOURCE_LANGUAGE
from tui.job_actions import start_job
from tui.screens.dashboard import DASHBOARD_BINDINGS, DashboardScreen
from tui.widgets.knowledge_grid import CELL_LOOKS, KnowledgeGrid
from tui.widgets.status_header import StatusHeader

#: reading every guideline is the heavy part: at most this often while jobs run
RELOAD_SECONDS = 2.0
KNOWLEDGE_KINDS = frozenset({"train", "translate"})


class KnowledgeLoaded(Message):
    def __init__(self, grid: Coverage, reasons: dict[tuple[str, str], str]) -> None:
        super().__init__()
        self.grid = grid
        self.reasons = reasons


class KnowledgeScreen(DashboardScreen):
    """The grid, a legend, and the action that fills its gaps."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", tooltip="Back"),
        Binding(
            "m",
            "translate_missing",
            "Translate missing",
            tooltip=(
                "Translate the missing and stale guidelines of this topic, "
                "this language or everything"
            ),
        ),
        *(binding for binding in DASHBOARD_BINDINGS if binding.key != "k"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.loaded_at = 0.0
        self.reload_due = False
        self.reasons: dict[tuple[str, str], str] = {}

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        yield KnowledgeGrid()
        yield Static(self._legend(), id="legend")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.medkb.job_changes.subscribe(self, self._jobs_changed)
        self.query_one(KnowledgeGrid).focus()
        self._load()

    @staticmethod
    def _legend() -> Text:
        legend = Text()
        for state, (symbol, style) in CELL_LOOKS.items():
            legend.append(f"{symbol} {state.value}", style)
            legend.append("  ")
        legend.append("enter: read · m: translate missing")
        return legend

    # -- loading --------------------------------------------------------------

    def _jobs_changed(self, jobs: list[Job]) -> None:
        if self.reload_due or not any(job.kind in KNOWLEDGE_KINDS for job in jobs):
            return
        self.reload_due = True
        wait = max(0.0, self.loaded_at + RELOAD_SECONDS - time.monotonic())
        self.set_timer(wait, self._load)

    @work(thread=True, exclusive=True, group="knowledge")
    def _load(self) -> None:
        self.loaded_at, self.reload_due = time.monotonic(), False
        store = self.medkb.store
        try:
            grid, reasons = coverage(store), recent_failures(store)
        except store.transient_errors:
            return  # the header says the store is in trouble
        self.post_message(KnowledgeLoaded(grid, reasons))

    @on(KnowledgeLoaded)
    def _loaded(self, message: KnowledgeLoaded) -> None:
        self.reasons = message.reasons
        self.query_one(KnowledgeGrid).show(message.grid)

    # -- actions --------------------------------------------------------------

    @on(DataTable.CellSelected, "#grid")
    def _cell_chosen(self) -> None:
        from tui.screens.guideline import GuidelineScreen

        grid = self.query_one(KnowledgeGrid)
        topic, language = grid.selected
        if topic is None or grid.map is None:
            return
        language = language or SOURCE_LANGUAGE
        reason = self.reasons.get((topic, language), "")
        state = grid.map.state(topic, language)
        self.app.push_screen(GuidelineScreen(topic, language, state, reason))

    def action_translate_missing(self) -> None:
        from tui.screens.translate_missing import TranslateMissingScreen

        grid = self.query_one(KnowledgeGrid)
        if grid.map is None or self.medkb.refuse_in_read_only("start a translation"):
            return
        topic, language = grid.selected
        self.app.push_screen(
            TranslateMissingScreen(grid.map, topic, language), self._translate
        )

    def _translate(self, scope: dict[str, list[str]] | None) -> None:
        if scope is None:
            return
        if "topics" in scope:
            what = f"a translation of topic {scope['topics'][0]}"
        elif "languages" in scope:
            what = f"a translation into {scope['languages'][0]}"
        else:
            what = "a translation of everything missing or stale"
        start_job(self.medkb, "translate", dict(scope), what)
