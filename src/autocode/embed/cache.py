"""Where vectors persist between runs: a SQLite file keyed by (model id, text hash)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from autocode.store.base import sha256_text
from autocode.store.embeddings import TABLE, EmbeddingTable

text_hash = sha256_text  # the cache key of a text: SHA-256 of its UTF-8 bytes


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


class EmbeddingCache(EmbeddingTable):
    """The user's cache file: a SQLite file of float32 vectors keyed by model id and text hash,
    validated as the project store's (`autocode.store.embeddings.EmbeddingTable`).

    Safe to share between processes (WAL); nothing in it is executable, unlike a pickle. A file
    written by autocode 0.2 (no CHECK constraints) is read and written as it is.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(TABLE)
        super().__init__(conn)

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
