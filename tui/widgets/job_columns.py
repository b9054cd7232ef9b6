"""The columns of the jobs table, and how each draws a job in a cell.

Two layouts: a narrow one that fits 80 columns, and a wide one from 120.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text

from core.jobs import Job, JobStatus
from tui.job_cells import clock_time, duration, outside_text, progress_text, status_text
from tui.job_timing import ItemRates, elapsed_seconds


@dataclass(frozen=True)
class Column:
    """A column of the table; width 0 takes the room the others leave."""

    key: str
    label: str
    width: int


NARROW = (
    Column("id", "Id", 6),
    Column("kind", "Kind", 9),
    Column("status", "Status", 11),
    Column("progress", "Progress", 10),
    Column("eta", "ETA", 6),
    Column("message", "Message", 0),
)
WIDE = (
    Column("id", "Id", 23),
    Column("status", "Status", 11),
    Column("progress", "Progress", 15),
    Column("done", "Done", 9),
    Column("started", "Started", 8),
    Column("elapsed", "Elapsed", 7),
    Column("eta", "ETA", 6),
    Column("message", "Message", 0),
)
WIDE_FROM = 120
MIN_MESSAGE = 12
PADDING = 2  # one cell each side of every column


def layout_for(width: int) -> tuple[tuple[Column, ...], int]:
    """The columns for a table this wide, and the message column's width."""
    columns = WIDE if width >= WIDE_FROM else NARROW
    fixed = sum(column.width + PADDING for column in columns)
    return columns, max(MIN_MESSAGE, width - 1 - fixed)  # 1: the scrollbar


@dataclass(frozen=True)
class Seen:
    """When a row is drawn, and the rates its ETA comes from."""

    now: datetime
    rates: ItemRates


def _id(job: Job, width: int, seen: Seen) -> Text:
    """The whole id when it fits, else its end (the part that differs)."""
    return outside_text(job.id if width >= len(job.id) else job.id[-width:])


def _done(job: Job, width: int, seen: Seen) -> Text:
    total = job.progress.total
    return Text(f"{job.progress.done}/{total}" if total else "")


def _started(job: Job, width: int, seen: Seen) -> Text:
    return Text(clock_time(job.started_at, seen.now) if job.started_at else "")


def _elapsed(job: Job, width: int, seen: Seen) -> Text:
    seconds = elapsed_seconds(job, seen.now)
    return Text(duration(seconds) if seconds is not None else "")


def _eta(job: Job, width: int, seen: Seen) -> Text:
    if job.status is not JobStatus.RUNNING:
        return Text("")
    return Text(duration(seen.rates.eta_seconds(job, seen.now)))


Cell = Callable[[Job, int, Seen], Text]
CELLS: dict[str, Cell] = {
    "id": _id,
    "kind": lambda job, width, seen: outside_text(job.kind, width),
    "status": lambda job, width, seen: status_text(job.status),
    "progress": lambda job, width, seen: progress_text(job, width - 5),
    "done": _done,
    "started": _started,
    "elapsed": _elapsed,
    "eta": _eta,
    "message": lambda job, width, seen: outside_text(job.error or job.message, width),
}


def cells_of(
    job: Job, columns: tuple[Column, ...], message_width: int, seen: Seen
) -> list[Text]:
    """The job's cells, one per column."""
    return [CELLS[c.key](job, c.width or message_width, seen) for c in columns]
