"""Evidence for a suggestion: the hand-coded excerpts nearest in meaning to a unit.

A theme suggestion is only as good as what it rests on. Showing the researcher the most similar
excerpts the human coders themselves coded (with their themes) lets them judge each suggestion
instead of trusting a number. Similarity is the cosine of the embeddings (vectors from the same
embedder the classifier uses). Ties are broken by corpus order, so results are deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from autocode.corpus import Corpus, split_ids
from autocode.embed import Embedder


@dataclass(frozen=True)
class Excerpt:
    """One hand-coded excerpt of the training corpus and how similar it is to a unit."""

    excerpt_id: str
    participant: str
    themes: tuple[str, ...]
    text: str
    similarity: float


class EvidenceIndex:
    """The hand-coded excerpts of a corpus with their vectors, searchable by cosine similarity."""

    def __init__(
        self,
        excerpt_ids: Sequence[str],
        participants: Sequence[str],
        themes: Sequence[Sequence[str]],
        texts: Sequence[str],
        vectors: np.ndarray,
    ) -> None:
        self.excerpt_ids = list(excerpt_ids)
        self.participants = list(participants)
        self.themes = [tuple(row) for row in themes]
        self.texts = list(texts)
        matrix = np.asarray(vectors, dtype=np.float32)
        if not len(self.excerpt_ids) == len(self.participants) == len(self.themes) == len(
            self.texts
        ) or matrix.shape[0] != len(self.texts):
            raise ValueError("evidence index: ids, participants, themes, texts and vectors differ")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True) if matrix.size else 1.0
        self.vectors = matrix / np.maximum(norms, 1e-12)

    def __len__(self) -> int:
        return len(self.texts)

    @classmethod
    def from_corpus(cls, corpus: Corpus, embedder: Embedder) -> EvidenceIndex:
        """The corpus's distinct utterances that carry a theme (what a classifier trains on)."""
        rows = corpus.utterances()
        rows = rows[rows["themes"] != ""]
        return cls(
            excerpt_ids=list(rows["excerpt_id"]),
            participants=list(rows["participant"]),
            themes=[split_ids(cell) for cell in rows["themes"]],
            texts=list(rows["text"]),
            vectors=embedder.encode(list(rows["text"])),
        )

    def nearest(self, vectors: np.ndarray, k: int = 1) -> list[list[Excerpt]]:
        """The `k` most similar excerpts for each row of `vectors`, most similar first."""
        queries = np.asarray(vectors, dtype=np.float32)
        if not len(self) or not len(queries) or k < 1:
            return [[] for _ in range(len(queries))]
        k = min(k, len(self))
        norms = np.linalg.norm(queries, axis=1, keepdims=True)
        queries = queries / np.maximum(norms, 1e-12)
        result: list[list[Excerpt]] = []
        step = max(1, 2**22 // len(self))  # bounds the similarity block's memory
        for first in range(0, len(queries), step):
            similarity = queries[first : first + step] @ self.vectors.T
            order = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
            for row, columns in zip(similarity, order, strict=True):
                result.append([self._excerpt(int(j), float(row[j])) for j in columns])
        return result

    def _excerpt(self, position: int, similarity: float) -> Excerpt:
        return Excerpt(
            excerpt_id=self.excerpt_ids[position],
            participant=self.participants[position],
            themes=self.themes[position],
            text=self.texts[position],
            similarity=round(similarity, 4),
        )
