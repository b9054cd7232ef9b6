"""`medkb worker ...`: run a worker, start one detached, see and stop them."""

from __future__ import annotations

import argparse
import time
from typing import Any

from core.engine.worker import (
    configure_logging,
    live_workers,
    run_worker,
    start_detached,
    worker_log_file,
)
from core.jobs import Job, JobStatus
from core.store import JobFilter
from tui.cli import EXIT_FAILED, EXIT_OK, CommandFailed, Context
from tui.jobs_commands import age


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    worker = commands.add_parser(
        "worker", parents=[common], help="run jobs: a worker in the foreground"
    )
    worker.add_argument(
        "action", nargs="?", choices=["run", "status", "stop"], default="run"
    )
    worker.add_argument("--concurrency", type=int, default=None, metavar="N")
    worker.add_argument("--idle-exit", type=float, default=None, metavar="SECONDS")
    worker.add_argument(
        "--detach", action="store_true", help="start in the background and return"
    )
    worker.set_defaults(command=worker_command)


def worker_command(args: argparse.Namespace, context: Context) -> int:
    if args.concurrency is not None and args.concurrency < 1:
        raise CommandFailed("--concurrency must be at least 1")
    if args.action == "status":
        print_workers(context)
        return EXIT_OK
    if args.action == "stop":
        return stop_workers(context)
    context.store  # noqa: B018 - open it now, so a bad store fails here
    if args.detach:
        return detach(args, context)
    configure_logging(context.settings, context.store_url)
    return run_worker(
        context.settings,
        context.store,
        concurrency=args.concurrency,
        idle_exit=args.idle_exit,
    )


def detach(args: argparse.Namespace, context: Context) -> int:
    pid = start_detached(
        context.settings,
        context.store_url,
        concurrency=args.concurrency,
        idle_exit=args.idle_exit,
    )
    print(f"started worker (pid {pid}); log: {worker_log_file(context.settings)}")
    return EXIT_OK


def print_workers(context: Context) -> None:
    workers = live_workers(context.store, context.settings)
    if not workers:
        print("no live worker; start one with `medkb worker --detach`")
    for worker in workers:
        jobs = ", ".join(worker.jobs) or "idle"
        print(
            f"worker {worker.id} on {worker.host} (pid {worker.pid}), "
            f"up {age(worker.started_at)}, {worker.concurrency} processes: {jobs}"
        )


def stop_workers(context: Context) -> int:
    workers = live_workers(context.store, context.settings)
    if not workers:
        print("no live worker to stop")
        return EXIT_OK
    ids = {worker.id for worker in workers}
    running = [job for job in _running_jobs(context) if job.worker_id in ids]
    for worker in workers:
        context.store.request_worker_stop(worker.id)
    deadline = time.monotonic() + context.settings.cancel_grace + 15
    waiting = {worker.id for worker in workers}
    while waiting and time.monotonic() < deadline:
        time.sleep(0.2)
        waiting &= {w.id for w in live_workers(context.store, context.settings)}
    if waiting:
        print(f"asked to stop but still running: {', '.join(sorted(waiting))}")
        return EXIT_FAILED
    stopped = f"stopped {len(workers)} worker(s)"
    requeued = [
        job.id
        for job in running
        if context.store.get(job.id).status is JobStatus.PENDING
    ]
    if requeued:
        stopped += f"; back to pending for the next worker: {', '.join(requeued)}"
    print(stopped)
    return EXIT_OK


def _running_jobs(context: Context) -> list[Job]:
    where = JobFilter(statuses=frozenset({JobStatus.RUNNING}))
    return context.store.list_jobs(where, limit=10_000)
