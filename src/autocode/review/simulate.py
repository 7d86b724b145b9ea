"""Label efficiency of the review loop, by simulation: an oracle answers every card with the
human coding of the unit, the learner retrains after each batch of decisions, and agreement
(macro Cohen's kappa over the codes) is measured on held-out units the loop never shows.

The loop starts from a few hand-coded examples per code (the same ones for every order with a
given seed), then shows the pool's units in the order under test: the review queue's own
`order_queue` (re-ranked after every retrain, as the app does) or a random order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from autocode.bootstrap import macro_kappa
from autocode.review.learner import ReviewLearner
from autocode.review.ordering import order_queue

START_PER_CODE = 3
BATCH_SIZE = 10
RANDOM = "random"

# (proba, vectors, labelled label counts per code, seed) -> review order of the unlabelled units
QueryRule = Callable[[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]


@dataclass
class LearningCurve:
    """Macro kappa on the held-out units after each retrain, against the labels used so far."""

    labels: list[int]
    kappa: list[float]


def start_examples(labels: np.ndarray, per_code: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices of `per_code` distinct randomly chosen positives for every code (fewer for a
    code with fewer positives left): always the same number of rows, so curves of different
    seeds share their label counts."""
    chosen: list[int] = []
    for j in range(labels.shape[1]):
        positives = [int(i) for i in rng.permutation(np.flatnonzero(labels[:, j]))]
        chosen += [i for i in positives if i not in chosen][:per_code]
    return np.array(sorted(chosen), dtype=int)


def queue_rule(strategy: str = "active", **options: object) -> QueryRule:
    """The review queue's own order (`order_queue`) as a query rule."""

    def rule(proba: np.ndarray, vectors: np.ndarray, counts: np.ndarray, seed: int) -> np.ndarray:
        return order_queue(proba, vectors, strategy, seed=seed, label_counts=counts, **options)

    return rule


def random_rule(
    proba: np.ndarray, vectors: np.ndarray, counts: np.ndarray, seed: int
) -> np.ndarray:
    return np.random.default_rng(seed).permutation(len(proba))


def simulate_review(
    pool_vectors: np.ndarray,
    pool_labels: np.ndarray,
    eval_vectors: np.ndarray,
    eval_labels: np.ndarray,
    code_ids: list[str],
    rule: QueryRule | str = "active",
    *,
    seed: int = 0,
    start_per_code: int = START_PER_CODE,
    batch_size: int = BATCH_SIZE,
    max_labels: int | None = None,
) -> LearningCurve:
    """Run the review loop over the pool with an oracle and return its learning curve: one point
    after the start examples and one after each batch, up to `max_labels` (default the pool).
    `rule` is a QueryRule, "random", or a strategy name of `order_queue`."""
    if isinstance(rule, str):
        rule = random_rule if rule == RANDOM else queue_rule(rule)
    y_pool = np.asarray(pool_labels) > 0.5
    y_eval = np.asarray(eval_labels) > 0.5
    rng = np.random.default_rng(seed)
    labelled = start_examples(y_pool, start_per_code, rng)
    limit = len(y_pool) if max_labels is None else min(max_labels, len(y_pool))
    curve = LearningCurve([], [])
    step = 0
    while True:
        learner = ReviewLearner(list(code_ids), seed=seed)
        learner.fit(pool_vectors[labelled], y_pool[labelled])
        predicted = learner.predict_proba(eval_vectors) >= learner.threshold
        curve.labels.append(len(labelled))
        curve.kappa.append(macro_kappa(y_eval, predicted))
        unlabelled = np.setdiff1d(np.arange(len(y_pool)), labelled)
        if len(labelled) >= limit or len(unlabelled) == 0:
            return curve
        proba = learner.predict_proba(pool_vectors[unlabelled])
        counts = y_pool[labelled].sum(axis=0)
        order = rule(proba, pool_vectors[unlabelled], counts, seed * 100_003 + step)
        take = min(batch_size, limit - len(labelled))
        labelled = np.concatenate([labelled, unlabelled[order[:take]]])
        step += 1


def full_pool_kappa(
    pool_vectors: np.ndarray,
    pool_labels: np.ndarray,
    eval_vectors: np.ndarray,
    eval_labels: np.ndarray,
    code_ids: list[str],
    seed: int = 0,
) -> float:
    """Held-out macro kappa of the learner trained on the whole pool."""
    learner = ReviewLearner(list(code_ids), seed=seed).fit(pool_vectors, pool_labels)
    predicted = learner.predict_proba(eval_vectors) >= learner.threshold
    return macro_kappa(np.asarray(eval_labels) > 0.5, predicted)


def labels_to_reach(curve_labels: list[int], mean_kappa: list[float], target: float) -> int | None:
    """The first label count whose mean kappa reaches `target`, or None."""
    for count, value in zip(curve_labels, mean_kappa, strict=True):
        if value >= target:
            return count
    return None
