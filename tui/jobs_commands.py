"""`medkb jobs ...`: list, show, add, cancel, retry and follow jobs."""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from typing import Any

from core.jobs import FINISHED, Job, JobStatus
from core.store import JobFilter
from core.tasks.registry import validate_params
from tui.cli import EXIT_FAILED, EXIT_OK, CommandFailed, Context, UsageError
from tui.plain import one_line, plain

RETRYABLE = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    jobs = commands.add_parser("jobs", help="list, follow, cancel and retry jobs")
    verbs = jobs.add_subparsers(title="verbs", metavar="VERB", required=True)

    listing = verbs.add_parser("list", parents=[common], help="jobs, newest first")
    listing.add_argument("--status", choices=[s.value for s in JobStatus])
    listing.add_argument("--kind")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(command=list_jobs)

    show = verbs.add_parser("show", parents=[common], help="one job in full")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(command=show_job)

    add = verbs.add_parser("add", parents=[common], help="enqueue a job of any kind")
    add.add_argument("kind")
    add.add_argument("--params", default="{}", help="the params as a JSON object")
    add.add_argument("--max-attempts", type=int, default=None)
    add.set_defaults(command=add_job)

    for name, action, text in (
        ("cancel", cancel_job, "cancel a pending or running job"),
        ("retry", retry_job, "run a failed or cancelled job again"),
    ):
        verb = verbs.add_parser(name, parents=[common], help=text)
        verb.add_argument("id")
        verb.set_defaults(command=action)

    logs = verbs.add_parser("logs", parents=[common], help="a job's log")
    logs.add_argument("id")
    logs.add_argument("--follow", "-f", action="store_true")
    logs.add_argument("--tail", type=int, default=200)
    logs.set_defaults(command=job_logs)


def list_jobs(args: argparse.Namespace, context: Context) -> int:
    where = JobFilter(
        statuses=frozenset({JobStatus(args.status)}) if args.status else frozenset(),
        kinds=frozenset({args.kind}) if args.kind else frozenset(),
    )
    jobs = context.store.list_jobs(where, limit=args.limit)
    if args.json:
        print(json.dumps([job.model_dump(mode="json") for job in jobs], indent=2))
    else:
        print_job_table(jobs)
    return EXIT_OK


def print_job_table(jobs: list[Job]) -> None:
    if not jobs:
        print("no jobs yet")
        return
    print(f"{'ID':<24} {'STATUS':<10} {'DONE':>11} {'%':>6}  MESSAGE")
    for job in jobs:
        done = f"{job.progress.done}/{job.progress.total}"
        percent = f"{job.progress.percent:.0f}%"
        message = one_line(job.error or job.message, 60)
        print(f"{job.id:<24} {job.status:<10} {done:>11} {percent:>6}  {message}")


def show_job(args: argparse.Namespace, context: Context) -> int:
    job = context.store.get(args.id)
    if args.json:
        print(job.model_dump_json(indent=2))
        return EXIT_OK
    for name, value in job.model_dump(mode="json").items():
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        print(f"{name:>17}: {plain(value)}")
    return EXIT_OK


def add_job(args: argparse.Namespace, context: Context) -> int:
    try:
        raw = json.loads(args.params)
    except json.JSONDecodeError as error:
        raise UsageError(f"--params is not valid JSON: {error}") from None
    if not isinstance(raw, dict):
        raise UsageError("--params must be a JSON object, e.g. '{\"steps\": 3}'")
    params = validate_params(args.kind, raw)
    attempts = args.max_attempts or context.settings.max_attempts
    job = context.store.create(Job.new(args.kind, params, max_attempts=attempts))
    print(job.id)
    return EXIT_OK


def cancel_job(args: argparse.Namespace, context: Context) -> int:
    before = context.store.get(args.id)
    if before.status in FINISHED:
        raise CommandFailed(f"job {before.id} is already {before.status}")
    job = context.store.request_cancel(args.id)
    if job.status is JobStatus.CANCELLED:
        print(f"cancelled {job.id}")
    else:
        print(f"asked {job.id} to stop; its worker cancels it within seconds")
    return EXIT_OK


def retry_job(args: argparse.Namespace, context: Context) -> int:
    old = context.store.get(args.id)
    if old.status not in RETRYABLE:
        raise CommandFailed(
            f"job {old.id} is {old.status}; only failed or cancelled jobs are retried"
        )
    fresh = Job.new(
        old.kind, old.params, max_attempts=old.max_attempts, retry_of=old.id
    )
    context.store.create(fresh)
    print(f"{fresh.id} (retry of {old.id})")
    if fresh.params.get("provider"):
        print(f"provider: {fresh.params['provider']}, as the job it retries")
    return EXIT_OK


def job_logs(args: argparse.Namespace, context: Context) -> int:
    store = context.store
    job = store.get(args.id)
    last = _print_lines(store.logs(job.id, tail=args.tail))
    while args.follow:
        lines = store.logs(job.id, after=last)
        last = _print_lines(lines) if lines else last
        if not lines:
            job = store.get(job.id)
            if job.status in FINISHED:
                break
            time.sleep(0.5)
    return EXIT_OK if job.status is not JobStatus.FAILED else EXIT_FAILED


def _print_lines(lines: list[Any]) -> int:
    for line in lines:
        stamp = line.at.astimezone(UTC).strftime("%H:%M:%S")
        print(f"{stamp} {line.level:<7} {plain(line.message)}", flush=True)
    return int(lines[-1].seq) if lines else 0


def age(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    return f"{seconds // 60}m{seconds % 60:02d}s"
