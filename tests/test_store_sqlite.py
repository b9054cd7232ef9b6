"""What only the SQLite store does: its schema guard and its private file."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from core.store.base import StoreError
from core.store.sqlite import SQLiteStore


def test_a_store_written_by_a_newer_medkb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    database = sqlite3.connect(path)
    database.execute("PRAGMA user_version = 99")
    database.close()

    with pytest.raises(StoreError, match="newer medkb") as raised:
        SQLiteStore(path)

    assert str(path) in str(raised.value)
    assert "schema 99" in str(raised.value)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are not the pages of a database\n" * 100)

    with pytest.raises(StoreError, match="cannot use the store") as raised:
        SQLiteStore(path)

    assert str(path) in str(raised.value)


def test_the_store_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "store.sqlite3"

    SQLiteStore(path).close()

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
