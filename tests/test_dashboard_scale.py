"""Ten thousand jobs: the dashboard opens on a page of them and moves through.

Only a page of jobs is ever in the table; the rest stay in the store until
the cursor runs off the page. How fast is for benchmarks, not for tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.jobs import Job
from core.store.sqlite import SQLiteStore
from tests.dashboard_driving import dashboard, screen_text, until
from tui.app import MedkbApp
from tui.store_poller import PAGE_SIZE
from tui.widgets.jobs_table import JobsTable

JOBS = 10_000
START = datetime(2025, 3, 14, tzinfo=UTC)


def numbered_job(number: int) -> Job:
    """Job `number`, created a millisecond after the one before it."""
    kind = "translate" if number % 2 else "train"
    made = START + timedelta(milliseconds=number)
    return Job(
        id=f"{kind}-{number:013d}",
        kind=kind,
        params={"number": number},
        created_at=made,
        updated_at=made,
    )


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of 10,000 pending jobs, half of them translations."""
    path = tmp_path_factory.mktemp("scale") / "crowded.sqlite3"
    with SQLiteStore(path) as store:
        for number in range(JOBS):
            store.create(numbered_job(number))
    return path


@pytest.fixture
def store(crowded: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(crowded) as opened:
        yield opened  # type: ignore[misc]


def table(app: MedkbApp) -> JobsTable:
    return app.screen.query_one(JobsTable)


def selected_number(app: MedkbApp) -> int:
    job = table(app).selected_job
    assert job is not None
    return int(job.params["number"])


async def test_ten_thousand_jobs_open_on_one_page_and_move_through(
    store: SQLiteStore, tmp_path: Path
) -> None:
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "of 10,000" in screen_text(app), what="page 1")
        assert table(app).row_count == PAGE_SIZE
        assert selected_number(app) == JOBS - 1

        await pilot.press("ctrl+end", "down")  # off the end of the first page
        await until(pilot, lambda: table(app).page_offset == PAGE_SIZE)
        assert "jobs 201–400 of 10,000" in screen_text(app)
        assert selected_number(app) == JOBS - 1 - PAGE_SIZE

        await pilot.press("up")
        await until(pilot, lambda: table(app).page_offset == 0)
        assert selected_number(app) == JOBS - PAGE_SIZE

        for _ in range(3 * PAGE_SIZE // 10):
            if table(app).page_offset == 2 * PAGE_SIZE:
                break
            await pilot.press("pagedown")
            await pilot.pause()
        assert "jobs 401–600 of 10,000" in screen_text(app)

        await pilot.press("end")
        await until(pilot, lambda: "jobs 9,801–10,000 of 10,000" in screen_text(app))
        assert selected_number(app) == 0

        await pilot.press("home")
        await until(pilot, lambda: table(app).page_offset == 0)
        assert selected_number(app) == JOBS - 1


async def test_ten_thousand_jobs_filter_and_sort_across_every_page(
    store: SQLiteStore, tmp_path: Path
) -> None:
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "of 10,000" in screen_text(app), what="page 1")

        await pilot.press("slash", *"kind:translate", "enter")
        await until(pilot, lambda: "of 5,000" in screen_text(app), what="filter")
        assert all(job.kind == "translate" for job in table(app).jobs.values())

        await pilot.press("s")  # by id, ascending: the oldest translation first
        await until(pilot, lambda: "sorted by id" in screen_text(app))
        await until(pilot, lambda: selected_number(app) == 1, what="the oldest")
        await pilot.press("S", "end")
        await until(pilot, lambda: "4,801–5,000 of 5,000" in screen_text(app))
        assert selected_number(app) == 1
