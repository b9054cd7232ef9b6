"""How a job's fields read on screen: a symbol per status, bars, durations.

Every status has a symbol and a word, so the table reads without colour;
colours are the ANSI ones, so it also reads in a 16-colour terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rich.text import Text

from core.jobs import Job, JobStatus
from tui.plain import one_line, plain

STATUS_SYMBOLS: Mapping[JobStatus, str] = {
    JobStatus.PENDING: "◷",
    JobStatus.RUNNING: "▶",
    JobStatus.COMPLETED: "✓",
    JobStatus.FAILED: "✗",
    JobStatus.CANCELLED: "⊘",
}
STATUS_STYLES: Mapping[JobStatus, str] = {
    JobStatus.PENDING: "yellow",
    JobStatus.RUNNING: "bold cyan",
    JobStatus.COMPLETED: "green",
    JobStatus.FAILED: "bold red",
    JobStatus.CANCELLED: "magenta",
}
_BAR_STYLES: Mapping[JobStatus, str] = {
    JobStatus.COMPLETED: "green",
    JobStatus.FAILED: "red",
    JobStatus.CANCELLED: "magenta",
}
_EIGHTHS = " ▏▎▍▌▋▊▉"
EMPTY = "—"


def status_text(status: JobStatus) -> Text:
    """`✓ completed`, in the status colour."""
    return Text(f"{STATUS_SYMBOLS[status]} {status.value}", style=STATUS_STYLES[status])


def bar(fraction: float, width: int) -> str:
    """A bar of block characters, in eighths of a cell, padded with ░."""
    cells = max(0.0, min(1.0, fraction)) * width
    full = int(cells)
    eighths = int((cells - full) * 8)
    filled = "█" * full + (_EIGHTHS[eighths] if eighths else "")
    return filled + "░" * (width - len(filled))


def bar_text(done: int, total: int, width: int, style: str = "cyan") -> Text:
    """A bar and its percent: `████▌░░░  56%`."""
    fraction = done / total if total > 0 else 0.0
    return Text.assemble((bar(fraction, width), style), f" {100 * fraction:3.0f}%")


def progress_text(job: Job, width: int) -> Text:
    """The job's bar, coloured by how it ended."""
    style = _BAR_STYLES.get(job.status, "cyan")
    return bar_text(job.progress.done, job.progress.total, width, style)


def duration(seconds: float | None) -> str:
    """A short duration: 42s, 4m05s, 1h02m, 3d04h; — when unknown."""
    if seconds is None:
        return EMPTY
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"


def clock_time(moment: datetime | None, now: datetime) -> str:
    """Local time of day for today, else the date."""
    if moment is None:
        return EMPTY
    local = moment.astimezone()
    if local.date() == now.astimezone().date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%d %b")


def outside_text(text: object, width: int | None = None, style: str = "") -> Text:
    """Text from outside (messages, errors, titles) on one line, never markup."""
    return Text(one_line(text, width), style=style, no_wrap=True, overflow="ellipsis")


#: params where None means every topic or language, rather than the default
ALL_WHEN_NONE = frozenset({"topics", "languages"})


def value_text(name: str, value: Any) -> str:
    """A param or result value in a few words; lists are shortened."""
    if value is None:
        return "all" if name in ALL_WHEN_NONE else "default"
    if isinstance(value, list):
        shown = ", ".join(plain(item) for item in value[:6])
        return shown + (f", … ({len(value)})" if len(value) > 6 else "")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return plain(value)
