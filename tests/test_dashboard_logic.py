"""The dashboard's plain logic: filters, orders, ETAs and cells."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.jobs import Job, JobStatus, Progress
from core.store import JobFilter
from tui.job_cells import bar, duration, value_text
from tui.job_query import FilterError, JobOrder, matches, parse_filter, sort_jobs
from tui.job_timing import ItemRates, average_eta_seconds

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


def running(done: int, total: int, started_ago: float, updated_ago: float = 0) -> Job:
    return Job(
        id="translate-x",
        kind="translate",
        status=JobStatus.RUNNING,
        progress=Progress(done=done, total=total),
        started_at=NOW - timedelta(seconds=started_ago),
        updated_at=NOW - timedelta(seconds=updated_ago),
    )


# -- the filter -------------------------------------------------------------


def test_filter_reads_statuses_kinds_and_words() -> None:
    where = parse_filter("status:fail,canc kind:Translate burns  es")
    assert where == JobFilter(
        statuses=frozenset({JobStatus.FAILED, JobStatus.CANCELLED}),
        kinds=frozenset({"translate"}),
        text="burns es",
    )
    assert parse_filter("") == JobFilter()


@pytest.mark.parametrize("text", ["status:bogus", "status:c"])
def test_filter_refuses_a_status_it_cannot_name(text: str) -> None:
    with pytest.raises(FilterError, match="unknown status"):
        parse_filter(text)


def test_matching_follows_the_store_rules() -> None:
    job = Job(id="train-abc", kind="train", status=JobStatus.FAILED, error="Quota")
    assert matches(job, parse_filter("status:failed kind:train quota"))
    assert not matches(job, parse_filter("status:running"))
    assert not matches(job, parse_filter("kind:translate"))
    assert matches(job, parse_filter("ABC"))


def test_sorting_by_a_column_and_back() -> None:
    jobs = [running(10, 100, 60), running(90, 100, 60), running(50, 100, 60)]
    by_progress = sort_jobs(jobs, JobOrder("progress"), NOW)
    assert [job.progress.done for job in by_progress] == [10, 50, 90]
    reversed_order = sort_jobs(jobs, JobOrder("progress").reversed(), NOW)
    assert [job.progress.done for job in reversed_order] == [90, 50, 10]
    assert sort_jobs(jobs, JobOrder(), NOW) is jobs


# -- timing -----------------------------------------------------------------


def test_eta_starts_from_the_average_pace() -> None:
    job = running(done=25, total=100, started_ago=50)
    assert average_eta_seconds(job, NOW) == 150
    assert ItemRates().eta_seconds(job, NOW) == 150


def test_eta_follows_the_recent_item_rate() -> None:
    rates = ItemRates()
    rates.observe(running(done=10, total=100, started_ago=100, updated_ago=10))
    rates.observe(running(done=30, total=100, started_ago=100, updated_ago=0))
    latest = running(done=30, total=100, started_ago=100)
    assert rates.items_per_second(latest, NOW) == 2.0
    assert rates.eta_seconds(latest, NOW) == 35


def test_a_stalled_job_slows_its_eta_down() -> None:
    """Nothing done for 30 s (a rate limit): the rate counts those 30 s too."""
    rates = ItemRates()
    rates.observe(running(done=10, total=100, started_ago=100, updated_ago=40))
    rates.observe(running(done=30, total=100, started_ago=100, updated_ago=30))
    stalled = running(done=30, total=100, started_ago=100, updated_ago=30)
    assert rates.items_per_second(stalled, NOW) == 0.5
    assert rates.eta_seconds(stalled, NOW) == 140


def test_no_eta_for_a_job_that_is_not_running() -> None:
    job = running(done=5, total=10, started_ago=5).model_copy(
        update={"status": JobStatus.COMPLETED}
    )
    assert ItemRates().eta_seconds(job, NOW) is None


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "—"), (4.9, "4s"), (245, "4m05s"), (3720, "1h02m"), (90000, "1d01h")],
)
def test_durations_are_short(seconds: float | None, shown: str) -> None:
    assert duration(seconds) == shown


def test_bars_fill_in_eighths() -> None:
    assert bar(0, 4) == "░░░░"
    assert bar(0.5, 4) == "██░░"
    assert bar(0.56, 4) == "██▏░"
    assert bar(1.5, 4) == "████"


def test_param_values_say_all_or_default_for_none() -> None:
    assert value_text("topics", None) == "all"
    assert value_text("model", None) == "default"
    assert value_text("languages", list("abcdefgh")) == "a, b, c, d, e, f, … (8)"
