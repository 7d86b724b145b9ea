"""The embedding cache: vectors keyed by (model id, text hash), so no text is embedded twice.

`EmbeddingTable` is the one implementation, validated (one row per hash, finite values, one
dimension per model, little-endian float32): the project store holds one, and so does the
user's cache file (`autocode.embed.EmbeddingCache`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from autocode.store.base import StoreBase

_CHUNK = 500  # ids per IN (...) query, well under SQLite's bound-parameter limit
_FLOAT32 = np.dtype("<f4")  # stored little-endian whatever the machine
TABLE = """CREATE TABLE IF NOT EXISTS embeddings (
    model_id TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    dim INTEGER NOT NULL CHECK (dim > 0),
    vector BLOB NOT NULL CHECK (length(vector) = 4 * dim),
    PRIMARY KEY (model_id, text_hash)
) WITHOUT ROWID"""


class EmbeddingTable(StoreBase):
    def put_embeddings(
        self, model_id: str, text_hashes: Sequence[str], matrix: npt.ArrayLike
    ) -> None:
        """Cache one row of `matrix` per text hash (as float32), replacing earlier vectors.

        All vectors of one model must have the same dimension.
        """
        vectors = np.asarray(matrix)
        if vectors.ndim != 2 or vectors.shape[0] != len(text_hashes):
            raise ValueError(
                f"need one row per text hash: {len(text_hashes)} hashes, matrix {vectors.shape}"
            )
        if len(text_hashes) == 0:
            return
        dim = vectors.shape[1]
        if dim == 0:
            raise ValueError("embeddings need at least one dimension")
        if not np.all(np.isfinite(vectors)):
            raise ValueError(f"embeddings of {model_id} contain NaN or infinity")
        vectors = vectors.astype(_FLOAT32, copy=False)
        with self._transaction() as conn:
            stored = self.embedding_dim(model_id)
            if stored is not None and stored != dim:
                raise ValueError(f"embeddings of {model_id} have dimension {stored}, not {dim}")
            conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model_id, text_hash, dim, vector) "
                "VALUES (?, ?, ?, ?)",
                [
                    (model_id, text_hash, dim, row.tobytes())
                    for text_hash, row in zip(text_hashes, vectors, strict=True)
                ],
            )

    def get_embeddings(
        self, model_id: str, text_hashes: Sequence[str]
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float32]]:
        """(found mask, matrix): row i is the cached vector of text_hashes[i] where found[i].

        Rows not found are zeros. The matrix has the model's dimension, or 0 columns when
        nothing of this model is cached yet.
        """
        dim = self.embedding_dim(model_id) or 0
        found = np.zeros(len(text_hashes), dtype=bool)
        matrix = np.zeros((len(text_hashes), dim), dtype=np.float32)
        if dim == 0:
            return found, matrix
        rows_of: dict[str, list[int]] = {}
        for i, text_hash in enumerate(text_hashes):
            rows_of.setdefault(text_hash, []).append(i)
        unique = list(rows_of)
        for begin in range(0, len(unique), _CHUNK):
            chunk = unique[begin : begin + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            cursor = self._conn.execute(
                f"SELECT text_hash, vector FROM embeddings WHERE model_id = ? "
                f"AND text_hash IN ({marks})",
                [model_id, *chunk],
            )
            for text_hash, blob in cursor:
                rows = rows_of[text_hash]
                matrix[rows] = np.frombuffer(blob, dtype=_FLOAT32)
                found[rows] = True
        return found, matrix

    def embedding_dim(self, model_id: str) -> int | None:
        """The dimension of the model's cached vectors, None when none are cached."""
        row = self._conn.execute(
            "SELECT dim FROM embeddings WHERE model_id = ? LIMIT 1", (model_id,)
        ).fetchone()
        return None if row is None else int(row[0])
