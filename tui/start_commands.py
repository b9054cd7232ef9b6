"""`medkb train` and `medkb translate`: enqueue a job, make sure a worker runs it."""

from __future__ import annotations

import argparse
import time
from typing import Any

from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from core.engine.worker import ensure_worker
from core.jobs import FINISHED, Job, JobStatus
from core.llm.provider import chosen_provider, describe
from core.tasks.registry import validate_params
from tui.cli import EXIT_FAILED, EXIT_OK, Context
from tui.plain import one_line

EXIT_INTERRUPTED = 130


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    train = commands.add_parser(
        "train", parents=[common], help="write English guidelines for the curriculum"
    )
    train.add_argument("--topics", type=_comma_list, metavar="SLUG,...")
    train.add_argument("--overwrite", action="store_true", help="rewrite saved ones")
    train.add_argument("--model", metavar="M", help="the Gemini model to use")
    train.add_argument("--wait", action="store_true", help="follow it to the end")
    train.set_defaults(command=start_training)

    translate = commands.add_parser(
        "translate", parents=[common], help="translate missing and stale guidelines"
    )
    translate.add_argument("--languages", type=_comma_list, metavar="CODE,...")
    translate.add_argument("--topics", type=_comma_list, metavar="SLUG,...")
    translate.add_argument("--model", metavar="M", help="the Gemini model to use")
    translate.add_argument("--wait", action="store_true", help="follow it to the end")
    translate.set_defaults(command=start_translation)


def _comma_list(text: str) -> list[str]:
    values = [part.strip() for part in text.split(",") if part.strip()]
    if not values:
        raise argparse.ArgumentTypeError("give at least one value, comma-separated")
    return values


def start_training(args: argparse.Namespace, context: Context) -> int:
    raw = {"topics": args.topics, "overwrite": args.overwrite, "model": args.model}
    return _start(context, "train", raw, args.wait)


def start_translation(args: argparse.Namespace, context: Context) -> int:
    raw = {"languages": args.languages, "topics": args.topics, "model": args.model}
    return _start(context, "translate", raw, args.wait)


def _start(context: Context, kind: str, raw: dict[str, Any], wait: bool) -> int:
    settings = context.settings
    raw["provider"] = chosen_provider(settings)
    params = validate_params(kind, raw)
    job = Job.new(kind, params, max_attempts=settings.max_attempts)
    context.store.create(job)
    print(f"queued {job.id}")
    print(f"provider: {describe(settings, raw.get('model'))}")
    pid = ensure_worker(settings, context.store, context.store_url)
    if pid is not None:
        print(f"started a background worker (pid {pid})")
    if not wait:
        print(f"follow it with: medkb jobs logs {job.id} --follow")
        return EXIT_OK
    return follow(context, job.id)


def follow(context: Context, job_id: str) -> int:
    """A live progress bar until the job ends; Ctrl-C leaves the job running."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task(job_id, total=None)
            job = _watch(context, job_id, bar, task)
    except KeyboardInterrupt:
        print(f"\n{job_id} goes on in the background.")
        print(f"Follow it with: medkb jobs logs {job_id} --follow")
        return EXIT_INTERRUPTED
    return _report(job)


def _watch(context: Context, job_id: str, bar: Progress, task: Any) -> Job:
    while True:
        job = context.store.get(job_id)
        total = job.progress.total or None
        text = escape(one_line(job.message, 50))
        bar.update(task, completed=job.progress.done, total=total, description=text)
        if job.status in FINISHED:
            return job
        time.sleep(0.25)


def _report(job: Job) -> int:
    if job.status is JobStatus.COMPLETED:
        counts = {k: v for k, v in (job.result or {}).items() if isinstance(v, int)}
        summary = ", ".join(f"{name} {count}" for name, count in counts.items())
        print(f"{job.id} completed: {summary}")
        return EXIT_OK
    reason = one_line(job.error or job.message)
    print(f"{job.id} {job.status}: {reason}")
    return EXIT_FAILED
