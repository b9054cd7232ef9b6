"""Reading the knowledge base from the command line, and following a job."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.jobs import JobStatus
from tests.workers import REPO, Bench, make_bench, wait_for


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    """A store with two topics in English, Spanish and Arabic."""
    bench = make_bench(tmp_path_factory.mktemp("kb"), MEDKB_TASK_MODULES="")
    for command in (
        ["train", "--topics", "heat-stroke,nosebleed", "--wait"],
        ["translate", "--languages", "es,ar", "--wait"],
    ):
        assert bench.medkb(*command).returncode == 0
    yield bench
    bench.medkb("worker", "stop")


def test_stats_count_coverage_per_language(trained: Bench) -> None:
    out = trained.medkb("kb", "stats").stdout

    rows = {line.split()[0]: line.split()[-5:] for line in out.splitlines()[1:]}
    assert rows["en"][:3] == ["2", "0", "74"]
    assert rows["ar"][:3] == ["2", "0", "74"]
    assert rows["fr"][:3] == ["0", "0", "76"]
    assert len(rows) == 20


def test_show_prints_a_guideline_as_markdown(trained: Bench) -> None:
    done = trained.medkb("kb", "show", "heat-stroke", "--lang", "ar")

    assert done.returncode == 0
    assert done.stdout.startswith("# [ar] Heat Stroke (simulated)")
    assert "not medical advice" in done.stdout


def test_show_of_a_missing_guideline_says_what_to_do(trained: Bench) -> None:
    missing = trained.medkb("kb", "show", "heat-stroke", "--lang", "fr")
    unknown = trained.medkb("kb", "show", "heat-stroke", "--lang", "xx")

    assert missing.returncode == 1 and "medkb translate" in missing.stderr
    assert unknown.returncode == 2 and "unknown language" in unknown.stderr


def test_export_refuses_to_replace_files_without_force(
    trained: Bench, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert trained.medkb("export", "--out", str(out)).returncode == 0
    page = out / "es" / "heat-stroke.md"
    page.write_text("edited by hand")

    refused = trained.medkb("export", "--out", str(out))
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert page.read_text() == "edited by hand"

    assert trained.medkb("export", "--out", str(out), "--force").returncode == 0
    assert page.read_text().startswith("# [es] Heat Stroke")
    index = json.loads((out / "index.json").read_text())
    assert {entry["path"] for entry in index} == {
        f"{lang}/{slug}.md"
        for lang in ("en", "es", "ar")
        for slug in ("heat-stroke", "nosebleed")
    }


def test_ctrl_c_while_waiting_leaves_the_job_running(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, MEDKB_TASK_MODULES="", MEDKB_SIMULATOR_LATENCY="1")
    follower = subprocess.Popen(
        [sys.executable, "-m", "tui", "train", "--wait"],
        env={**bench.env, "MEDKB_TRAIN_CONCURRENCY": "1"},
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        job_id = wait_for(lambda: _running_job(bench), 30, "the job to run")

        follower.send_signal(signal.SIGINT)
        output, _ = follower.communicate(timeout=20)

        assert follower.returncode == 130
        assert f"medkb jobs logs {job_id} --follow" in output
        assert bench.job(job_id).status is JobStatus.RUNNING
    finally:
        bench.medkb("worker", "stop")


def _running_job(bench: Bench) -> str | None:
    if not bench.store_path.exists():
        return None
    with bench.store() as store:
        jobs = store.list_jobs()
    return jobs[0].id if jobs and jobs[0].status is JobStatus.RUNNING else None
