"""The knowledge base grid: topics down, languages across, a state per cell.

The first row counts the saved guidelines of each language; the second
column counts those of each topic. Both stay in view while scrolling.
"""

from __future__ import annotations

from rich.text import Text
from textual.events import Resize
from textual.widgets import DataTable

from core.coverage import CellState, Coverage
from core.knowledge import language_by_code, topic_by_slug
from tui.plain import one_line
from tui.widgets.changed_cells import rewrite_changed_cells

CELL_LOOKS = {
    CellState.SAVED: ("●", "green"),
    CellState.STALE: ("◐", "yellow"),
    CellState.MISSING: ("·", "bright_black"),
    CellState.FAILED: ("✗", "bold red"),
}
COUNTS_ROW = "saved"
TOPIC, COUNT = "topic", "count"
WIDE_FROM = 120
#: at 80 columns, 13 leaves room for the counts and all 20 languages
NARROW_TOPIC = 13


def cell_text(state: CellState) -> Text:
    symbol, style = CELL_LOOKS[state]
    return Text(f" {symbol} ", style)


class KnowledgeGrid(DataTable[Text]):
    """One row per topic, one column per language (English first)."""

    def __init__(self) -> None:
        super().__init__(cursor_type="cell", fixed_columns=2, cell_padding=0, id="grid")
        self.map: Coverage | None = None
        self.topic_width = NARROW_TOPIC
        self.shown: dict[str, list[Text]] = {}

    def on_resize(self, event: Resize) -> None:
        width = 30 if event.size.width >= WIDE_FROM else NARROW_TOPIC
        if width != self.topic_width:
            self.topic_width = width
            if self.map is not None:
                self._rebuild(self.map)

    def show(self, grid: Coverage) -> None:
        """Show the map; only cells whose state changed are rewritten."""
        rows = self._rows(grid)
        same_shape = self.map is not None and list(rows) == list(self.shown)
        self.map = grid
        if not same_shape:
            self._rebuild(grid)
            return
        for key, cells in rows.items():
            rewrite_changed_cells(self, key, self.shown[key], cells)
        self.shown = rows

    def _rebuild(self, grid: Coverage) -> None:
        cursor = self.cursor_coordinate
        # DataTable fails to draw a fixed row that does not exist (yet).
        self.fixed_rows = 0
        self.clear(columns=True)
        self.add_column(Text(" Topic", "bold"), key=TOPIC, width=self.topic_width)
        self.add_column(Text("  Σ  ", "bold"), key=COUNT, width=6)
        for code in grid.languages:
            self.add_column(Text(f" {code}", "bold"), key=code, width=3)
        self.shown = self._rows(grid)
        for key, cells in self.shown.items():
            self.add_row(*cells, key=key)
        self.fixed_rows = 1
        self.move_cursor(row=cursor.row, column=cursor.column, animate=False)

    def _rows(self, grid: Coverage) -> dict[str, list[Text]]:
        rows = {COUNTS_ROW: self._counts_row(grid)}
        width, titles = len(grid.languages), topic_by_slug()
        for slug in grid.topics:
            saved = grid.by_topic(slug)[CellState.SAVED]
            title = titles[slug].title if slug in titles else slug
            rows[slug] = [
                Text(" " + one_line(title, self.topic_width - 2)),
                Text(f"{saved:>2}/{width:<2} ", "green" if saved == width else ""),
                *(cell_text(grid.state(slug, code)) for code in grid.languages),
            ]
        return rows

    def _counts_row(self, grid: Coverage) -> list[Text]:
        saved = {
            code: grid.by_language(code)[CellState.SAVED] for code in grid.languages
        }
        total = sum(saved.values())
        return [
            Text(f" saved of {len(grid.topics)}", "italic"),
            Text(f"{total:>5} ", "italic"),
            *(Text(f"{saved[code]:>2} ", "italic") for code in grid.languages),
        ]

    @property
    def selected(self) -> tuple[str | None, str | None]:
        """The (topic, language) under the cursor; None for a count row or column."""
        if self.map is None or self.row_count == 0:
            return None, None
        keys = self.coordinate_to_cell_key(self.cursor_coordinate)
        topic, column = str(keys.row_key.value), str(keys.column_key.value)
        return (
            None if topic == COUNTS_ROW else topic,
            column if column in self.map.languages else None,
        )


def language_label(code: str) -> str:
    """`Español (es)`, or English for the source."""
    language = language_by_code().get(code)
    return f"{language.native_name} ({code})" if language else f"English ({code})"
