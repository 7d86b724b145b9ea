"""The query strategies compared when the review queue's "active" order was chosen
(`benchmarks/review.py --select`). Each is a QueryRule of autocode.review.simulate: (probabilities
of the unlabelled pool, its vectors, labelled positives per code, seed) -> review order. Those
that order_queue can express use it; the others exist only here, for the comparison.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from autocode.review.ordering import BATCH_SIZE, farthest_first, uncertainty
from autocode.review.simulate import QueryRule, queue_rule


def _first_batch(score: np.ndarray, vectors: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """The given first batch, then the rest by descending score."""
    rest = np.argsort(-score, kind="stable")
    return np.concatenate([pick, rest[~np.isin(rest, pick)]])


def _farthest_from_top(score: np.ndarray, vectors: np.ndarray, factor: int = 3) -> np.ndarray:
    top = np.argsort(-score, kind="stable")[: BATCH_SIZE * factor]
    chosen = farthest_first(vectors[top], min(BATCH_SIZE, len(top)), None)
    return _first_batch(score, vectors, top[chosen])


def _density(vectors: np.ndarray, neighbours: int = 10) -> np.ndarray:
    """Mean cosine similarity to the nearest unlabelled units: low for outliers."""
    similarity = vectors @ vectors.T
    k = min(neighbours, len(vectors) - 1)
    if k < 1:
        return np.ones(len(vectors))
    return np.clip(np.sort(similarity, axis=1)[:, -k - 1 : -1].mean(axis=1), 1e-3, None)


def _entropy(proba: np.ndarray) -> np.ndarray:
    p = np.clip(proba, 1e-12, 1 - 1e-12)
    return -(p * np.log(p) + (1 - p) * np.log(1 - p)).sum(axis=1)


def _kmeans_batch(score: np.ndarray, vectors: np.ndarray, seed: int) -> np.ndarray:
    """Cluster the pool into a batch's worth of clusters; the most uncertain unit of each."""
    if len(score) <= BATCH_SIZE:
        return np.argsort(-score, kind="stable")
    clusters = KMeans(BATCH_SIZE, n_init=1, random_state=seed % (2**31)).fit_predict(vectors)
    pick = [np.flatnonzero(clusters == c) for c in range(BATCH_SIZE)]
    pick = np.array([members[np.argmax(score[members])] for members in pick if len(members)])
    return _first_batch(score, vectors, pick)


def _rarity_positive(proba: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Expected new positives, each code weighted by 1/sqrt(1 + its labelled positives)."""
    return (proba / np.sqrt(1.0 + counts)).sum(axis=1)


def _half_random(rule: QueryRule) -> QueryRule:
    def mixed(proba: np.ndarray, vectors: np.ndarray, counts: np.ndarray, seed: int) -> np.ndarray:
        active = rule(proba, vectors, counts, seed)[: BATCH_SIZE // 2]
        shuffled = np.random.default_rng(seed).permutation(len(proba))
        return np.concatenate([active, shuffled[~np.isin(shuffled, active)]])

    return mixed


def _plain(**options: object) -> QueryRule:
    """order_queue's active order without the rarity weights."""
    rule = queue_rule("active", **options)
    return lambda proba, vectors, counts, seed: rule(proba, vectors, None, seed)


CANDIDATES: dict[str, tuple[str, QueryRule]] = {
    "margin": (
        "plain margin, the 10 most uncertain (no diversity, no rarity weights)",
        _plain(candidates_per_pick=1),
    ),
    "margin_farthest3": (
        "plain margin, batch farthest-first from the 30 most uncertain",
        _plain(candidates_per_pick=3),
    ),
    "margin_kmeans": (
        "plain margin, the most uncertain unit of each of 10 k-means clusters of the pool",
        lambda p, v, c, s: _kmeans_batch(uncertainty(p), v, s),
    ),
    "margin_density_farthest3": (
        "plain margin times density (mean similarity to the 10 nearest), farthest-first of 30",
        lambda p, v, c, s: _farthest_from_top(uncertainty(p) * _density(v), v),
    ),
    "entropy_farthest3": (
        "summed binary entropy over codes, farthest-first of 30",
        lambda p, v, c, s: _farthest_from_top(_entropy(p), v),
    ),
    "rare_positive_farthest3": (
        "rarity-weighted expected positives, farthest-first of 30",
        lambda p, v, c, s: _farthest_from_top(_rarity_positive(p, c), v),
    ),
    "rare_margin": (
        "rarity-weighted margin, the 10 most uncertain",
        queue_rule("active", candidates_per_pick=1),
    ),
    "rare_margin_farthest2": (
        "rarity-weighted margin, farthest-first from the 20 most uncertain (order_queue default)",
        queue_rule("active", candidates_per_pick=2),
    ),
    "rare_margin_farthest3": (
        "rarity-weighted margin, farthest-first from the 30 most uncertain",
        queue_rule("active", candidates_per_pick=3),
    ),
    "rare_margin_farthest5": (
        "rarity-weighted margin, farthest-first from the 50 most uncertain",
        queue_rule("active", candidates_per_pick=5),
    ),
    "rare_margin_kmeans": (
        "rarity-weighted margin, the most uncertain unit of each of 10 k-means clusters",
        lambda p, v, c, s: _kmeans_batch(uncertainty(p, c), v, s),
    ),
    "rare_margin_half_random": (
        "5 by the order_queue default, 5 at random",
        _half_random(queue_rule("active")),
    ),
}
