"""Where vectors persist between runs: a SQLite file keyed by (model id, text hash)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np


def text_hash(text: str) -> str:
    """The cache key of a text: SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class VectorCache(Protocol):
    """Where embeddings persist between runs, keyed by (model id, text hash)."""

    def get_embeddings(
        self, model_id: str, text_hashes: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return (found mask, matrix); rows not found are zeros."""
        ...

    def put_embeddings(
        self, model_id: str, text_hashes: Sequence[str], matrix: np.ndarray
    ) -> None: ...


class EmbeddingCache:
    """A SQLite file of float32 vectors keyed by model id and text hash.

    Safe to share between processes (WAL); nothing in it is executable, unlike a pickle.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS embeddings ("
            " model_id TEXT NOT NULL, text_hash TEXT NOT NULL, dim INTEGER NOT NULL,"
            " vector BLOB NOT NULL, PRIMARY KEY (model_id, text_hash))"
        )
        self._conn.commit()

    def get_embeddings(
        self, model_id: str, text_hashes: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        found = np.zeros(len(text_hashes), dtype=bool)
        rows: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(text_hashes))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = (
                f"SELECT text_hash, vector FROM embeddings "
                f"WHERE model_id = ? AND text_hash IN ({marks})"
            )
            for key, blob in self._conn.execute(query, [model_id, *chunk]):
                rows[key] = np.frombuffer(blob, dtype=np.float32)
        dim = next(iter(rows.values())).shape[0] if rows else 0
        matrix = np.zeros((len(text_hashes), dim), dtype=np.float32)
        for i, key in enumerate(text_hashes):
            if key in rows:
                matrix[i] = rows[key]
                found[i] = True
        return found, matrix

    def put_embeddings(self, model_id: str, text_hashes: Sequence[str], matrix: np.ndarray) -> None:
        vectors = np.asarray(matrix, dtype=np.float32)
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model_id, text_hash, dim, vector) "
                "VALUES (?, ?, ?, ?)",
                [
                    (model_id, key, vectors.shape[1], vectors[i].tobytes())
                    for i, key in enumerate(text_hashes)
                ],
            )

    def close(self) -> None:
        self._conn.close()


def cache_root() -> Path:
    """`$AUTOCODE_CACHE_DIR`, else `$XDG_CACHE_HOME/autocode`, else `~/.cache/autocode`."""
    base = os.environ.get("AUTOCODE_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg else Path.home() / ".cache"
    return root / "autocode"


def default_cache_path() -> Path:
    """`$AUTOCODE_CACHE_DIR/embeddings.sqlite`, else the user's cache folder."""
    return cache_root() / "embeddings.sqlite"
