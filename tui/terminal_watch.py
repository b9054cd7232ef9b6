"""Notice the terminal going away, so the dashboard quits cleanly.

Closing an SSH session or a terminal window sends SIGHUP and hangs up
stdin; left alone, the app would die on its next read with a traceback.
Here either one, or SIGTERM, asks the app to exit normally; the jobs go on
in their worker.

Textual's shutdown writes to the terminal to restore it, and once in a
while that write blocks for good when no terminal is left. So from the
moment the app starts shutting down it has a few seconds; after that the
process leaves at once. Nothing is lost: jobs and their items live in the
store and the worker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import signal
import sys
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGHUP, signal.SIGTERM)
_HANGUP = select.POLLHUP | select.POLLERR | select.POLLNVAL
#: how long the app may take to shut down once it has begun
EXIT_GRACE_SECONDS = 5.0


class TerminalWatch:
    """Calls `on_gone` once, on the event loop, when the terminal goes away."""

    def __init__(self, on_gone: Callable[[], object]) -> None:
        self._on_gone = on_gone
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self._fired = False
        self._deadline: threading.Timer | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        for signum in SIGNALS:
            loop.add_signal_handler(signum, self._gone, signum.name)
        if sys.__stdin__ is not None and sys.__stdin__.isatty():
            threading.Thread(
                target=self._watch_stdin,
                args=(sys.__stdin__.fileno(),),
                name="terminal-watch",
                daemon=True,
            ).start()

    def stop(self) -> None:
        """The app is shutting down: stop watching, and start the deadline."""
        self._stop.set()
        if self._loop is None or self._loop.is_closed():
            return
        for signum in SIGNALS:
            self._loop.remove_signal_handler(signum)
        self._deadline = threading.Timer(EXIT_GRACE_SECONDS, self._leave_now)
        self._deadline.daemon = True
        self._deadline.start()

    def done(self) -> None:
        """The app has shut down in time."""
        if self._deadline is not None:
            self._deadline.cancel()

    def _watch_stdin(self, fd: int) -> None:
        """Wait for stdin to hang up; polling it never takes its input."""
        poller = select.poll()
        poller.register(fd, select.POLLHUP)
        while not self._stop.is_set():
            if any(mask & _HANGUP for _, mask in poller.poll(500)):
                assert self._loop is not None
                self._loop.call_soon_threadsafe(self._gone, "stdin hung up")
                return

    def _gone(self, why: str) -> None:
        if self._fired:
            return
        self._fired = True
        log.info("the terminal went away (%s); quitting", why)
        self._on_gone()

    @staticmethod
    def _leave_now() -> None:
        log.warning("the dashboard did not close in %s s; leaving", EXIT_GRACE_SECONDS)
        logging.shutdown()
        os._exit(0)
