"""Drive the dashboard in tests: open it on a store, wait, read the screen."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from textual.pilot import Pilot

from core.settings import Settings
from core.store.base import Store
from tui.app import MedkbApp

T = TypeVar("T")


def dashboard(
    store: Store, tmp_path: Path, *, read_only: bool = False, **settings: object
) -> MedkbApp:
    """The app on this store, as `medkb` would open it, minus the worker start."""
    chosen = Settings(
        provider="simulator", data_dir=tmp_path / "dashboard-data", **settings
    )
    url = str(getattr(store, "path", store.url))
    return MedkbApp(
        store, chosen, store_url=url, read_only=read_only, start_worker=False
    )


async def until(
    pilot: Pilot[object],
    condition: Callable[[], T],
    timeout: float = 20.0,
    what: str = "condition",
) -> T:
    """Let the app run until condition() is truthy; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await pilot.pause(0.05)


def screen_text(app: MedkbApp) -> str:
    """What the terminal shows now, as plain lines (notifications included)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def notifications(app: MedkbApp) -> list[str]:
    return [notification.message for notification in app._notifications]
