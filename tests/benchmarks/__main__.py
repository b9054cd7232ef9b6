"""`python -m tests.benchmarks`: run the suite, print a table, write JSON."""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.benchmarks import dashboard, engine, latency, makespan, report

SECTIONS = ("makespan", "engine", "latency", "dashboard")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks")
    parser.add_argument("--only", default=",".join(SECTIONS))
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--idle", type=float, default=120.0)
    parser.add_argument(
        "--json", type=Path, default=Path("tests/benchmarks/results.json")
    )
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    figures: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    started = time.monotonic()
    sections = {
        "makespan": lambda root: makespan.run(root, args.scale),
        "engine": lambda root: engine.run(root, args.items),
        "latency": lambda root: latency.run(root, args.idle),
        "dashboard": lambda root: dashboard.run(root),
    }
    with tempfile.TemporaryDirectory(prefix="medkb-bench-") as scratch:
        for name in SECTIONS:
            if name in wanted:
                figures[name] = sections[name](Path(scratch))
                figures["seconds"] = time.monotonic() - started
                args.json.write_text(json.dumps(figures, indent=2))
    print(report.table(figures))
    print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
