"""The order in which the review queue shows unreviewed units.

- "corpus" (default): the units whose current codes are most likely wrong first, each weighed by
  what its errors cost the finished corpus's macro kappa (`autocode.reliability.error_cost`,
  from calibrated probabilities; rare codes count more), taken in batches spread out in
  embedding space like "active". The review's blind audit cards are drawn beside this order.
- "active": the units the model is least sure about first, taken in batches that are
  spread out in embedding space, so the reviewer does not see near-identical units back to back
  and each batch of decisions teaches the model something different. A unit's uncertainty is
  its largest rarity-weighted margin score over the codes: 1 - 2|p - 0.5| (1 on the code's
  decision boundary), divided by sqrt(1 + the code's labelled positives), so that codes with few
  examples yet are asked about first. Each batch is picked farthest-first (in cosine distance)
  from the twice-as-many most uncertain units left. Chosen on the benchmark's pool-internal
  splits, never on its evaluation data (benchmarks/review.py, "strategy_selection").
- "confident": the most confident suggestions first, for fast bulk acceptance.
- "transcript": the order the caller passed (transcript order).
"""

from __future__ import annotations

import numpy as np

STRATEGIES: tuple[str, ...] = ("corpus", "active", "confident", "transcript")
BATCH_SIZE = 10  # the app retrains after this many decisions
NEAR_DUPLICATE = 0.05  # cosine distance under which two units count as near-identical
CANDIDATES_PER_PICK = 2  # each batch is picked from this many times its size of uncertain units


def order_queue(
    proba: np.ndarray,
    vectors: np.ndarray,
    strategy: str = "active",
    *,
    seed: int = 0,
    batch_size: int = BATCH_SIZE,
    label_counts: np.ndarray | None = None,
    candidates_per_pick: int = CANDIDATES_PER_PICK,
    cost: np.ndarray | None = None,
) -> np.ndarray:
    """A permutation of range(n): the review order of n unreviewed units, given the current
    model's code probabilities `proba` (n x k) and the units' embeddings `vectors` (n x d).
    `label_counts` (k): positives per code in the data the model was trained on (None: every
    code weighs the same). `cost` (n): each unit's expected cost to the corpus ("corpus" order;
    without it, "corpus" falls back to "active"). Deterministic for a given seed."""
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
    if strategy == "corpus" and cost is not None:
        score = np.asarray(cost, dtype=np.float64)
        if score.shape != (n,):
            raise ValueError(f"cost must have shape ({n},), got {score.shape}")
    else:
        score = uncertainty(p, label_counts)
    pool_size = max(1, batch_size) * max(1, candidates_per_pick)
    return _diverse_uncertain(score, x, batch_size, pool_size, np.random.default_rng(seed))


def uncertainty(proba: np.ndarray, label_counts: np.ndarray | None = None) -> np.ndarray:
    """Per unit: max over codes of (1 - 2|p - 0.5|) / sqrt(1 + labelled positives of the code);
    without counts, 1 at the decision boundary of some code, 0 when every code is certain."""
    margin_score = 1.0 - 2.0 * np.abs(proba - 0.5)
    if label_counts is not None:
        counts = np.asarray(label_counts, dtype=np.float64)
        if counts.shape != (proba.shape[1],):
            raise ValueError(
                f"label_counts must have shape ({proba.shape[1]},), got {counts.shape}"
            )
        margin_score = margin_score / np.sqrt(1.0 + np.clip(counts, 0, None))
    return margin_score.max(axis=1)


def _diverse_uncertain(
    score: np.ndarray,
    vectors: np.ndarray,
    batch_size: int,
    pool_size: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Batches of `batch_size`, each picked greedily (farthest first) from the `pool_size` most
    uncertain remaining units, starting from the most uncertain one; ties broken by a seeded
    shuffle."""
    n = len(score)
    remaining = np.lexsort((rng.permutation(n), -score))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms > 0, norms, 1.0)
    order: list[np.ndarray] = []
    previous: np.ndarray | None = None
    while len(remaining):
        candidates = remaining[:pool_size]
        chosen = farthest_first(unit[candidates], min(batch_size, len(candidates)), previous)
        order.append(candidates[chosen])
        previous = unit[candidates[chosen[-1]]]
        keep = np.ones(len(remaining), dtype=bool)
        keep[chosen] = False
        remaining = remaining[keep]
    return np.concatenate(order).astype(int)


def farthest_first(unit: np.ndarray, count: int, previous: np.ndarray | None) -> list[int]:
    """Indices of `count` rows (in order of uncertainty): the first row not a near-duplicate of
    the unit shown just before (`previous`), then each time the row farthest (in cosine
    distance) from all rows chosen so far."""
    first = 0
    if previous is not None:
        apart = np.flatnonzero(1.0 - unit @ previous >= NEAR_DUPLICATE)
        first = int(apart[0]) if len(apart) else int(np.argmin(unit @ previous))
    chosen = [first]
    distance = 1.0 - unit @ unit[first]
    while len(chosen) < count:
        distance[chosen] = -np.inf
        pick = int(np.argmax(distance))
        chosen.append(pick)
        distance = np.minimum(distance, 1.0 - unit @ unit[pick])
    return chosen
