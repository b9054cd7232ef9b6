"""What only the MongoDB store does: its schema guard, indexes and error lines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import mongomock
import pytest
from pymongo.errors import AutoReconnect, DuplicateKeyError, OperationFailure

from core.jobs import Job
from core.store.base import SCHEMA_VERSION, StoreError
from core.store.mongo import MongoStore

URL = "mongodb://medkb:hunter2@localhost/medkb_test"
REDACTED = "mongodb://medkb:***@localhost/medkb_test"


@pytest.fixture
def client() -> Any:
    return mongomock.MongoClient(tz_aware=True)


@pytest.fixture
def store(client: Any) -> Iterator[MongoStore]:
    opened = MongoStore(URL, log_cap=50, client=client)
    yield opened
    opened.close()


def index_keys(collection: Any) -> dict[tuple[tuple[str, int], ...], bool]:
    """Each index's key, with whether it is unique."""
    return {
        tuple((field, int(order)) for field, order in spec["key"]): bool(
            spec.get("unique")
        )
        for spec in collection.index_information().values()
    }


def test_open_records_the_schema_version(client: Any) -> None:
    MongoStore(URL, client=client)

    found = client["medkb_test"]["meta"].find_one({"_id": "schema"})
    assert found["version"] == SCHEMA_VERSION


def test_a_store_written_by_a_newer_medkb_is_refused(client: Any) -> None:
    meta = client["medkb_test"]["meta"]
    meta.insert_one({"_id": "schema", "version": SCHEMA_VERSION + 1})

    with pytest.raises(StoreError, match="newer medkb") as raised:
        MongoStore(URL, client=client)

    assert REDACTED in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_database_defaults_to_medkb_when_the_url_names_none(client: Any) -> None:
    store = MongoStore("mongodb://localhost", client=client)

    store.create(Job.new("test", {}))

    assert client["medkb"]["jobs"].count_documents({}) == 1


def test_open_creates_the_indexes_the_queries_need(
    store: MongoStore, client: Any
) -> None:
    database = client["medkb_test"]

    jobs = index_keys(database["jobs"])
    assert (("status", 1), ("created_us", 1), ("_id", 1)) in jobs
    assert (("updated_at", 1),) in jobs
    assert index_keys(database["job_logs"])[(("job_id", 1), ("seq", 1))] is True
    assert (("job_id", 1), ("at", 1)) in index_keys(database["job_logs"])
    items = index_keys(database["guidelines"])
    assert items[(("topic", 1), ("language", 1))] is True
    assert (("job_id", 1),) in items
    assert (("heartbeat_at", 1),) in index_keys(database["workers"])


def test_guidelines_refuse_a_second_document_for_one_topic_and_language(
    store: MongoStore, client: Any
) -> None:
    guidelines = client["medkb_test"]["guidelines"]
    guidelines.insert_one({"topic": "burns", "language": "en", "data": {}})

    with pytest.raises(DuplicateKeyError):
        guidelines.insert_one({"topic": "burns", "language": "en", "data": {}})


def test_jobs_created_in_one_millisecond_are_claimed_oldest_first(
    store: MongoStore,
) -> None:
    moment = datetime(2025, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)
    older = Job(
        id="test-zzzz", kind="test", created_at=moment.replace(microsecond=123100)
    )
    newer = Job(
        id="test-aaaa", kind="test", created_at=moment.replace(microsecond=123900)
    )
    store.create(older)
    store.create(newer)

    assert [job.id for job in store.list_jobs()] == [newer.id, older.id]
    claimed = store.claim_next("worker-a", 30, ["test"])
    assert claimed is not None and claimed.id == older.id


def test_changes_since_sees_a_change_later_in_the_same_millisecond(
    store: MongoStore,
) -> None:
    moment = datetime(2025, 3, 1, 12, 0, 0, 123400, tzinfo=UTC)
    job = store.create(
        Job(id="test-aaaa", kind="test", updated_at=moment.replace(microsecond=123900))
    )

    assert [changed.id for changed in store.changes_since(moment)] == [job.id]


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    url = "mongodb://user:secret@127.0.0.1:1/medkb?serverSelectionTimeoutMS=300"

    with pytest.raises(StoreError, match="cannot reach the MongoDB store") as raised:
        MongoStore(url)

    message = str(raised.value)
    assert "mongodb://user:***@127.0.0.1:1/medkb" in message
    assert "secret" not in message
    assert "\n" not in message and len(message) < 500
    assert "MEDKB_STORE" in message


@pytest.mark.parametrize(
    "url", ["mongodb://", "mongodb://host:notaport", "mongodb://u:p@h/bad name"]
)
def test_a_malformed_url_is_a_store_error(url: str) -> None:
    with pytest.raises(StoreError, match="malformed MongoDB store URL"):
        MongoStore(url)


def test_losing_the_server_mid_use_is_a_store_error_without_the_password(
    store: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*args: object, **kwargs: object) -> None:
        raise AutoReconnect("localhost:27017: connection closed (hunter2)")

    monkeypatch.setattr(store._jobs, "find_one", unreachable)

    with pytest.raises(StoreError, match="cannot reach") as raised:
        store.get("test-anything")
    assert REDACTED in str(raised.value) and "hunter2" not in str(raised.value)


def test_a_refused_login_is_a_store_error_that_names_the_credentials(
    store: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise OperationFailure("Authentication failed.", code=18)

    monkeypatch.setattr(store._jobs, "count_documents", refused)

    with pytest.raises(StoreError, match="cannot log in .* Check the user"):
        store.count_jobs()


def test_other_driver_errors_still_raise_as_bugs(
    store: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OperationFailure("unknown operator: $bogus", code=2)

    monkeypatch.setattr(store._jobs, "count_documents", broken)

    with pytest.raises(OperationFailure):
        store.count_jobs()
