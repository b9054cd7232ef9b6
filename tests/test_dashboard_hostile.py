"""Outside text is shown as plain text everywhere and never breaks the app.

Model output, titles, error messages and even job ids in the store can
hold Rich markup or terminal escape sequences; the dashboard must show
them literally (escapes as visible \\x1b) in the table, the job detail,
the log, a notification and a guideline.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets._toast import Toast

from core.jobs import Item, Job, JobStatus, PartProgress, Progress
from core.knowledge import Guideline, GuidelineContent, Provenance, Step
from core.store.sqlite import SQLiteStore
from tests.dashboard_driving import dashboard, notifications, screen_text, until
from tui.app import MedkbApp
from tui.screens.guideline import GuidelineScreen
from tui.screens.job_detail import JobDetailScreen
from tui.screens.knowledge import KnowledgeScreen
from tui.widgets.job_log import JobLog
from tui.widgets.jobs_table import JobsTable
from tui.widgets.knowledge_grid import KnowledgeGrid

MARKUP = "[bold]x[/bold]"
LINK = "[link=file:///etc/passwd]"
ESCAPES = "\x1b[31mred\x1b[0m\x1b]8;;file:///etc/passwd\x07here\x1b]8;;\x07"
HOSTILE = f"{MARKUP} {LINK}click[/link] {ESCAPES}"
WORKER = "worker-hostile"


def hostile_job(store: SQLiteStore) -> Job:
    """A failed job whose every outside field is hostile, id included."""
    job = Job.new("translate", {"topics": [HOSTILE], "model": HOSTILE})
    job = store.create(job.model_copy(update={"id": f"translate-{MARKUP}"}))
    assert store.claim_next(WORKER, 60, ["translate"]) is not None
    parts = {HOSTILE: PartProgress(done=1, total=2, failed=1)}
    store.record_progress(
        job.id, WORKER, Progress(done=1, total=2, parts=parts), HOSTILE
    )
    store.append_logs(job.id, [("warning", HOSTILE), (HOSTILE, "a hostile level")])
    failures = [{"topic": HOSTILE, "language": "es", "reason": HOSTILE}]
    result = {"translated": 1, "failures": failures, HOSTILE: HOSTILE}
    store.finish(job.id, WORKER, JobStatus.FAILED, result=result, error=HOSTILE)
    return store.get(job.id)


def hostile_guideline(topic: str) -> Item:
    content = GuidelineContent(
        title=HOSTILE,
        summary=f"{HOSTILE} and a [markdown link](file:///etc/passwd)",
        call_emergency_when=[HOSTILE],
        steps=[Step(instruction=HOSTILE, detail=HOSTILE)],
        do=[HOSTILE],
        dont=[HOSTILE],
        warning_signs=[HOSTILE],
    )
    provenance = Provenance(
        provider=HOSTILE, model=HOSTILE, generated_at=Job.new("x", {}).created_at
    )
    guideline = Guideline(
        topic=topic, language="en", content=content, provenance=provenance
    )
    return Item(topic=topic, language="en", data=guideline.model_dump(mode="json"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "hostile.sqlite3")
    yield opened
    opened.close()


def toasts(app: MedkbApp) -> str:
    """The text of the notifications on screen, as drawn."""
    return "\n".join(toast.render().plain for toast in app.screen.query(Toast))


def assert_shown_literally(app: MedkbApp) -> None:
    text = screen_text(app)
    assert MARKUP in text and LINK in text
    assert "\\x1b[31mred" in text and "\x1b" not in text and "\x07" not in text
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            assert not (segment.style and segment.style.link), segment


async def test_hostile_text_shows_literally_and_the_app_keeps_running(
    store: SQLiteStore, tmp_path: Path
) -> None:
    job = hostile_job(store)
    store.save_items("train-hostile", [hostile_guideline("scene-safety")])
    app = dashboard(store, tmp_path)
    async with app.run_test(size=(220, 50), notifications=True) as pilot:
        await until(pilot, lambda: job.id in app.screen.query_one(JobsTable).jobs)
        assert_shown_literally(app)

        await pilot.press("c")  # the job is finished: the notice names its id
        notice = f"Job translate-{MARKUP} is already failed"
        await until(pilot, lambda: notice in toasts(app), what="the notice")
        assert notice in notifications(app)[0]

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        await until(pilot, lambda: len(app.screen.query_one(JobLog).lines) == 2)
        assert_shown_literally(app)
        assert "a hostile level" in screen_text(app)

        await pilot.press("escape", "k")
        await until(pilot, lambda: isinstance(app.screen, KnowledgeScreen))
        await until(pilot, lambda: app.screen.query_one(KnowledgeGrid).map)
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, GuidelineScreen))
        await until(pilot, lambda: "here" in screen_text(app))
        assert_shown_literally(app)
        assert app.is_running
