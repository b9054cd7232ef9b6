"""What a person sees: the dashboard's screens pinned as SVG snapshots.

The store holds fixed jobs and guidelines written under a frozen clock,
and the app runs on the same clock in UTC, so every run draws the same.
Update after a deliberate change with `pytest --snapshot-update`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from core.store.sqlite import SQLiteStore
from tests.dashboard_driving import until
from tests.snapshot_apps.dashboard import fill_store, snapshot_app
from tui.app import MedkbApp
from tui.screens.knowledge import KnowledgeScreen
from tui.screens.new_job import NewTranslationScreen
from tui.store_poller import Summary
from tui.widgets.job_facts import JobFacts
from tui.widgets.job_log import JobLog
from tui.widgets.jobs_table import JobsTable
from tui.widgets.knowledge_grid import KnowledgeGrid

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
Before = Callable[[Pilot[object]], Awaitable[None]]


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[MedkbApp]:
    fill_store(tmp_path / "snapshot.sqlite3")
    store = SQLiteStore(tmp_path / "snapshot.sqlite3")
    yield snapshot_app(store, tmp_path)
    store.close()


async def jobs_shown(pilot: Pilot[object]) -> None:
    app = pilot.app
    await until(pilot, lambda: app.screen.query_one(JobsTable).row_count == 5)
    await until(pilot, lambda: app.summary == Summary(running=1, queued=1))  # type: ignore[attr-defined]


async def detail_shown(pilot: Pilot[object]) -> None:
    await jobs_shown(pilot)
    await pilot.press("down", "enter")
    screen = pilot.app.screen
    await until(pilot, lambda: screen.query_one(JobLog).lines)
    await until(pilot, lambda: getattr(screen, "tokens", None) is not None)
    screen.query_one(JobFacts).refresh()
    await pilot.pause()


async def knowledge_shown(pilot: Pilot[object]) -> None:
    await jobs_shown(pilot)
    await pilot.press("k")
    await until(pilot, lambda: isinstance(pilot.app.screen, KnowledgeScreen))
    await until(pilot, lambda: pilot.app.screen.query_one(KnowledgeGrid).map)
    await pilot.press("down", "down", "right", "right")


async def translation_form_shown(pilot: Pilot[object]) -> None:
    await jobs_shown(pilot)
    await pilot.press("l")
    await until(pilot, lambda: isinstance(pilot.app.screen, NewTranslationScreen))
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_jobs_screen(
    snap_compare: object, app: MedkbApp, size: tuple[int, int]
) -> None:
    assert snap_compare(app, terminal_size=size, run_before=jobs_shown)  # type: ignore[operator]


@pytest.mark.parametrize("size", SIZES)
def test_job_detail_of_a_running_translation(
    snap_compare: object, app: MedkbApp, size: tuple[int, int]
) -> None:
    assert snap_compare(app, terminal_size=size, run_before=detail_shown)  # type: ignore[operator]


@pytest.mark.parametrize("size", SIZES)
def test_knowledge_base_view(
    snap_compare: object, app: MedkbApp, size: tuple[int, int]
) -> None:
    assert snap_compare(app, terminal_size=size, run_before=knowledge_shown)  # type: ignore[operator]


@pytest.mark.parametrize("size", SIZES)
def test_new_translation_form(
    snap_compare: object, app: MedkbApp, size: tuple[int, int]
) -> None:
    assert snap_compare(app, terminal_size=size, run_before=translation_form_shown)  # type: ignore[operator]
