"""Evidence for a suggestion: the hand-coded excerpts nearest in meaning to a unit.

A theme suggestion is only as good as what it rests on. Showing the researcher the most similar
excerpts the human coders themselves coded (with their themes) lets them judge each suggestion
instead of trusting a number. Similarity is the cosine of the embeddings (vectors from the same
embedder the classifier uses). Ties are broken by excerpt order, so results are deterministic.
The excerpts come from the model folder itself (`ThemeClassifier.excerpts_`), or from a corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from autocode.classify import ModelExcerpt
from autocode.embed import Embedder
from autocode.numeric import unit_rows


@dataclass(frozen=True)
class Excerpt:
    """One hand-coded excerpt of the training corpus and how similar it is to a unit."""

    excerpt_id: str
    participant: str
    themes: tuple[str, ...]
    text: str
    similarity: float
    source: str = ""


class EvidenceIndex:
    """Hand-coded excerpts with their vectors, searchable by cosine similarity."""

    def __init__(
        self,
        excerpt_ids: Sequence[str],
        participants: Sequence[str],
        themes: Sequence[Sequence[str]],
        texts: Sequence[str],
        vectors: np.ndarray,
        sources: Sequence[str] | None = None,
    ) -> None:
        self.excerpt_ids = list(excerpt_ids)
        self.sources = list(sources) if sources is not None else [""] * len(self.excerpt_ids)
        self.participants = list(participants)
        self.themes = [tuple(row) for row in themes]
        self.texts = list(texts)
        matrix = np.asarray(vectors, dtype=np.float32)
        if not len(self.excerpt_ids) == len(self.participants) == len(self.themes) == len(
            self.texts
        ) == len(self.sources) or matrix.shape[0] != len(self.texts):
            raise ValueError("evidence index: ids, participants, themes, texts and vectors differ")
        self.vectors = unit_rows(matrix)

    def __len__(self) -> int:
        return len(self.texts)

    @classmethod
    def from_excerpts(cls, excerpts: Sequence[ModelExcerpt], embedder: Embedder) -> EvidenceIndex:
        """The excerpts a model carries (`ThemeClassifier.excerpts_`), embedded."""
        texts = [excerpt.text for excerpt in excerpts]
        return cls(
            excerpt_ids=[excerpt.excerpt_id for excerpt in excerpts],
            participants=[excerpt.participant for excerpt in excerpts],
            themes=[excerpt.codes for excerpt in excerpts],
            texts=texts,
            vectors=embedder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32),
            sources=[excerpt.source for excerpt in excerpts],
        )

    def nearest(self, vectors: np.ndarray, k: int = 1) -> list[list[Excerpt]]:
        """The `k` most similar excerpts for each row of `vectors`, most similar first."""
        queries = np.asarray(vectors, dtype=np.float32)
        if not len(self) or not len(queries) or k < 1:
            return [[] for _ in range(len(queries))]
        k = min(k, len(self))
        queries = unit_rows(queries)
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
            source=self.sources[position],
        )
