"""The dashboard's cost: first paint with 10,000 jobs, CPU idle and busy, memory.

The dashboard runs for real in a tmux pane of 120x40, as a person would use it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from core.jobs import Job, JobStatus
from core.store.sqlite import SQLiteStore
from tests.benchmarks.harness import bench_dir, enqueue, start_worker
from tests.workers import REPO, Bench, wait_for

JOBS = 10_000
SESSION = "medkb-bench"
MEASURE_SECONDS = 10.0
TICKS = os.sysconf("SC_CLK_TCK")


def run(root: Path) -> dict[str, Any]:
    with bench_dir(root, "dashboard", MEDKB_CONCURRENCY="4") as bench:
        newest = _fill(bench, JOBS)
        worker = start_worker(bench)
        started = time.monotonic()
        pid = _open_dashboard(bench)
        try:
            wait_for(lambda: newest in _screen(), 30, "the first paint")
            first_paint = time.monotonic() - started
            time.sleep(2.0)  # let start-up work settle
            idle = _cpu_percent(pid, MEASURE_SECONDS)
            child = _stream_four_jobs(bench)
            streaming = _cpu_percent(pid, MEASURE_SECONDS)
            rss = [_rss_mb(p) for p in (pid, worker.pid, child)]
        finally:
            subprocess.run(["tmux", "kill-session", "-t", SESSION], check=False)
    return {
        "jobs": JOBS,
        "first_paint_s": first_paint,
        "cpu_idle_percent": idle,
        "cpu_streaming_percent": streaming,
        "rss_mb": " / ".join(f"{mb:.0f}" for mb in rss),
    }


def _fill(bench: Bench, count: int) -> str:
    """Many finished jobs, written straight into the store; the newest's id."""
    with SQLiteStore(bench.store_path) as store:
        for n in range(count):
            job = Job.new("test", {"steps": 1})
            job.status = JobStatus.COMPLETED if n % 7 else JobStatus.FAILED
            store.create(job)
        return job.id


def _open_dashboard(bench: Bench) -> int:
    environment = " ".join(
        f"{name}={shlex.quote(value)}"
        for name, value in bench.env.items()
        if name.startswith(("MEDKB_", "PYTHONPATH", "XDG_"))
    )
    command = f"cd {REPO} && exec env {environment} {sys.executable} -m tui"
    subprocess.run(
        ["tmux", "new-session", "-d", "-x", "120", "-y", "40", "-s", SESSION, command],
        check=True,
    )
    shown = subprocess.run(
        ["tmux", "display", "-p", "-t", SESSION, "#{pane_pid}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(shown.stdout.strip())


def _screen() -> str:
    shown = subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", SESSION], capture_output=True, text=True
    )
    return shown.stdout


def _stream_four_jobs(bench: Bench) -> int:
    """Four jobs reporting progress all the time; the pid of one child."""
    with SQLiteStore(bench.store_path) as store:
        jobs = [
            enqueue(store, "test", steps=100_000, step_seconds=0.01) for _ in range(4)
        ]
        wait_for(
            lambda: all(store.get(j.id).progress.done > 5 for j in jobs),
            30,
            "four jobs streaming",
        )
    return _child_pids(bench)[0]


def _child_pids(bench: Bench) -> list[int]:
    """The worker's pool processes (not its resource tracker)."""
    worker = bench.workers[0].pid
    listed = subprocess.run(
        ["pgrep", "-P", str(worker)], capture_output=True, text=True
    ).stdout.split()
    pids = [int(pid) for pid in listed]
    return [p for p in pids if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _cpu_percent(pid: int, seconds: float) -> float:
    before = _cpu_seconds(pid)
    time.sleep(seconds)
    return 100 * (_cpu_seconds(pid) - before) / seconds


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
