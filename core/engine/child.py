"""The side of the engine that runs inside a pool process.

A child never opens the store: it runs one task at a time and reports
through its own connection to the supervisor. Each child has a
connection of its own (rather than one shared multiprocessing.Queue)
because a child killed while writing to a shared queue would leave the
queue's lock held and block every other child.
"""

from __future__ import annotations

import asyncio
import ctypes
import inspect
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Mapping
from multiprocessing.connection import Client, Connection
from pathlib import Path
from types import FrameType
from typing import Any

from core.engine.events import (
    Event,
    Failed,
    Finished,
    Hello,
    ItemReady,
    Logged,
    ProgressMade,
    Started,
    Stopped,
)
from core.tasks.registry import (
    JobCancelled,
    load_task_modules,
    spec_for,
    warm_up_all,
)

log = logging.getLogger(__name__)

STOP_SIGNAL = signal.SIGUSR1
#: the loggers whose records reach the log of the job that is running
OUR_LOGGERS = "core"

_channel: Connection | None = None
_scratch_dir = Path()
_stop = threading.Event()
_loop: asyncio.AbstractEventLoop | None = None


def init_child(address: str, authkey: bytes, task_modules: str) -> None:
    """Pool initializer: connect to the supervisor and get ready to run tasks."""
    global _channel, _scratch_dir
    _scratch_dir = Path(address).parent
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(STOP_SIGNAL, _on_stop_signal)
    logging.getLogger(OUR_LOGGERS).setLevel(logging.INFO)
    load_task_modules(task_modules)
    warm_up_all()
    _channel = Client(address, family="AF_UNIX", authkey=authkey)
    _channel.send(Hello(os.getpid()))


def nothing() -> None:
    """A task that does nothing: scheduling it starts every pool process."""


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this child if its supervisor dies."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the supervisor died before we asked
        os._exit(1)


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    _stop.set()


def _send(event: Event) -> None:
    if _channel is None:
        raise RuntimeError("the child is not connected to its supervisor")
    _channel.send(event)


class ChildContext:
    """The TaskContext a task gets inside a child process."""

    def __init__(self, job_id: str, saved_keys: frozenset[tuple[str, str]]) -> None:
        self.job_id = job_id
        self.saved_keys = saved_keys
        self.scratch_dir = _scratch_dir

    def progress(
        self,
        done: int,
        total: int,
        message: str = "",
        parts: Mapping[str, Mapping[str, int]] | None = None,
    ) -> None:
        plain = {name: dict(part) for name, part in (parts or {}).items()}
        _send(ProgressMade(self.job_id, done, total, message, plain))

    def log(self, message: str, level: str = "info") -> None:
        _send(Logged(self.job_id, level, message))

    def item(self, topic: str, language: str, data: dict[str, Any]) -> None:
        _send(ItemReady(self.job_id, topic, language, data))

    @property
    def cancel_requested(self) -> bool:
        return _stop.is_set()

    def check_cancel(self) -> None:
        if _stop.is_set():
            raise JobCancelled(self.job_id)


def run_job(
    job_id: str,
    kind: str,
    params: dict[str, Any],
    task_input: Any,
    saved_keys: frozenset[tuple[str, str]],
) -> str:
    """Run one job's task to its end and report how it ended."""
    _stop.clear()
    _send(Started(job_id, os.getpid()))
    context = ChildContext(job_id, saved_keys)
    to_job_log = JobLogHandler(context)
    ours = logging.getLogger(OUR_LOGGERS)
    ours.addHandler(to_job_log)
    try:
        result = _call_task(kind, params, task_input, context)
    except JobCancelled:
        _send(Stopped(job_id))
        return "stopped"
    except Exception as error:  # a task's failure is reported, not raised
        context.log(traceback.format_exc().rstrip(), "error")
        _send(Failed(job_id, f"{type(error).__name__}: {error}"))
        return "failed"
    finally:
        ours.removeHandler(to_job_log)
    _send(Finished(job_id, result))
    return "finished"


class JobLogHandler(logging.Handler):
    """Our own modules' log records, while a job runs, go to that job's log.

    So a retry or a wait for the rate limit shows where the user looks. The
    supervisor scrubs every line of secrets before it is stored.
    """

    def __init__(self, context: ChildContext) -> None:
        super().__init__(logging.INFO)
        self.context = context

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.context.log(record.getMessage(), record.levelname.lower())
        except Exception:  # a log line must never break the job
            self.handleError(record)


def _call_task(
    kind: str, params: dict[str, Any], task_input: Any, context: ChildContext
) -> dict[str, Any]:
    spec = spec_for(kind)
    model = spec.params_model.model_validate(params)
    if inspect.iscoroutinefunction(spec.run):
        outcome = _event_loop().run_until_complete(spec.run(model, task_input, context))
    else:
        outcome = spec.run(model, task_input, context)
    return dict(outcome or {})


def _event_loop() -> asyncio.AbstractEventLoop:
    """One loop for the life of the process, so clients outlive a single job."""
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
        asyncio.set_event_loop(_loop)
    return _loop
