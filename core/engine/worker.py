"""Run a worker in the foreground, or start one detached in the background."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from core.engine.supervisor import Supervisor
from core.jobs import WorkerInfo
from core.settings import Settings, scrub
from core.store import StoreError, open_store
from core.store.base import Store
from core.tasks.registry import load_task_modules

log = logging.getLogger(__name__)


class ScrubSecrets(logging.Filter):
    """Replaces every known secret in a log record by ***."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage(), self.secrets)
        record.args = ()
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.msg = f"{record.msg}\n{scrub(formatted, self.secrets)}"
            record.exc_info = None
        return True


def configure_logging(
    settings: Settings, store_url: str, handler: logging.Handler | None = None
) -> None:
    """Logs go to the handler (stderr by default; a file, when detached),
    scrubbed of every secret."""
    handler = handler or logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(ScrubSecrets(settings.secret_values(store_url)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def run_worker(
    settings: Settings,
    store: Store,
    *,
    concurrency: int | None = None,
    idle_exit: float | None = None,
) -> int:
    """Serve the store until a signal, a stop request or the idle timeout."""
    load_task_modules(settings.task_modules)
    supervisor = Supervisor(
        store, settings, concurrency=concurrency, idle_exit=idle_exit
    )

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("got %s; stopping", signal.Signals(signum).name)
        supervisor.request_stop()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    return supervisor.run()


def worker_log_file(settings: Settings) -> Path:
    return settings.data_path / "logs" / "worker.log"


def start_detached(
    settings: Settings,
    store_url: str,
    *,
    concurrency: int | None = None,
    idle_exit: float | None = None,
) -> int:
    """Start `medkb worker` in its own session, logging to a file; its pid."""
    log_file = worker_log_file(settings)
    log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    command = [sys.executable, "-m", "core.engine.worker"]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    if idle_exit is not None:
        command += ["--idle-exit", str(idle_exit)]
    # The URL travels in the environment: a password must not show in `ps`.
    environment = {**os.environ, "MEDKB_STORE": store_url}
    with open(log_file, "ab") as output:
        os.chmod(log_file, 0o600)
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            env=environment,
            start_new_session=True,
        )
    return process.pid


def live_workers(store: Store, settings: Settings) -> list[WorkerInfo]:
    """Workers of this store that have beaten their heart recently."""
    max_age = max(settings.lease_seconds, 3 * settings.heartbeat_seconds)
    return store.live_workers(max_age)


DEFAULT_IDLE_EXIT = 600.0


def ensure_worker(
    settings: Settings,
    store: Store,
    store_url: str,
    *,
    idle_exit: float = DEFAULT_IDLE_EXIT,
) -> int | None:
    """Start a detached worker unless one is alive for the store; its pid or None."""
    if live_workers(store, settings) or _recently_started(settings):
        return None
    pid = start_detached(settings, store_url, idle_exit=idle_exit)
    _starting_marker(settings).write_text(str(pid))
    return pid


STARTUP_SECONDS = 15.0


def _starting_marker(settings: Settings) -> Path:
    return settings.data_path / "logs" / "worker-starting.pid"


def _recently_started(settings: Settings) -> bool:
    """A worker started moments ago may not have announced itself yet."""
    marker = _starting_marker(settings)
    try:
        pid = int(marker.read_text())
        young = time.time() - marker.stat().st_mtime < STARTUP_SECONDS
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return young


def main(argv: list[str] | None = None) -> int:
    """`python -m core.engine.worker`: what a detached worker runs."""
    import argparse

    parser = argparse.ArgumentParser(prog="medkb-worker")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--idle-exit", type=float, default=None)
    args = parser.parse_args(argv)
    settings = Settings()
    url = settings.store_url()
    configure_logging(settings, url)
    try:
        store = open_store(url, log_cap=settings.log_cap)
    except StoreError as error:
        log.error("%s", error)
        return 2
    return run_worker(
        settings, store, concurrency=args.concurrency, idle_exit=args.idle_exit
    )


if __name__ == "__main__":
    sys.exit(main())
