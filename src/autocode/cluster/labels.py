"""Phrase labels of candidate codes: candidate phrases from the code's own units, scored by
embedding similarity to the code's centroid and diversified by maximal marginal relevance.

Candidates are the n-grams (1 to 3 words) of the units' content words as `autocode.cluster.keywords`
tokenises them: stop words, fillers and placeholders ("XXXX", "[redacted]") are gaps that no
phrase spans, so no label is made of them. The `candidates` phrases of a code with the highest
c-TF-IDF (occurring in at least two of its units where possible) are embedded (this bounds the
time: 30 short phrases per code) and ranked by cosine similarity to the code's centroid; MMR
(Carbonell & Goldstein 1998, as KeyBERT and BERTopic use it) then picks each next phrase by
    (1 - diversity) * similarity to the centroid - diversity * max similarity to those chosen,
so "data quality" is not followed by "quality of data". The label is the first phrase; the
others are shown beside the keywords. Without an embedder the c-TF-IDF order is used.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Protocol

import numpy as np

from autocode.cluster.keywords import class_tfidf
from autocode.numeric import unit_rows


class TextEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


def phrases(words: Sequence[str | None], longest: int = 3) -> list[str]:
    """The n-grams (n = 1..longest) of adjacent content words of one text, no word repeated."""
    found = []
    for n in range(1, longest + 1):
        for start in range(len(words) - n + 1):
            window = words[start : start + n]
            if all(window) and len(set(window)) == n:
                found.append(" ".join(window))  # type: ignore[arg-type]
    return found


def candidate_phrases(
    token_lists: Sequence[Sequence[str | None]],
    groups: Sequence[Hashable],
    *,
    top: int,
    exclude: Sequence[Hashable] = (),
) -> dict[Hashable, list[str]]:
    """The `top` phrases of each group by c-TF-IDF, best first."""
    scored = class_tfidf(
        [phrases(words) for words in token_lists], list(groups), top=top, exclude=exclude
    )
    return {group: [phrase for phrase, _ in found] for group, found in scored.items()}


def mmr(candidates: np.ndarray, target: np.ndarray, count: int, diversity: float) -> list[int]:
    """Indices of `count` rows of `candidates` by maximal marginal relevance to `target`."""
    if not len(candidates):
        return []
    relevance = candidates @ target
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(count, len(candidates)):
        redundancy = (candidates @ candidates[chosen].T).max(axis=1)
        score = (1 - diversity) * relevance - diversity * redundancy
        score[chosen] = -np.inf
        chosen.append(int(np.argmax(score)))
    return chosen


def _centred(vectors: np.ndarray, background: np.ndarray | None) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float64)
    if background is not None:
        matrix = matrix - background
    return unit_rows(matrix)


def phrase_labels(
    candidates: Sequence[Sequence[str]],
    centroids: np.ndarray,
    *,
    encoder: TextEncoder | None,
    background: np.ndarray | None = None,
    count: int = 3,
    diversity: float = 0.3,
) -> list[tuple[str, ...]]:
    """Up to `count` phrases per centroid from its candidates (best first), by MMR.

    `background` (the mean vector of all units) is subtracted from phrases and centroids
    before comparing them, so what every code shares ("model", "data" in interviews about ML)
    does not make the label. A phrase already the label of an earlier code is not chosen first.
    """
    if encoder is None:
        return _distinct_first([list(found[:count]) for found in candidates])
    distinct = sorted({phrase for found in candidates for phrase in found})
    if not distinct:
        return [() for _ in candidates]
    vectors = _centred(encoder.encode(distinct), background)
    targets = _centred(centroids, background)
    row = {phrase: k for k, phrase in enumerate(distinct)}
    labels = []
    for found, target in zip(candidates, targets, strict=True):
        rows = vectors[[row[phrase] for phrase in found]] if found else np.zeros((0, 1))
        picked = mmr(rows, target, len(found), diversity)
        labels.append([found[k] for k in picked])
    return [tuple(found[:count]) for found in _distinct_first(labels)]


def _distinct_first(ranked: list[list[str]]) -> list[tuple[str, ...]]:
    """Each list with its first phrase not used as an earlier list's first, where it has one."""
    used: set[str] = set()
    result = []
    for found in ranked:
        first = next((k for k, phrase in enumerate(found) if phrase not in used), 0)
        ordered = [found[first], *found[:first], *found[first + 1 :]] if found else []
        used.update(ordered[:1])
        result.append(tuple(ordered))
    return result
