"""The benchmark figures as a table, each next to its target."""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str, bool | None]


def table(figures: dict[str, Any]) -> str:
    rows: list[Row] = []
    for section, build in (
        ("makespan", _makespan),
        ("engine", _engine),
        ("latency", _latency),
        ("dashboard", _dashboard),
    ):
        if section in figures:
            rows.extend(build(figures[section]))
    width = max(len(row[0]) for row in rows) if rows else 10
    lines = [f"{'figure':<{width}}  {'measured':>14}  {'target':<22}  ok"]
    for name, measured, target, ok in rows:
        mark = "" if ok is None else ("yes" if ok else "NO")
        lines.append(f"{name:<{width}}  {measured:>14}  {target:<22}  {mark}")
    return "\n".join(lines)


def _makespan(m: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for kind in ("train", "translate"):
        ratio = m["ratio_to_bound"][kind]
        calls, limit = m["calls"][kind], m["bound_seconds"][kind]
        name = f"{kind}: {calls} calls, s (bound {limit:.1f})"
        rows.append((name, f"{m['seconds'][kind]:.1f}", "", None))
        rows.append(
            (f"{kind}: ratio to bound", f"{ratio:.3f}", "<= 1.15", ratio <= 1.15)
        )
    busiest, rpm = m["busiest_minute_requests"], m["requests_per_minute"]
    rows.append(
        ("server: most requests in a minute", f"{busiest}", f"<= {rpm}", busiest <= rpm)
    )
    old = m["old_tool_seconds"]
    rows.append(
        (
            "old tool: train + translate, s",
            f"{old['train']:.0f} + {old['translate']:.0f}",
            "",
            None,
        )
    )
    rows.append(
        (
            "whole workload: speedup",
            f"{m['speedup']:.1f}x",
            ">= 10x",
            m["speedup"] >= 10,
        )
    )
    return rows


def _engine(e: dict[str, Any]) -> list[Row]:
    rate = e["engine_items_per_second"]
    return [
        ("engine: 5 KB items/s into SQLite", f"{rate:,.0f}", ">= 2,000", rate >= 2000),
        ("engine: ms per item", f"{e['engine_ms_per_item']:.3f}", "", None),
        (
            "bare mp queue: items/s",
            f"{e['bare_queue_items_per_second']:,.0f}",
            "",
            None,
        ),
    ]


def _latency(lat: dict[str, Any]) -> list[Row]:
    grace = lat["cancel_grace_s"]
    return [
        _at_most(
            "enqueue to running, median s", lat["enqueue_to_running_median_s"], 0.1
        ),
        _at_most(
            f"same after {lat['idle_seconds_before']:.0f} s idle, median s",
            lat["enqueue_to_running_after_idle_median_s"],
            0.1,
        ),
        _at_most("cooperative cancel, max s", lat["cooperative_cancel_max_s"], 0.5),
        _at_most("forced cancel, max s", lat["forced_cancel_max_s"], grace + 0.5),
        _at_most("killed worker to resumed, s", lat["killed_worker_to_resumed_s"], 10),
    ]


def _dashboard(d: dict[str, Any]) -> list[Row]:
    return [
        _at_most("dashboard first paint, 10k jobs, s", d["first_paint_s"], 2.0),
        _at_most("dashboard CPU idle, % of a core", d["cpu_idle_percent"], 3.0),
        _at_most(
            "dashboard CPU, 4 jobs streaming, %", d["cpu_streaming_percent"], 20.0
        ),
        ("RSS dashboard / worker / child, MB", d["rss_mb"], "", None),
    ]


def _at_most(name: str, value: float, limit: float) -> Row:
    return (name, f"{value:.3f}", f"<= {limit:g}", value <= limit)
