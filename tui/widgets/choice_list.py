"""A titled multi-select with All and None buttons; all chosen at first."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, SelectionList, Static

from tui.plain import plain
from tui.widgets.tick_box import TickList


class ChoiceList(Vertical):
    """Choices as (label, value); `everything` when none is left out."""

    def __init__(
        self, heading: str, choices: list[tuple[str, str]], widget_id: str
    ) -> None:
        super().__init__(id=widget_id, classes="choices")
        self.heading = heading
        self.choices = choices

    def compose(self) -> ComposeResult:
        yield Static(self._heading(len(self.choices)), classes="choices-title")
        yield TickList(
            *((Content(plain(label)), value, True) for label, value in self.choices),
            compact=True,
        )
        with Horizontal(classes="choices-buttons"):
            yield Button("All", classes="all", compact=True)
            yield Button("None", classes="none", compact=True)

    def _heading(self, chosen: int) -> Content:
        return Content(f"{self.heading}: {chosen} of {len(self.choices)}")

    @property
    def chosen(self) -> list[str]:
        return list(self.query_one(SelectionList).selected)

    @property
    def everything(self) -> bool:
        return len(self.chosen) == len(self.choices)

    @on(Button.Pressed, ".all")
    def _all(self, event: Button.Pressed) -> None:
        event.stop()
        self.query_one(SelectionList).select_all()

    @on(Button.Pressed, ".none")
    def _none(self, event: Button.Pressed) -> None:
        event.stop()
        self.query_one(SelectionList).deselect_all()

    @on(SelectionList.SelectedChanged)
    def _count(self) -> None:
        self.query_one(".choices-title", Static).update(self._heading(len(self.chosen)))
