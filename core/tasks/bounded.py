"""Run many provider calls with bounded concurrency and a prompt cancel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from core.tasks.registry import JobCancelled, TaskContext

T = TypeVar("T")

CANCEL_POLL = 0.05


async def run_bounded(
    work: Iterable[T],
    handle: Callable[[T], Awaitable[None]],
    concurrency: int,
    context: TaskContext,
) -> None:
    """Call handle on every piece of work, at most `concurrency` at once.

    A cancel request stops everything in flight within about CANCEL_POLL
    seconds and raises JobCancelled; what was handed over stays saved.
    """
    gate = asyncio.Semaphore(concurrency)

    async def guarded(piece: T) -> None:
        async with gate:
            await handle(piece)

    try:
        async with asyncio.TaskGroup() as group:
            watcher = group.create_task(_watch_cancel(context))
            calls = [group.create_task(guarded(piece)) for piece in work]
            await asyncio.gather(*calls)
            watcher.cancel()
    except BaseExceptionGroup as group_error:
        # Surface one plain exception: the cancel if there was one, else the first.
        if group_error.subgroup(JobCancelled) is not None:
            raise JobCancelled(context.job_id) from None
        raise group_error.exceptions[0] from None


async def _watch_cancel(context: TaskContext) -> None:
    while not context.cancel_requested:
        await asyncio.sleep(CANCEL_POLL)
    raise JobCancelled(context.job_id)
