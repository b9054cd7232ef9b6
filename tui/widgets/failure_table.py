"""The items a job failed on, with the reasons, from its result."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from tui.plain import one_line


class FailureTable(DataTable[Text]):
    """Topic, language and reason of each failed item; hidden when none."""

    def __init__(self) -> None:
        super().__init__(cursor_type="row", id="failures")
        self.shown: list[dict[str, Any]] = []

    def on_mount(self) -> None:
        self.add_columns("Failed", "Lang", "Reason")

    def show(self, failures: list[dict[str, Any]]) -> None:
        self.set_class(bool(failures), "-shown")
        if failures == self.shown:
            return
        self.shown = failures
        self.clear()
        for failure in failures:
            self.add_row(
                Text(one_line(failure.get("topic", ""), 24)),
                Text(one_line(failure.get("language", "en"), 4)),
                Text(one_line(failure.get("reason", ""), 200)),
            )
