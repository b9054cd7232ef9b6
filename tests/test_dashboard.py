"""The dashboard driven by its keys, on a real store with a real worker.

Each test opens the app on the SQLite file a worker process serves (the
simulator writes the guidelines), presses keys with Pilot and waits for
what the store and the screen show.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import SelectionList

from core.coverage import CellState
from core.jobs import Job, JobStatus
from core.store.base import JobFilter
from core.store.sqlite import SQLiteStore
from core.tasks.registry import load_task_modules, validate_params
from tests.dashboard_driving import dashboard, notifications, screen_text, until
from tests.engine_tasks import StepParams
from tests.workers import REPO, Bench, make_bench, wait_for
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.job_detail import JobDetailScreen
from tui.screens.knowledge import KnowledgeScreen
from tui.screens.new_job import NewTranslationScreen
from tui.screens.translate_missing import TranslateMissingScreen
from tui.widgets.jobs_table import JobsTable
from tui.widgets.knowledge_grid import KnowledgeGrid
from tui.widgets.part_table import PartTable

FIRST_TOPICS = ["scene-safety", "primary-survey", "calling-emergency-services"]


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    made = make_bench(
        tmp_path,
        MEDKB_REQUESTS_PER_MINUTE="100000",
        MEDKB_TOKENS_PER_MINUTE="100000000",
        MEDKB_HEARTBEAT_SECONDS="0.3",
    )
    made.home.mkdir(parents=True, exist_ok=True)
    made.start_worker()
    yield made
    made.stop_all()


@pytest.fixture
def store(bench: Bench) -> Iterator[SQLiteStore]:
    opened = bench.store()
    yield opened
    opened.close()


def enqueue(store: SQLiteStore, kind: str, **params: object) -> Job:
    load_task_modules("tests.engine_tasks")
    job = Job.new(kind, validate_params(kind, params), max_attempts=1)
    return store.create(job)


def finished(store: SQLiteStore, job_id: str) -> Job:
    return wait_for(lambda: (job := store.get(job_id)).status.finished and job)


def steps(**params: object) -> dict[str, object]:
    return StepParams.model_validate(params).model_dump()


def rows(app: object) -> list[str]:
    table = app.screen.query_one(JobsTable)  # type: ignore[attr-defined]
    return list(table.jobs)


async def test_t_then_enter_trains_every_missing_topic(
    store: SQLiteStore, tmp_path: Path
) -> None:
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        await pilot.press("enter")
        job = await until(pilot, lambda: store.list_jobs(), what="a job")
        assert job[0].kind == "train"
        assert job[0].params["topics"] is None and not job[0].params["overwrite"]

        done = finished(store, job[0].id)
        assert done.status is JobStatus.COMPLETED and done.result["learned"] == 76
        await until(pilot, lambda: "✓ completed" in screen_text(app), what="row")
        assert len(store.list_items(language="en")) == 76


async def test_translation_of_chosen_languages_shows_a_bar_per_language(
    store: SQLiteStore, tmp_path: Path
) -> None:
    finished(store, enqueue(store, "train", topics=FIRST_TOPICS).id)
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, NewTranslationScreen))
        languages = app.screen.query_one("#languages SelectionList", SelectionList)

        # Keys only: back from Start to the languages' None, then into the list.
        await pilot.press(*["shift+tab"] * 5, "enter")
        await pilot.press("shift+tab", "shift+tab", "space", "down", "space")
        assert languages.selected == ["es", "fr"]
        await pilot.press(*["tab"] * 7, "enter")

        where = JobFilter(kinds=frozenset({"translate"}))
        job = (await until(pilot, lambda: store.list_jobs(where)))[0]
        assert job.params["languages"] == ["es", "fr"] and job.params["topics"] is None
        assert finished(store, job.id).result["translated"] == 6

        await until(pilot, lambda: shown_status(app, job.id) is JobStatus.COMPLETED)
        await pilot.press("enter")  # the cursor followed the newest job in
        await until(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        parts = app.screen.query_one(PartTable)
        await until(pilot, lambda: list(parts.shown) == ["es", "fr"])
        text = screen_text(app)
        assert "es Spanish" in text and "fr French" in text
        assert text.count("████████████ 100%  3/3") == 2

        await pilot.press("f")
        await until(pilot, lambda: "Log · paused" in screen_text(app))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen.query(JobsTable))


async def test_cancel_asks_first_and_stops_the_running_job(
    store: SQLiteStore, tmp_path: Path
) -> None:
    job = store.create(Job.new("test", steps(steps=400, step_seconds=0.05)))
    wait_for(lambda: store.get(job.id).progress.done >= 2, what="a running job")
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: shown_status(app, job.id) is JobStatus.RUNNING)

        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await pilot.pause(0.3)
        assert not store.get(job.id).cancel_requested

        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: shown_status(app, job.id) is JobStatus.CANCELLED)
        assert store.get(job.id).status is JobStatus.CANCELLED
        assert "⊘ cancelled" in screen_text(app)


async def test_retry_runs_a_failed_job_again_as_a_linked_job(
    store: SQLiteStore, tmp_path: Path
) -> None:
    failed = store.create(Job.new("test", steps(crash="raise"), max_attempts=1))
    assert finished(store, failed.id).status is JobStatus.FAILED
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: shown_status(app, failed.id) is JobStatus.FAILED)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")

        again = await until(
            pilot, lambda: len(store.list_jobs()) == 2 and store.list_jobs()[0]
        )
        assert again.retry_of == failed.id and again.params == failed.params
        await until(pilot, lambda: rows(app) == [again.id, failed.id])
        assert any("Retrying" in text for text in notifications(app))


async def test_filter_narrows_the_table_by_status_kind_and_text(
    store: SQLiteStore, tmp_path: Path
) -> None:
    ok = store.create(Job.new("test", steps(steps=1)))
    bad = store.create(Job.new("test", steps(crash="raise"), max_attempts=1))
    training = enqueue(store, "train", topics=FIRST_TOPICS[:1])
    for job in (ok, bad, training):
        finished(store, job.id)
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(rows(app)) == 3)

        await pilot.press("slash", *"status:failed")
        await until(pilot, lambda: rows(app) == [bad.id])
        assert "jobs 1–1 of 1" in screen_text(app)

        await pilot.press("escape")
        await until(pilot, lambda: len(rows(app)) == 3)
        await pilot.press("slash", *"kind:train")
        await until(pilot, lambda: rows(app) == [training.id])

        await pilot.press("escape", "slash", *ok.id[-6:], "enter")
        await until(pilot, lambda: rows(app) == [ok.id])

        await pilot.press("slash", *" status:bogus")
        await until(pilot, lambda: "unknown status 'bogus'" in screen_text(app))


async def test_knowledge_view_translates_the_missing_cells_of_a_row(
    store: SQLiteStore, tmp_path: Path
) -> None:
    finished(store, enqueue(store, "train", topics=FIRST_TOPICS).id)
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, KnowledgeScreen))
        grid = app.screen.query_one(KnowledgeGrid)
        await until(pilot, lambda: grid.map is not None)
        assert grid.map is not None and saved_in_row(grid, "scene-safety") == 1
        assert len(grid.map.to_translate()) == 3 * 19

        await pilot.press("down", "right", "right", "right")
        assert grid.selected == ("scene-safety", "es")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, TranslateMissingScreen))
        assert "19 to translate" in screen_text(app)
        await pilot.press("t")

        where = JobFilter(kinds=frozenset({"translate"}))
        job = (await until(pilot, lambda: store.list_jobs(where)))[0]
        assert job.params["topics"] == ["scene-safety"]
        assert job.params["languages"] is None
        finished(store, job.id)
        await until(pilot, lambda: saved_in_row(grid, "scene-safety") == 20, 10)
        assert saved_in_row(grid, "primary-survey") == 1
        assert "20/20" in screen_text(app)


async def test_read_only_mode_refuses_a_cancel_and_says_so(
    store: SQLiteStore, tmp_path: Path
) -> None:
    job = store.create(Job.new("test", steps(steps=400, step_seconds=0.05)))
    app = dashboard(store, tmp_path, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: shown_status(app, job.id) is JobStatus.RUNNING)
        await pilot.press("c")
        await until(pilot, lambda: notifications(app))
        assert not isinstance(app.screen, ConfirmScreen)
        assert "Read-only mode: cannot cancel jobs" in notifications(app)[0]
        assert "READ-ONLY" in screen_text(app)

        await pilot.press("t")
        await pilot.pause(0.2)
        assert "Read-only mode: cannot start a training" in notifications(app)[-1]
    assert not store.get(job.id).cancel_requested
    store.request_cancel(job.id)


async def test_quitting_leaves_running_jobs_running(
    store: SQLiteStore, tmp_path: Path
) -> None:
    job = store.create(Job.new("test", steps(steps=400, step_seconds=0.05)))
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: shown_status(app, job.id) is JobStatus.RUNNING)
        await pilot.press("q")
    assert app.return_code == 0
    before = store.get(job.id).progress.done
    wait_for(lambda: store.get(job.id).progress.done > before, what="more steps")
    assert store.get(job.id).status is JobStatus.RUNNING
    store.request_cancel(job.id)


async def test_opening_starts_a_worker_when_none_serves_the_store(
    tmp_path: Path,
) -> None:
    with SQLiteStore(tmp_path / "unserved.sqlite3") as unserved:
        app = dashboard(unserved, tmp_path)
        app.start_worker = True
        async with app.run_test(size=(80, 24)) as pilot:
            started = await until(pilot, lambda: notifications(app), what="notice")
            pid = int(started[0].removeprefix("Started a background worker (pid ")[:-2])
            try:
                await until(pilot, lambda: app.summary.workers == 1, what="it")
            finally:
                os.kill(pid, signal.SIGTERM)


async def test_the_cursor_follows_new_jobs_in_only_from_the_top(
    tmp_path: Path,
) -> None:
    with SQLiteStore(tmp_path / "quiet.sqlite3") as quiet:
        older, newer = (quiet.create(Job.new("test", steps())) for _ in range(2))
        app = dashboard(quiet, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            table = await until(
                pilot, lambda: len(rows(app)) == 2 and app.screen.query_one(JobsTable)
            )
            await pilot.press("down")
            assert table.selected_job.id == older.id

            quiet.create(Job.new("test", steps()))
            await until(pilot, lambda: len(rows(app)) == 3)
            assert table.selected_job.id == older.id

            await pilot.press("home")
            newest = quiet.create(Job.new("test", steps()))
            await until(pilot, lambda: len(rows(app)) == 4)
            assert table.selected_job.id == newest.id and newer.id in rows(app)


async def test_every_key_is_in_the_help_and_the_command_palette(
    tmp_path: Path,
) -> None:
    with SQLiteStore(tmp_path / "quiet.sqlite3") as quiet:
        app = dashboard(quiet, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            for words in ("Cancel the selected job", "Filter jobs", "Quit; jobs go"):
                assert words in screen_text(app)
            await pilot.press("escape", "ctrl+p")
            await until(pilot, lambda: isinstance(app.screen, CommandPalette))
            await pilot.press(*"knowledge")
            await until(pilot, lambda: "(key: k)" in screen_text(app))
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, KnowledgeScreen))


def saved_in_row(grid: KnowledgeGrid, topic: str) -> int:
    assert grid.map is not None
    return grid.map.by_topic(topic)[CellState.SAVED]


def shown_status(app: object, job_id: str) -> JobStatus | None:
    table = app.screen.query_one(JobsTable)  # type: ignore[attr-defined]
    job = table.jobs.get(job_id)
    return None if job is None else job.status


# -- the terminal going away --------------------------------------------------


class Terminal:
    """A pseudo-terminal running `medkb` (the dashboard), read as it draws."""

    def __init__(self, bench: Bench) -> None:
        self.master, slave = pty.openpty()
        code = (
            "import sys; from core.settings import Settings; "
            "from tui.app import run_dashboard; s = Settings(); "
            "sys.exit(run_dashboard(s, s.store_url()))"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=slave, stdout=slave, stderr=slave,
            cwd=REPO, env={**bench.env, "TERM": "xterm-256color"},
            start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.output = bytearray()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            if select.select([self.master], [], [], 0.05)[0]:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:
                    return

    def hang_up(self) -> None:
        """Close the terminal's side, as sshd does when the connection drops."""
        self._stop.set()
        self._reader.join()
        os.close(self.master)


@pytest.mark.parametrize("how", ["SIGHUP", "stdin closed"])
def test_dashboard_exits_cleanly_when_the_terminal_goes_away(
    bench: Bench, store: SQLiteStore, how: str
) -> None:
    job = store.create(Job.new("test", steps(steps=400, step_seconds=0.05)))
    # A live worker first, or the dashboard would start a second one.
    wait_for(lambda: store.get(job.id).progress.done > 0, what="the worker")
    terminal = Terminal(bench)
    wait_for(lambda: b"running" in terminal.output, what="the dashboard to draw")

    if how == "SIGHUP":
        terminal.process.send_signal(signal.SIGHUP)
    else:
        terminal.hang_up()
    assert terminal.process.wait(timeout=10) == 0
    if how == "SIGHUP":
        wait_for(lambda: b"dashboard closed" in terminal.output, what="goodbye")
        terminal.hang_up()

    before = store.get(job.id).progress.done
    wait_for(lambda: store.get(job.id).progress.done > before, what="more steps")
    store.request_cancel(job.id)
