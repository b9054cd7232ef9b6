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

from tests.benchmarks import engine, latency, makespan, report

SECTIONS = ("makespan", "engine", "latency", "dashboard")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks")
    parser.add_argument("--only", default=",".join(SECTIONS))
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--old-tool-scale", type=float, default=0.1)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--idle", type=float, default=120.0)
    parser.add_argument("--json", type=Path, default=Path("benchmark-results.json"))
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    figures: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="medkb-bench-") as scratch:
        root = Path(scratch)
        if "makespan" in wanted:
            figures["makespan"] = makespan.run(root, args.scale, args.old_tool_scale)
        if "engine" in wanted:
            figures["engine"] = engine.run(root, args.items)
        if "latency" in wanted:
            figures["latency"] = latency.run(root, args.idle)
        if "dashboard" in wanted:
            from tests.benchmarks import dashboard

            figures["dashboard"] = dashboard.run(root)
    figures["seconds"] = time.monotonic() - started
    args.json.write_text(json.dumps(figures, indent=2))
    print(report.table(figures))
    print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
