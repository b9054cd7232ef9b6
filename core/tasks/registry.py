"""Which task function runs each job kind, and how its params are checked.

A kind is registered with its params model, the function that runs in a
child process, and optionally a `prepare` step that runs in the supervisor
(which may read the store) to build the task's whole input, because a
task never opens the store.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from core.store.base import Store


class JobCancelled(Exception):
    """Raised inside a task when its job was asked to stop."""


class TaskContext(Protocol):
    """What a running task may do: report, log, hand over items, see cancel."""

    job_id: str
    saved_keys: frozenset[tuple[str, str]]
    #: a private directory shared by every process of this worker
    scratch_dir: Path

    def progress(
        self,
        done: int,
        total: int,
        message: str = "",
        parts: Mapping[str, Mapping[str, int]] | None = None,
    ) -> None: ...

    def log(self, message: str, level: str = "info") -> None: ...

    def item(self, topic: str, language: str, data: dict[str, Any]) -> None: ...

    @property
    def cancel_requested(self) -> bool: ...

    def check_cancel(self) -> None: ...


# A task takes (params, input, context) and returns its result as a dict,
# directly or as a coroutine.
TaskFunction = Callable[[Any, Any, TaskContext], Any]
# prepare(params, store, saved_keys) runs in the supervisor and builds the
# task's whole input; saved_keys are the items this job saved before a resume.
PrepareFunction = Callable[[Any, "Store", frozenset[tuple[str, str]]], Any]


@dataclass(frozen=True)
class TaskSpec:
    """A job kind: its params model, its task and its input builder."""

    kind: str
    params_model: type[BaseModel]
    run: TaskFunction
    prepare: PrepareFunction | None = None
    #: runs once in each new child, before any job: slow imports, for one
    warm_up: Callable[[], None] | None = None


class UnknownKind(LookupError):
    """No task is registered for a job kind."""


class InvalidParams(ValueError):
    """Params that do not fit their kind; the message is fit for a user."""


_TASKS: dict[str, TaskSpec] = {}
_BUILTIN_MODULES = ("core.tasks.train", "core.tasks.translate")


def register(spec: TaskSpec) -> TaskSpec:
    """Make a kind known; registering the same kind again replaces it."""
    _TASKS[spec.kind] = spec
    return spec


def load_task_modules(extra: str = "") -> None:
    """Import the built-in task modules and any named in `extra` (comma list)."""
    names = [*_BUILTIN_MODULES, *(n.strip() for n in extra.split(",") if n.strip())]
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as error:
            raise UnknownKind(
                f"cannot load task module {name!r} named in MEDKB_TASK_MODULES: {error}"
            ) from None


def warm_up_all() -> None:
    """Run every kind's warm-up; a child does this when it starts."""
    for spec in _TASKS.values():
        if spec.warm_up is not None:
            spec.warm_up()


def kinds() -> list[str]:
    return sorted(_TASKS)


def spec_for(kind: str) -> TaskSpec:
    try:
        return _TASKS[kind]
    except KeyError:
        known = ", ".join(kinds()) or "none"
        raise UnknownKind(f"unknown job kind {kind!r} (known kinds: {known})") from None


def validate_params(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check params against the kind's model; return them normalised as JSON."""
    spec = spec_for(kind)
    try:
        model = spec.params_model.model_validate(dict(params))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "params"
        raise InvalidParams(
            f"invalid params for {kind}: {where}: {_message(first['msg'])}"
        ) from None
    return model.model_dump(mode="json")


def _message(text: str) -> str:
    return text.removeprefix("Value error, ")
