"""Every key of the screen the help was opened from, and the filter syntax."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from tui.job_cells import STATUS_STYLES, STATUS_SYMBOLS
from tui.job_query import FILTER_HINT

MORE_KEYS = (
    ("enter", "Open the selected job, or the guideline of a cell"),
    ("↑ ↓ PgUp PgDn", "Move; past either end of a page, the next page loads"),
    ("Home End", "First and last job"),
    ("tab", "Move between parts of the screen"),
    ("ctrl+p", "Command palette: every action by name"),
)


class HelpScreen(ModalScreen[None]):
    """The keys, what the status symbols mean, and how to filter."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, origin: Screen[Any]) -> None:
        super().__init__(classes="dialog")
        self.origin = origin

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text("Keys", "bold"))
            yield DataTable[Text](id="keys", cursor_type="none", show_header=False)
            yield Static(self._legend(), id="legend")

    def on_mount(self) -> None:
        table = self.query_one("#keys", DataTable)
        table.add_columns("key", "does")
        for key, does in self._keys():
            table.add_row(Text(key, "bold"), Text(does))
        table.focus()

    def _keys(self) -> list[tuple[str, str]]:
        keys = []
        for active in self.origin.active_bindings.values():
            binding = active.binding
            if binding.tooltip:  # the dashboard's own keys; widgets' are below
                shown = binding.key_display or self.app.get_key_display(binding)
                keys.append((shown, binding.tooltip or binding.description))
        return keys + list(MORE_KEYS)

    @staticmethod
    def _legend() -> Text:
        legend = Text("Status: ")
        for status, symbol in STATUS_SYMBOLS.items():
            legend.append(f"{symbol} {status.value}", STATUS_STYLES[status])
            legend.append("  ")
        legend.append(f"\nFilter (/): {FILTER_HINT}")
        return legend

    def action_close(self) -> None:
        self.dismiss(None)
