"""Rewrite only the cells of a table row whose text changed.

DataTable redraws what `update_cell` touches; skipping unchanged cells
keeps a busy job from repainting rows that did not move.
"""

from __future__ import annotations

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable


def rewrite_changed_cells(
    table: DataTable[Text], row_key: str, before: list[Text], after: list[Text]
) -> None:
    row = table.get_row_index(row_key)
    for column, (old, new) in enumerate(zip(before, after, strict=True)):
        if old != new:
            table.update_cell_at(Coordinate(row, column), new)
