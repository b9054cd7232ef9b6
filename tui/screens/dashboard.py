"""What every full screen of the dashboard shares: keys, header, the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.binding import Binding
from textual.screen import Screen

if TYPE_CHECKING:
    from tui.app import MedkbApp

#: help and quit, on every screen
HELP_AND_QUIT = [
    Binding("question_mark", "help", "Help", key_display="?", tooltip="List the keys"),
    Binding("q", "app.quit", "Quit", tooltip="Quit; jobs go on in the background"),
]
#: keys that work on every full screen; each screen lists its own first
DASHBOARD_BINDINGS = [
    Binding("t", "new_training", "Train", tooltip="Start a training job"),
    Binding("l", "new_translation", "Translate", tooltip="Start a translation job"),
    Binding("k", "knowledge", "KB", tooltip="Open the knowledge base view"),
    *HELP_AND_QUIT,
]


class DashboardScreen(Screen[None]):
    """A full screen with the header, the footer and the shared keys."""

    @property
    def medkb(self) -> MedkbApp:
        return cast("MedkbApp", self.app)

    def action_new_training(self) -> None:
        from tui.screens.new_job import NewTrainingScreen

        if not self.medkb.refuse_in_read_only("start a training"):
            self.app.push_screen(NewTrainingScreen())

    def action_new_translation(self) -> None:
        from tui.screens.new_job import NewTranslationScreen

        if not self.medkb.refuse_in_read_only("start a translation"):
            self.app.push_screen(NewTranslationScreen())

    def action_knowledge(self) -> None:
        from tui.screens.knowledge import KnowledgeScreen

        if not isinstance(self, KnowledgeScreen):
            self.app.push_screen(KnowledgeScreen())

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))
