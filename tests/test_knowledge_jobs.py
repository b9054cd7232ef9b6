"""Train and translate end to end: real workers, the simulator or a fake Gemini."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.coverage import CellState, coverage
from core.jobs import JobStatus
from core.knowledge import Guideline, content_hash
from tests.fake_gemini import (
    FakeGemini,
    error_reply,
    guideline_answer,
    running_fake_gemini,
    sample_content,
)
from tests.workers import Bench, make_bench, wait_for

TOPICS = "cpr-adult,heat-stroke,choking-adult"


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    made = make_bench(
        tmp_path,
        MEDKB_LEASE_SECONDS="1.5",
        MEDKB_HEARTBEAT_SECONDS="0.3",
        MEDKB_TASK_MODULES="",
    )
    yield made
    made.medkb("worker", "stop")
    made.stop_all()


@pytest.fixture
def gemini() -> Iterator[FakeGemini]:
    with running_fake_gemini() as fake:
        yield fake


def gemini_env(fake: FakeGemini) -> dict[str, str]:
    return {"GEMINI_API_KEY": "AIza-test-key", "GOOGLE_GEMINI_BASE_URL": fake.base_url}


def run(bench: Bench, *args: str, **env: str) -> str:
    done = bench.medkb(*args, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def stamp(data: dict[str, object]) -> object:
    provenance = data["provenance"]
    assert isinstance(provenance, dict)
    return provenance["generated_at"]


def job_id_of(output: str) -> str:
    return output.split("queued ", 1)[1].split()[0]


def test_train_translate_export_through_a_real_worker(
    bench: Bench, tmp_path: Path
) -> None:
    trained = run(bench, "train", "--topics", TOPICS, "--wait")
    assert "provider: simulator" in trained and "learned 3" in trained
    translated = run(bench, "translate", "--languages", "es,ar,ja", "--wait")
    assert "translated 9" in translated

    out = tmp_path / "export"
    run(bench, "export", "--out", str(out), "--format", "json")

    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json"))
    expected = [
        f"{lang}/{slug}.json"
        for lang in ("ar", "en", "es", "ja")
        for slug in sorted(TOPICS.split(","))
    ]
    assert files == sorted([*expected, "index.json"])
    for path in out.rglob("*/*.json"):
        guideline = Guideline.model_validate_json(path.read_text())
        assert guideline.provenance.simulated
    index = json.loads((out / "index.json").read_text())
    assert len(index) == 12 and len({entry["path"] for entry in index}) == 12


def test_translation_progress_has_a_part_per_language(bench: Bench) -> None:
    run(bench, "train", "--topics", TOPICS, "--wait")

    job_id = job_id_of(run(bench, "translate", "--languages", "es,fr", "--wait"))

    parts = bench.job(job_id).progress.parts
    assert set(parts) == {"es", "fr"}
    assert all(part.done == 3 and part.total == 3 for part in parts.values())


def test_a_translation_says_which_topics_have_no_english_yet(bench: Bench) -> None:
    run(bench, "train", "--topics", TOPICS, "--wait")

    translated = run(bench, "translate", "--languages", "es", "--wait")

    assert "translated 3" in translated and "untrained 73" in translated
    with bench.store() as store:
        warnings = [
            line.message
            for line in store.logs(job_id_of(translated))
            if line.level == "warning"
        ]
    (warning,) = warnings
    assert warning.startswith("73 topic(s) have no English guideline yet")
    assert "and 68 more. Train them first" in warning


def test_worker_killed_mid_translation_then_a_new_one_completes_it(
    bench: Bench,
) -> None:
    run(bench, "train", "--topics", TOPICS, "--wait")
    run(bench, "worker", "stop")
    slow = {"MEDKB_SIMULATOR_LATENCY": "0.3", "MEDKB_TRANSLATE_CONCURRENCY": "2"}
    first = bench.start_worker(**slow)
    wait_for(lambda: "processes" in run(bench, "worker", "status"), what="worker")
    queued = run(bench, "translate", **slow)
    assert "started a background worker" not in queued
    job_id = job_id_of(queued)
    wait_for(lambda: bench.job(job_id).progress.done >= 8, what="eight items")

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    with bench.store() as store:
        before = {
            i.key: i.data["provenance"]["generated_at"] for i in store.list_items()
        }
    bench.start_worker()
    job = bench.wait_status(job_id, JobStatus.COMPLETED, timeout=60)

    assert job.attempts >= 2 and job.result is not None
    assert job.result["translated"] == 57 and job.result["failed"] == 0
    with bench.store() as store:
        items = store.list_items()
    keys = [item.key for item in items]
    assert len(keys) == len(set(keys)) == 3 + 57
    for item in items:
        if item.key in before:
            assert stamp(item.data) == before[item.key]


def test_regenerating_one_guideline_makes_exactly_its_translations_stale(
    bench: Bench, gemini: FakeGemini
) -> None:
    env = gemini_env(gemini)
    run(bench, "train", "--topics", "cpr-adult,heat-stroke", "--wait", **env)
    run(bench, "translate", "--languages", "es,fr", "--wait", **env)
    gemini.script(guideline_answer(sample_content("Heat Stroke, revised")))

    run(bench, "train", "--topics", "heat-stroke", "--overwrite", "--wait", **env)

    with bench.store() as store:
        grid = coverage(store)
    stale = {key for key, state in grid.cells.items() if state is CellState.STALE}
    assert stale == {("heat-stroke", "es"), ("heat-stroke", "fr")}
    out = run(bench, "translate", "--languages", "es,fr", "--wait", **env)
    assert "translated 0, refreshed 2, skipped 2, untrained 74, failed 0" in out
    with bench.store() as store:
        english = Guideline.model_validate(store.get_item("heat-stroke", "en").data)
        spanish = store.get_item("heat-stroke", "es")
        assert spanish is not None
        assert spanish.data["source_hash"] == content_hash(english)


def test_two_jobs_on_one_worker_share_the_requests_per_minute_limit(
    bench: Bench, gemini: FakeGemini
) -> None:
    limits = {
        **gemini_env(gemini),
        "MEDKB_REQUESTS_PER_MINUTE": "3",
        "MEDKB_RATE_WINDOW_SECONDS": "2",
    }
    jobs = [
        add_training(bench, "cpr-adult,heat-stroke,choking-adult,stroke"),
        add_training(bench, "thermal-burns,nosebleed,fainting,seizure"),
    ]

    bench.start_worker("--concurrency", "2", **limits)
    for job_id in jobs:
        bench.wait_status(job_id, JobStatus.COMPLETED)

    times = gemini.times()
    assert len(times) == 8
    busiest = max(sum(1 for t in times if start <= t < start + 2) for start in times)
    assert busiest <= 3, [round(t - times[0], 3) for t in times]
    starts = [bench.job(j).started_at for j in jobs]
    finishes = [bench.job(j).finished_at for j in jobs]
    assert max(starts) < min(finishes)  # they really ran at the same time
    with bench.store() as store:
        lines = [line.message for job_id in jobs for line in store.logs(job_id)]
    assert any(
        line.startswith("Reached the limit of 3 requests per 2 s") for line in lines
    ), lines


def test_a_retried_request_shows_in_the_jobs_log(
    bench: Bench, gemini: FakeGemini
) -> None:
    gemini.script(error_reply(503, "UNAVAILABLE", "The model is overloaded."))
    job_id = add_training(bench, "heat-stroke")

    bench.start_worker(**gemini_env(gemini), MEDKB_MAX_RETRIES="2")
    bench.wait_status(job_id, JobStatus.COMPLETED)

    with bench.store() as store:
        (retried,) = [line for line in store.logs(job_id) if "retrying" in line.message]
    assert retried.level == "warning"
    assert retried.message.startswith("heat-stroke: Gemini failed (503 UNAVAILABLE)")
    assert "attempt 1 of 3" in retried.message


def add_training(bench: Bench, topics: str) -> str:
    params = {"topics": topics.split(","), "provider": "gemini"}
    done = bench.medkb("jobs", "add", "train", "--params", json.dumps(params))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_failed_topics_are_recorded_and_the_job_goes_on(bench: Bench) -> None:
    flaky = {"MEDKB_SIMULATOR_FAILURE_RATE": "0.5"}
    job_id = job_id_of(run(bench, "train", **flaky))
    job = bench.wait_status(job_id, JobStatus.COMPLETED, timeout=60)

    result = job.result
    assert result is not None
    assert result["learned"] > 0 and result["failed"] > 0
    assert result["learned"] + result["failed"] == 76
    assert len(result["failures"]) == result["failed"]
    assert all("simulated failure" in f["reason"] for f in result["failures"])
    with bench.store() as store:
        assert len(store.list_items(language="en")) == result["learned"]
        grid = coverage(store)
    failed = {f["topic"] for f in result["failures"]}
    assert {t for t in failed if grid.state(t, "en") is CellState.FAILED} == failed


def test_a_training_where_every_topic_fails_fails(bench: Bench) -> None:
    done = bench.medkb(
        "train", "--topics", TOPICS, "--wait", MEDKB_SIMULATOR_FAILURE_RATE="1"
    )

    assert done.returncode == 1
    assert "no topic was learned; all 3 failed" in done.stdout
