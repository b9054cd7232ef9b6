"""Shared fixtures: a store of every backend, isolated data directories."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.store.base import Store

REAL_MONGO_URL = os.environ.get("MEDKB_TEST_MONGODB_URL", "")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data and config dirs and no real credentials."""
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for name in ("MEDKB_STORE", "MONGODB_URI", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return home


def _sqlite(tmp_path: Path) -> Store:
    from core.store.sqlite import SQLiteStore

    return SQLiteStore(tmp_path / "store.sqlite3", log_cap=50)


def _mongomock() -> Store:
    import mongomock

    from core.store.mongo import MongoStore

    client = mongomock.MongoClient(tz_aware=True)
    return MongoStore("mongodb://localhost/medkb_test", log_cap=50, client=client)


def _real_mongo() -> Store:
    from core.store.mongo import MongoStore

    database = f"medkb_test_{uuid.uuid4().hex[:8]}"
    base = REAL_MONGO_URL.rstrip("/")
    return MongoStore(f"{base}/{database}", log_cap=50)


@pytest.fixture(
    params=[
        "sqlite",
        "mongomock",
        pytest.param(
            "mongodb",
            marks=[
                pytest.mark.mongodb,
                pytest.mark.skipif(
                    not REAL_MONGO_URL,
                    reason="MEDKB_TEST_MONGODB_URL is not set: no real MongoDB",
                ),
            ],
        ),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same contract, over every backend."""
    if request.param == "sqlite":
        opened = _sqlite(tmp_path)
    elif request.param == "mongomock":
        opened = _mongomock()
    else:
        opened = _real_mongo()
    yield opened
    if request.param == "mongodb":
        opened.drop_database()  # type: ignore[attr-defined]
    opened.close()
