"""Tick boxes that show their X only when ticked, so they read without colour.

Textual draws an X in every box and tells ticked from unticked by colour
alone, which a 16-colour or monochrome terminal may not show.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList


class TickBox(Checkbox):
    """A checkbox: `▐X▌` when ticked, `▐ ▌` when not."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # Textual's name
        return "X" if self.value else " "


class TickList(SelectionList[str]):
    """A selection list whose unselected boxes are empty."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        index = self.scroll_offset.y + y
        if index >= self.option_count:
            return line
        if self.get_option_at_index(index).value in self._selected:
            return line
        segments = list(line)
        if len(segments) > 1 and segments[1].text == "X":
            segments[1] = Segment(" ", segments[1].style)
        return Strip(segments, line.cell_length)
