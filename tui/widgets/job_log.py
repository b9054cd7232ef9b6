"""A job's own log, newest at the bottom; it follows new lines or holds still."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import RichLog

from core.jobs import LogLine
from tui.plain import plain

LEVEL_STYLES = {"debug": "dim", "warning": "yellow", "error": "bold red"}
MAX_LINES = 2000


class JobLog(RichLog):
    """Log lines as plain text with their time and level."""

    following: reactive[bool] = reactive(True)

    def __init__(self) -> None:
        super().__init__(max_lines=MAX_LINES, id="log", wrap=False)
        self.held_back = 0

    def add(self, lines: list[LogLine], fresh: bool) -> None:
        if fresh:
            self.clear()
        for line in lines:
            self.write(self._text(line))
        if not self.following:
            self.held_back += len(lines)
        self._title()

    @staticmethod
    def _text(line: LogLine) -> Text:
        level = line.level.lower()
        return Text.assemble(
            (line.at.astimezone().strftime("%H:%M:%S"), "dim"),
            " ",
            (plain(level.upper()).ljust(7)[:7], LEVEL_STYLES.get(level, "")),
            " ",
            plain(line.message),
        )

    def watch_following(self, following: bool) -> None:
        self.auto_scroll = following
        if following:
            self.held_back = 0
            self.scroll_end(animate=False)
        self._title()

    def _title(self) -> None:
        if self.following:
            self.border_title = "Log · following (f pauses)"
        else:
            self.border_title = f"Log · paused, {self.held_back} new (f follows)"
