"""The jobs command line: output, exit codes, and bad input met with one line."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from core.jobs import JobStatus
from tests.workers import Bench, make_bench


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    return make_bench(tmp_path)


def assert_one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in lines[0]


def test_list_json_uses_the_job_model_field_names(bench: Bench) -> None:
    first = bench.add(steps=1)
    second = bench.add(steps=2)

    listed = json.loads(bench.medkb("jobs", "list", "--json").stdout)
    shown = json.loads(bench.medkb("jobs", "show", first, "--json").stdout)

    assert [job["id"] for job in listed] == [second, first]
    assert shown["id"] == first and shown["params"]["steps"] == 1
    for name in ("status", "progress", "attempts", "max_attempts", "created_at"):
        assert name in shown
    assert shown["progress"]["percent"] == 0.0


def test_list_filters_by_status_and_kind(bench: Bench) -> None:
    kept = bench.add(steps=1)
    cancelled = bench.add(steps=1)
    bench.medkb("jobs", "cancel", cancelled)

    pending = bench.medkb("jobs", "list", "--status", "pending", "--json")
    other = bench.medkb("jobs", "list", "--kind", "train", "--json")

    assert [job["id"] for job in json.loads(pending.stdout)] == [kept]
    assert json.loads(other.stdout) == []
    assert cancelled in bench.medkb("jobs", "list").stdout


def test_retry_makes_a_linked_pending_job_with_the_same_params(bench: Bench) -> None:
    old = bench.add(steps=7)
    bench.medkb("jobs", "cancel", old)

    done = bench.medkb("jobs", "retry", old)

    assert done.returncode == 0
    fresh = bench.job(done.stdout.split()[0])
    assert fresh.retry_of == old and fresh.params["steps"] == 7
    assert fresh.status is JobStatus.PENDING


def test_retry_or_cancel_of_a_job_that_cannot_exits_one(bench: Bench) -> None:
    job_id = bench.add(steps=1)

    retried = bench.medkb("jobs", "retry", job_id)
    bench.medkb("jobs", "cancel", job_id)
    cancelled_twice = bench.medkb("jobs", "cancel", job_id)

    assert retried.returncode == 1 and "only failed or cancelled" in retried.stderr
    assert cancelled_twice.returncode == 1 and "already" in cancelled_twice.stderr


@pytest.mark.parametrize("verb", ["show", "cancel", "retry", "logs"])
def test_unknown_job_id_is_one_line_and_exit_two(bench: Bench, verb: str) -> None:
    bench.add(steps=1)

    assert_one_line_error(bench.medkb("jobs", verb, "test-nope"), "test-nope")


def test_unknown_kind_and_invalid_params_write_nothing(bench: Bench) -> None:
    bench.add(steps=1)

    assert_one_line_error(bench.medkb("jobs", "add", "nope"), "unknown job kind")
    assert_one_line_error(
        bench.medkb("jobs", "add", "test", "--params", '{"steps": -1}'), "steps"
    )
    assert_one_line_error(
        bench.medkb("jobs", "add", "test", "--params", '{"colour": 1}'), "colour"
    )
    assert_one_line_error(
        bench.medkb("jobs", "add", "test", "--params", "{oops"), "JSON"
    )
    assert len(json.loads(bench.medkb("jobs", "list", "--json").stdout)) == 1


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("sqlite://relative.db", ["malformed store URL"]),
        ("postgres://user:hunter22@db/x", ["unsupported", "***"]),
        ("mongodb://host:notaport/x", ["mongodb://host:notaport/x"]),
        ("mongodb://", ["mongodb://"]),
    ],
)
def test_malformed_store_url_is_one_line(
    bench: Bench, url: str, words: list[str]
) -> None:
    done = bench.medkb("jobs", "list", "--store", url)

    assert_one_line_error(done, *words)
    assert "hunter22" not in done.stderr


def test_store_in_a_directory_that_cannot_be_written(
    bench: Bench, tmp_path: Path
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    # root writes through file modes; /sys is a directory even root cannot write
    target = Path("/sys/medkb-store.db") if os.geteuid() == 0 else locked / "s.db"

    done = bench.medkb("jobs", "list", "--store", str(target))

    assert_one_line_error(done, str(target), "writable")
    assert not target.exists()


def test_bad_setting_is_one_line(bench: Bench) -> None:
    done = bench.medkb("jobs", "list", MEDKB_LEASE_SECONDS="soon")

    assert_one_line_error(done, "lease_seconds")


def test_logs_prints_the_job_log(bench: Bench) -> None:
    job_id = bench.add(steps=1)
    with bench.store() as store:
        store.append_logs(job_id, [("info", "hello \x1b[31mred")])

    done = bench.medkb("jobs", "logs", job_id)

    assert done.returncode == 0
    assert "hello \\x1b[31mred" in done.stdout  # escapes shown, not obeyed
