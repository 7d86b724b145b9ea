"""The order in which the review queue shows unreviewed units.

- "active" (default): the units the model is least sure about first (the smallest margin between
  a code's probability and the 0.5 decision boundary, over all codes), taken in batches that are
  spread out in embedding space, so the reviewer does not see near-identical units back to back
  and each batch of decisions teaches the model something different.
- "confident": the most confident suggestions first, for fast bulk acceptance.
- "transcript": the order the caller passed (transcript order).
"""

from __future__ import annotations

import numpy as np

STRATEGIES: tuple[str, ...] = ("active", "confident", "transcript")
BATCH_SIZE = 10  # the app retrains after this many decisions
CANDIDATES_PER_PICK = 3  # each batch is picked from this many times its size of uncertain units


def order_queue(
    proba: np.ndarray,
    vectors: np.ndarray,
    strategy: str = "active",
    *,
    seed: int = 0,
    batch_size: int = BATCH_SIZE,
) -> np.ndarray:
    """A permutation of range(n): the review order of n unreviewed units, given the current
    model's code probabilities `proba` (n x k) and the units' embeddings `vectors` (n x d).
    Deterministic for a given seed."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    p = np.asarray(proba, dtype=np.float64)
    n = len(p)
    if p.ndim != 2:
        raise ValueError(f"proba must be a 2-d array, got shape {p.shape}")
    if strategy == "transcript" or n == 0 or p.shape[1] == 0:
        return np.arange(n)
    if strategy == "confident":
        return np.lexsort((np.arange(n), -p.max(axis=1)))
    x = np.asarray(vectors, dtype=np.float64)
    if x.shape[0] != n:
        raise ValueError(f"vectors has {x.shape[0]} rows, proba has {n}")
    return _diverse_uncertain(uncertainty(p), x, batch_size, np.random.default_rng(seed))


def uncertainty(proba: np.ndarray) -> np.ndarray:
    """1 at the decision boundary of some code, 0 when every code is certainly 0 or 1."""
    return 1.0 - 2.0 * np.abs(proba - 0.5).min(axis=1)


def _diverse_uncertain(
    score: np.ndarray, vectors: np.ndarray, batch_size: int, rng: np.random.Generator
) -> np.ndarray:
    """Batches of `batch_size`, each picked greedily (farthest first) from the most uncertain
    remaining units, starting from the most uncertain one; ties broken by a seeded shuffle."""
    n = len(score)
    remaining = np.lexsort((rng.permutation(n), -score))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms > 0, norms, 1.0)
    order: list[np.ndarray] = []
    pool_size = max(1, batch_size) * CANDIDATES_PER_PICK
    while len(remaining):
        candidates = remaining[:pool_size]
        chosen = _farthest_first(unit[candidates], min(batch_size, len(candidates)))
        order.append(candidates[chosen])
        keep = np.ones(len(remaining), dtype=bool)
        keep[chosen] = False
        remaining = remaining[keep]
    return np.concatenate(order).astype(int)


def _farthest_first(unit: np.ndarray, count: int) -> list[int]:
    """Indices of `count` rows: the first row, then each time the row farthest (in cosine
    distance) from all rows chosen so far."""
    chosen = [0]
    distance = 1.0 - unit @ unit[0]
    while len(chosen) < count:
        distance[chosen] = -np.inf
        pick = int(np.argmax(distance))
        chosen.append(pick)
        distance = np.minimum(distance, 1.0 - unit @ unit[pick])
    return chosen
