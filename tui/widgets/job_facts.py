"""The facts of one job: status, progress, params, result, tokens, message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widgets import Static

from core.jobs import FINISHED, Job
from tui.job_cells import EMPTY, bar_text, duration, outside_text, status_text
from tui.job_cells import value_text as shown_value
from tui.job_timing import elapsed_seconds
from tui.plain import one_line

LABEL_WIDTH = 10


@dataclass(frozen=True)
class Tokens:
    """Tokens the provider reported for the guidelines a job saved."""

    read: int
    written: int
    guidelines: int


class JobFacts(Static):
    """A few labelled lines about a job; long values are cut to one line."""

    def show(
        self, job: Job, now: datetime, eta: float | None, tokens: Tokens | None
    ) -> None:
        lines = [
            self._title(job),
            self._line("Progress", self._progress(job, now, eta)),
            self._line("Params", _fields(job.params)),
            self._line("Result", _fields(_result(job)) if job.result else EMPTY),
            self._line("Tokens", _tokens(tokens)),
            self._line("Message", one_line(job.message) or EMPTY),
        ]
        self.update(Text("\n").join(lines))

    @staticmethod
    def _title(job: Job) -> Text:
        title = Text.assemble(status_text(job.status), "  ", outside_text(job.id))
        title.append(f"  attempt {job.attempts}/{job.max_attempts}")
        if job.cancel_requested and job.status not in FINISHED:
            title.append("  cancel requested", "bold magenta")
        if job.retry_of:
            title.append(f"  retry of {one_line(job.retry_of)}")
        title.no_wrap, title.overflow = True, "ellipsis"
        return title

    @staticmethod
    def _line(label: str, value: Text | str) -> Text:
        line = Text.assemble((label.ljust(LABEL_WIDTH), "bold"), value)
        line.no_wrap, line.overflow = True, "ellipsis"
        return line

    @staticmethod
    def _progress(job: Job, now: datetime, eta: float | None) -> Text:
        done, total = job.progress.done, job.progress.total
        line = bar_text(done, total, 20)
        line.append(f"  {done}/{total}  elapsed {duration(elapsed_seconds(job, now))}")
        if eta is not None:
            line.append(f"  ETA {duration(eta)}")
        return line


def _result(job: Job) -> dict[str, Any]:
    """The result without the failures, which have their own table."""
    return {k: v for k, v in (job.result or {}).items() if k != "failures"}


def _fields(values: dict[str, Any]) -> str:
    if not values:
        return EMPTY
    return one_line(" · ".join(f"{k}: {shown_value(k, v)}" for k, v in values.items()))


def _tokens(tokens: Tokens | None) -> str:
    if tokens is None:
        return "counting…"
    if not tokens.guidelines or not (tokens.read or tokens.written):
        return "none recorded"
    return (
        f"{tokens.read:,} in · {tokens.written:,} out, "
        f"for the {tokens.guidelines} guidelines it saved"
    )
