"""A test-only job kind: sleeps, emits items, ignores cancel or crashes on command.

Registered in real worker processes through MEDKB_TASK_MODULES=tests.engine_tasks.
"""

from __future__ import annotations

import ctypes
import os
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.tasks.registry import TaskContext, TaskSpec, register


class StepParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: int = Field(default=3, ge=0, le=100_000)
    step_seconds: float = Field(default=0.0, ge=0)
    ignore_cancel: bool = False
    crash: Literal["none", "exit", "segfault", "raise"] = "none"
    crash_at: int = 0
    item_bytes: int = 16
    log_secret: bool = False


def run_steps(
    params: StepParams, task_input: Any, context: TaskContext
) -> dict[str, Any]:
    skipped = 0
    for step in range(params.steps):
        if (f"step-{step}", "xx") in context.saved_keys:
            skipped += 1
            continue
        if params.crash != "none" and step == params.crash_at:
            _crash(params.crash)
        _wait(params, context)
        data = {"step": step, "pid": os.getpid(), "pad": "x" * params.item_bytes}
        context.item(f"step-{step}", "xx", data)
        context.progress(step + 1, params.steps, f"Step {step + 1}/{params.steps}")
        context.log(f"did step {step}")
    if params.log_secret:
        secret = os.environ.get("GEMINI_API_KEY", "")
        context.log(f"calling with key {secret}", "warning")
        raise RuntimeError(f"request with key={secret} was refused")
    return {"steps": params.steps, "skipped": skipped}


def _wait(params: StepParams, context: TaskContext) -> None:
    deadline = time.monotonic() + params.step_seconds
    while time.monotonic() < deadline:
        if not params.ignore_cancel:
            context.check_cancel()
        time.sleep(min(0.01, params.step_seconds))


def _crash(how: str) -> None:
    if how == "exit":
        os._exit(3)
    if how == "segfault":
        ctypes.string_at(0)
    raise RuntimeError("the task crashed on command")


register(TaskSpec(kind="test", params_model=StepParams, run=run_steps))
