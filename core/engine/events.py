"""What a child tells its supervisor, one message at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Hello:
    """A child process connected; sent once per process."""

    pid: int


@dataclass(frozen=True, slots=True)
class Started:
    job_id: str
    pid: int


@dataclass(frozen=True, slots=True)
class ProgressMade:
    job_id: str
    done: int
    total: int
    message: str
    parts: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Logged:
    job_id: str
    level: str
    message: str


@dataclass(frozen=True, slots=True)
class ItemReady:
    job_id: str
    topic: str
    language: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Finished:
    job_id: str
    result: dict[str, Any]
    message: str = "Completed"


@dataclass(frozen=True, slots=True)
class Failed:
    job_id: str
    error: str


@dataclass(frozen=True, slots=True)
class Stopped:
    """The task gave up because it was asked to (cancel or shutdown)."""

    job_id: str


Event = (
    Hello | Started | ProgressMade | Logged | ItemReady | Finished | Failed | Stopped
)
TERMINAL = (Finished, Failed, Stopped)
