"""What every part of the store shares: the connection, transactions and timestamps."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any


def sha256_text(text: str) -> str:
    """The content hash used for transcripts and the embedding cache (hex SHA-256 of UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_now() -> str:
    """ISO-8601 UTC timestamp, as `Coding.created_at` and the run times use."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def to_json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} must be JSON-serialisable: {error}") from error


class StoreBase:
    """Holds the connection; subclasses add one group of tables each."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._savepoints = 0

    @property
    def writer(self) -> bool:
        """Whether this process holds the project's writer lock (see autocode.store.lock)."""
        return False

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of the block's writes commit together or none do.

        BEGIN IMMEDIATE takes SQLite's write lock up front (waiting up to the busy timeout), so a
        transaction never fails half-way because another writer got in first. Nested use becomes
        a savepoint, so an inner failure that the caller catches undoes only the inner block.
        """
        conn = self._conn
        if conn.in_transaction:
            self._savepoints += 1
            name = f"sp{self._savepoints}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield conn
            except BaseException:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
                raise
            finally:
                self._savepoints -= 1
            conn.execute(f"RELEASE {name}")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")  # inside the try: a deferred constraint can fail here
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
