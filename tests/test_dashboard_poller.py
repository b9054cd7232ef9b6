"""The store poller: batches of changes, pages, log tails, and quiet when idle."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.message import Message

from core.jobs import Job
from core.settings import Settings
from core.store.sqlite import SQLiteStore
from tests.workers import wait_for
from tui.job_query import parse_filter
from tui.store_poller import (
    JobsChanged,
    LogLines,
    PageLoaded,
    PageRequest,
    StorePoller,
    StoreTrouble,
    SummaryChanged,
)

WORKER = "worker-poller"


class Inbox:
    """Stands in for the app: keeps what the poller posts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def post_message(self, message: Message) -> bool:
        self.messages.append(message)
        return True

    def of(self, kind: type[Message]) -> list[Message]:
        return [message for message in self.messages if isinstance(message, kind)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path / "poller.sqlite3") as opened:
        yield opened  # type: ignore[misc]


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def poller(store: SQLiteStore, inbox: Inbox) -> Iterator[StorePoller]:
    clock = lambda: datetime.now(UTC)  # noqa: E731
    follower = StorePoller(store, Settings(), inbox, clock)  # type: ignore[arg-type]
    follower.start()
    yield follower
    follower.stop()


def pages(inbox: Inbox) -> list[PageLoaded]:
    return inbox.of(PageLoaded)  # type: ignore[return-value]


def test_a_change_arrives_once(
    store: SQLiteStore, inbox: Inbox, poller: StorePoller
) -> None:
    job = store.create(Job.new("train", {}))
    wait_for(lambda: inbox.of(JobsChanged), 5, "the change")

    time.sleep(1.0)
    changed = [j.id for m in inbox.of(JobsChanged) for j in m.jobs]  # type: ignore[attr-defined]
    assert changed == [job.id]


def test_nothing_is_posted_while_nothing_changes(
    store: SQLiteStore, inbox: Inbox, poller: StorePoller
) -> None:
    store.create(Job.new("train", {}))
    wait_for(lambda: inbox.of(SummaryChanged), 5, "the first summary")
    time.sleep(0.5)
    before = len(inbox.messages)
    time.sleep(1.5)
    assert len(inbox.messages) == before


def test_a_page_is_loaded_then_reloaded_when_a_new_job_enters_it(
    store: SQLiteStore, inbox: Inbox, poller: StorePoller
) -> None:
    old = store.create(Job.new("train", {}))
    request = PageRequest(limit=10)
    poller.show_page(request, inbox)  # type: ignore[arg-type]
    wait_for(lambda: pages(inbox), 5, "the page")
    assert [job.id for job in pages(inbox)[0].jobs] == [old.id]

    new = store.create(Job.new("translate", {}))
    wait_for(lambda: len(pages(inbox)) == 2, 5, "the reload")
    assert [job.id for job in pages(inbox)[1].jobs] == [new.id, old.id]
    assert pages(inbox)[1].total == 2


def test_a_change_outside_a_full_page_leaves_it_alone(
    store: SQLiteStore, inbox: Inbox, poller: StorePoller
) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    for number in range(3):
        made = start + timedelta(seconds=number)
        store.create(
            Job(id=f"train-{number}", kind="train", created_at=made, updated_at=made)
        )
    poller.show_page(PageRequest(limit=2), inbox)  # type: ignore[arg-type]
    wait_for(lambda: pages(inbox), 5, "the page")

    assert store.claim_next(WORKER, 60, ["train"]) is not None  # the oldest job
    wait_for(lambda: inbox.of(JobsChanged), 5, "the change")
    time.sleep(0.6)
    assert len(pages(inbox)) == 1


def test_a_filtered_page_drops_a_job_that_stops_matching(
    store: SQLiteStore, inbox: Inbox, poller: StorePoller
) -> None:
    job = store.create(Job.new("train", {}))
    request = replace(PageRequest(), where=parse_filter("status:pending"))
    poller.show_page(request, inbox)  # type: ignore[arg-type]
    wait_for(lambda: pages(inbox), 5, "the page")

    store.request_cancel(job.id)
    wait_for(lambda: len(pages(inbox)) == 2, 5, "the reload")
    assert pages(inbox)[1].jobs == [] and pages(inbox)[1].total == 0


def test_a_followed_log_sends_its_tail_then_new_lines(
    store: SQLiteStore, inbox: Inbox, poller: StorePoller
) -> None:
    job = store.create(Job.new("train", {}))
    store.append_logs(job.id, [("info", "one"), ("info", "two")])
    poller.follow_log(job.id, inbox)  # type: ignore[arg-type]
    wait_for(lambda: inbox.of(LogLines), 5, "the tail")
    store.append_logs(job.id, [("warning", "three")])
    wait_for(lambda: len(inbox.of(LogLines)) == 2, 5, "the new line")

    first, second = inbox.of(LogLines)
    assert first.fresh and [line.message for line in first.lines] == ["one", "two"]  # type: ignore[attr-defined]
    assert not second.fresh and [line.level for line in second.lines] == ["warning"]  # type: ignore[attr-defined]

    poller.follow_log(None, inbox)  # type: ignore[arg-type]
    time.sleep(0.3)
    store.append_logs(job.id, [("info", "four")])
    time.sleep(0.6)
    assert len(inbox.of(LogLines)) == 2


def test_summary_counts_running_and_queued_jobs(
    store: SQLiteStore, inbox: Inbox, poller: StorePoller
) -> None:
    store.create(Job.new("train", {}))
    store.create(Job.new("train", {}))
    store.claim_next(WORKER, 60, ["train"])
    summaries = lambda: [m.summary for m in inbox.of(SummaryChanged)]  # type: ignore[attr-defined]  # noqa: E731
    wait_for(lambda: any(s.running == 1 and s.queued == 1 for s in summaries()), 5)


def test_a_failing_store_is_reported_once_and_polling_goes_on(
    tmp_path: Path, inbox: Inbox
) -> None:
    broken = SQLiteStore(tmp_path / "broken.sqlite3")
    follower = StorePoller(broken, Settings(), inbox, lambda: datetime.now(UTC))  # type: ignore[arg-type]
    follower.start()
    try:
        broken.close()  # every query now fails
        wait_for(lambda: inbox.of(StoreTrouble), 5, "the trouble")
        time.sleep(1.0)
        assert len(inbox.of(StoreTrouble)) == 1
        assert "polling failed" in inbox.of(StoreTrouble)[0].text  # type: ignore[attr-defined]
        assert follower._thread.is_alive()
    finally:
        follower.stop()
