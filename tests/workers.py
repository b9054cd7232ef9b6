"""Real worker processes for tests: start them, drive the CLI, wait for things."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from core.jobs import Job, JobStatus
from core.store.sqlite import SQLiteStore

REPO = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def wait_for(
    condition: Callable[[], T], timeout: float = 20.0, what: str = "condition"
) -> T:
    """Poll until condition() is truthy and return it; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


@dataclass
class Bench:
    """A store file, an environment for medkb processes, and the workers started."""

    home: Path
    env: dict[str, str]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def store_path(self) -> Path:
        return Path(self.env["MEDKB_STORE"])

    def store(self) -> SQLiteStore:
        return SQLiteStore(self.store_path)

    def medkb(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui", *args],
            env={**self.env, **env},
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def add(self, **params: object) -> str:
        import json

        done = self.medkb("jobs", "add", "test", "--params", json.dumps(params))
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def start_worker(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "tui", "worker", *args],
            env={**self.env, **env},
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(process)
        return process

    def job(self, job_id: str) -> Job:
        with self.store() as store:
            return store.get(job_id)

    def wait_status(self, job_id: str, status: JobStatus, timeout: float = 30) -> Job:
        return wait_for(
            lambda: (job := self.job(job_id)).status is status and job,
            timeout,
            f"{job_id} to be {status}",
        )

    def stop_all(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


def make_bench(tmp_path: Path, **settings: str) -> Bench:
    home = tmp_path / "bench"
    outside = {
        name: value
        for name, value in os.environ.items()
        if name not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "MONGODB_URI")
    }
    env = {
        **outside,
        "MEDKB_STORE": str(home / "store.sqlite3"),
        "MEDKB_TASK_MODULES": "tests.engine_tasks",
        "MEDKB_DATA_DIR": str(home / "data"),
        "PYTHONPATH": str(REPO),
        "MEDKB_CANCEL_GRACE": "2",
        **settings,
    }
    return Bench(home=home, env=env)
