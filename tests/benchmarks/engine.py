"""Engine overhead: ~5 KB items from a child through the supervisor into SQLite,
next to a bare multiprocessing queue moving the same items."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Any

from core.store.sqlite import SQLiteStore
from tests.benchmarks.harness import bench_dir, enqueue, start_worker, wait_finished

ITEM_BYTES = 5000


def run(root: Path, items: int) -> dict[str, Any]:
    ours = _through_the_engine(root, items)
    bare = _bare_queue(items)
    return {
        "items": items,
        "item_bytes": ITEM_BYTES,
        "engine_items_per_second": items / ours,
        "engine_ms_per_item": 1000 * ours / items,
        "bare_queue_items_per_second": items / bare,
        "bare_queue_ms_per_item": 1000 * bare / items,
    }


def _through_the_engine(root: Path, items: int) -> float:
    """Seconds from the job's start to its end, every item saved on the way."""
    with bench_dir(root, "engine") as bench:
        start_worker(bench)
        with SQLiteStore(bench.store_path) as store:
            job = enqueue(store, "test", steps=items, item_bytes=ITEM_BYTES)
            done = wait_finished(store, job.id)
            assert len(store.saved_keys(job.id)) == items
        assert done.started_at is not None and done.finished_at is not None
        return (done.finished_at - done.started_at).total_seconds()


def _produce(queue: Any, items: int) -> None:
    for step in range(items):
        queue.put({"step": step, "pad": "x" * ITEM_BYTES})
    queue.put(None)


def _bare_queue(items: int) -> float:
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    producer = spawn.Process(target=_produce, args=(queue, items))
    producer.start()
    first = queue.get()
    started = time.monotonic()
    received = 1
    while queue.get() is not None:
        received += 1
    elapsed = time.monotonic() - started
    producer.join()
    assert received == items and first["step"] == 0
    return elapsed * items / max(1, items - 1)
