"""Is a text like anything the classifier was trained on? A gate before assigning a theme.

A classifier trained only on excerpts that each have a theme has never seen off-topic talk, and
its softmax still spreads all probability over the themes. The gate compares a text with the
centroid of each theme's training examples: a text whose cosine similarity to every centroid is
below `tau` is "out of domain" and gets no theme. `tau` comes from the training data itself: the
`quantile` of held-out examples' similarity to their nearest centroid, where the centroids are
computed without the example's own group (participant), so it reflects new participants' speech.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def theme_centroids(vectors: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Unit-length mean vector of each theme's examples (a zero row for a theme with none)."""
    sums = targets.T.astype(np.float64) @ vectors
    return _normalise(sums)


def nearest_centroid_similarity(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Cosine similarity of each (unit-length) vector to its most similar centroid."""
    if len(vectors) == 0:
        return np.zeros(0)
    return (np.asarray(vectors, dtype=np.float64) @ centroids.T).max(axis=1)


def novelty_threshold(
    vectors: np.ndarray, targets: np.ndarray, groups: Sequence[str] | None, quantile: float
) -> float:
    """The `quantile` of held-out similarities to the nearest centroid of the other groups."""
    labelled = targets.sum(axis=1) > 0
    vectors, targets = vectors[labelled], targets[labelled]
    if groups is None:
        keys = np.arange(len(vectors)).astype(str)
    else:
        keys = np.asarray(groups, dtype=object)[labelled]
    similarities = []
    for key in dict.fromkeys(keys):
        held_out = keys == key
        centroids = theme_centroids(vectors[~held_out], targets[~held_out])
        similarities.append(nearest_centroid_similarity(vectors[held_out], centroids))
    pooled = np.concatenate(similarities) if similarities else np.zeros(1)
    return float(np.quantile(pooled, quantile))


def in_domain(vectors: np.ndarray, centroids: np.ndarray, tau: float) -> np.ndarray:
    """True where a text is at least `tau` similar to some theme centroid."""
    return nearest_centroid_similarity(vectors, centroids) >= tau
