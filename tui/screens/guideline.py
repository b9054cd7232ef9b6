"""One guideline as Markdown, or why there is none."""

from __future__ import annotations

from pydantic import ValidationError
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Markdown, Static

from core.coverage import CellState
from core.knowledge import Guideline, language_by_code, to_markdown, topic_by_slug
from tui.plain import one_line, plain
from tui.screens.dashboard import HELP_AND_QUIT, DashboardScreen
from tui.widgets.knowledge_grid import language_label


class GuidelineRead(Message):
    def __init__(self, markdown: str, problem: str) -> None:
        super().__init__()
        self.markdown = markdown
        self.problem = problem


class GuidelineScreen(DashboardScreen):
    """The guideline of a topic in a language; links are shown, never opened."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the grid"),
        *HELP_AND_QUIT,
    ]

    def __init__(
        self, topic: str, language: str, state: CellState, reason: str
    ) -> None:
        super().__init__()
        self.topic = topic
        self.language = language
        self.state = state
        self.reason = reason

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="guideline-title")
        with VerticalScroll(id="guideline"):
            yield Markdown(open_links=False)
        yield Footer(compact=True, show_command_palette=False)

    def _title(self) -> Text:
        topic = topic_by_slug().get(self.topic)
        title = Text.assemble(
            (one_line(topic.title if topic else self.topic), "bold"),
            f" · {language_label(self.language)} · {self.state.value}",
        )
        if self.reason:
            title.append(f"\nLast attempt failed: {one_line(self.reason)}", "red")
        return title

    def on_mount(self) -> None:
        self.query_one("#guideline").focus()
        self._read()

    @work(thread=True, exclusive=True)
    def _read(self) -> None:
        store = self.medkb.store
        try:
            item = store.get_item(self.topic, self.language)
        except store.transient_errors as error:
            self.post_message(GuidelineRead("", f"The store did not answer: {error}"))
            return
        if item is None:
            self.post_message(GuidelineRead("", "No guideline here yet."))
            return
        try:
            guideline = Guideline.model_validate(item.data)
        except ValidationError as error:
            problem = f"The saved guideline does not fit the schema: {error}"
            self.post_message(GuidelineRead("", problem))
            return
        language = language_by_code().get(self.language)
        self.post_message(GuidelineRead(plain(to_markdown(guideline, language)), ""))

    @on(GuidelineRead)
    def _show(self, message: GuidelineRead) -> None:
        if message.problem:
            self.query_one("#guideline-title", Static).update(
                Text.assemble(self._title(), "\n", (plain(message.problem), "italic"))
            )
        self.query_one(Markdown).update(message.markdown)
