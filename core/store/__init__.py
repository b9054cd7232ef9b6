"""Open the store a URL names: a SQLite file (default) or a MongoDB database."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from core.store.base import JobFilter, JobNotFound, Store, StoreError

__all__ = ["JobFilter", "JobNotFound", "Store", "StoreError", "open_store", "redact"]

MONGO_SCHEMES = ("mongodb://", "mongodb+srv://")


def redact(url: str) -> str:
    """The URL with any password replaced, fit for messages and logs."""
    if "://" not in url or "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("://", 1)[0] + "://***"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def sqlite_path(url: str) -> Path:
    """The file a SQLite store URL or plain path names."""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite://"))
    if url.startswith("sqlite://"):
        raise StoreError(
            f"malformed store URL {redact(url)}: write sqlite:///absolute/path "
            "or a plain file path."
        )
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise StoreError(
            f"unsupported store URL {redact(url)}: scheme {scheme!r} is not "
            "known; use a file path, sqlite:///path, mongodb:// or mongodb+srv://."
        )
    return Path(url).expanduser()


def open_store(url: str, *, log_cap: int = 5000) -> Store:
    """The store at url; raises StoreError with a line fit for the user."""
    if url.startswith(MONGO_SCHEMES):
        from core.store.mongo import MongoStore

        return MongoStore(url, log_cap=log_cap)

    from core.store.sqlite import SQLiteStore

    return SQLiteStore(sqlite_path(url), log_cap=log_cap, label=url)
