"""Choose what to translate from the grid: this topic, this language, or all."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from core.coverage import Coverage
from core.knowledge import SOURCE_LANGUAGE, topic_by_slug
from tui.plain import one_line
from tui.widgets.knowledge_grid import language_label

Scope = dict[str, list[str]]


class TranslateMissingScreen(ModalScreen[Scope | None]):
    """Three buttons with the number of translations each would make."""

    BINDINGS = [
        Binding("t", "choose('topic')", "This topic"),
        Binding("l", "choose('language')", "This language"),
        Binding("a", "choose('all')", "Everything"),
        Binding("escape", "dismiss(None)", "Cancel"),
    ]

    def __init__(self, grid: Coverage, topic: str | None, language: str | None) -> None:
        super().__init__(classes="dialog")
        self.grid = grid
        self.topic = topic
        self.language = language if language != SOURCE_LANGUAGE else None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                "Translate the missing and stale guidelines of…", id="question"
            )
            yield self._button("topic", "t", self._topic_words(), topic=self.topic)
            yield self._button(
                "language", "l", self._language_words(), language=self.language
            )
            yield self._button("all", "a", "everything")
            yield Button("Cancel (esc)", id="cancel", compact=True)

    def _button(self, name: str, key: str, words: str, **limits: str | None) -> Button:
        if any(value is None for value in limits.values()):
            return Button(
                Content(f"{words} ({key})"), id=name, disabled=True, compact=True
            )
        topic, language = limits.get("topic"), limits.get("language")
        cells = self.grid.to_translate(
            [topic] if topic else None, [language] if language else None
        )
        count = len(cells)
        label = Content(f"{words}: {count} to translate ({key})")
        return Button(
            label, id=name, disabled=count == 0, variant="primary", compact=True
        )

    def _topic_words(self) -> str:
        if self.topic is None:
            return "this topic (put the cursor on a topic)"
        topic = topic_by_slug().get(self.topic)
        return "topic " + one_line(topic.title if topic else self.topic, 30)

    def _language_words(self) -> str:
        if self.language is None:
            return "this language (put the cursor on a language)"
        return one_line(language_label(self.language), 30)

    def on_mount(self) -> None:
        for button in self.query(Button):
            if not button.disabled:
                button.focus()
                return

    def action_choose(self, name: str) -> None:
        button = self.query_one(f"#{name}", Button)
        if not button.disabled:
            button.press()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        scopes: dict[str, Scope] = {"all": {}}
        if self.topic is not None:
            scopes["topic"] = {"topics": [self.topic]}
        if self.language is not None:
            scopes["language"] = {"languages": [self.language]}
        self.dismiss(scopes.get(str(event.button.id)))
