"""The forms that start jobs: a training and a translation.

Start has the focus, so `t` `enter` trains every missing topic and `l`
`enter` translates everything missing or stale into every language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Static

from core.knowledge import load_curriculum, load_languages
from tui.job_actions import start_job
from tui.widgets.choice_list import ChoiceList
from tui.widgets.tick_box import TickBox

if TYPE_CHECKING:
    from tui.app import MedkbApp


class NewJobScreen(ModalScreen[None]):
    """A form; subclasses say which kind, which fields and which params."""

    AUTO_FOCUS = "#start"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    kind = ""
    heading = ""

    @property
    def medkb(self) -> MedkbApp:
        return cast("MedkbApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(self.heading, classes="form-heading")
        with Horizontal(classes="form-lists"):
            yield from self.lists()
        with Horizontal(classes="form-options"):
            yield from self.options()
            yield Input(
                placeholder=f"model (default {self.medkb.settings.model})",
                id="model",
                compact=True,
            )
        with Horizontal(classes="buttons"):
            yield Button("Start", id="start", variant="success")
            yield Button("Cancel", id="cancel")
        yield Footer(compact=True, show_command_palette=False)

    def lists(self) -> ComposeResult:
        yield from ()

    def options(self) -> ComposeResult:
        yield from ()

    def params(self) -> tuple[dict[str, Any], str] | None:
        """The raw params and words for them, or None after telling why not."""
        raise NotImplementedError

    @property
    def model(self) -> str | None:
        return self.query_one("#model", Input).value.strip() or None

    def chosen(self, list_id: str) -> list[str] | None:
        """None when all are chosen (so that means every one), else the chosen."""
        choices = self.query_one(f"#{list_id}", ChoiceList)
        return None if choices.everything else choices.chosen

    def none_chosen(self, values: list[str] | None, what: str) -> bool:
        if values == []:
            self.medkb.tell(f"Choose at least one {what}, or All.", "warning")
            return True
        return False

    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        found = self.params()
        if found is not None and start_job(self.medkb, self.kind, *found):
            self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class NewTrainingScreen(NewJobScreen):
    """Write the guidelines of chosen topics (all missing ones by default)."""

    kind = "train"
    heading = "New training: write the missing English guidelines"

    def lists(self) -> ComposeResult:
        topics = [(topic.title, topic.slug) for topic in load_curriculum()]
        yield ChoiceList("Topics", topics, widget_id="topics")

    def options(self) -> ComposeResult:
        yield TickBox("Overwrite existing", id="overwrite", compact=True)

    def params(self) -> tuple[dict[str, Any], str] | None:
        topics = self.chosen("topics")
        if self.none_chosen(topics, "topic"):
            return None
        overwrite = self.query_one("#overwrite", Checkbox).value
        raw = {"topics": topics, "overwrite": overwrite, "model": self.model}
        which = "all" if topics is None else f"{len(topics)} chosen"
        done = "rewriting existing ones" if overwrite else "skipping existing ones"
        return raw, f"a training of {which} topics, {done}"


class NewTranslationScreen(NewJobScreen):
    """Translate what is missing or stale: chosen languages and topics."""

    kind = "translate"
    heading = "New translation: everything missing or stale"

    def lists(self) -> ComposeResult:
        languages = [
            (f"{language.code}  {language.name}", language.code)
            for language in load_languages()
        ]
        yield ChoiceList("Languages", languages, widget_id="languages")
        topics = [(topic.title, topic.slug) for topic in load_curriculum()]
        yield ChoiceList("Topics", topics, widget_id="topics")

    def params(self) -> tuple[dict[str, Any], str] | None:
        languages, topics = self.chosen("languages"), self.chosen("topics")
        if self.none_chosen(languages, "language") or self.none_chosen(topics, "topic"):
            return None
        raw = {"languages": languages, "topics": topics, "model": self.model}
        into = "all languages" if languages is None else ", ".join(languages)
        about = "all topics" if topics is None else f"{len(topics)} topics"
        return raw, f"a translation of {about} into {into}"
