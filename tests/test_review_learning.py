"""The review loop's learner and queue order, on the seed corpus's real embeddings."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from autocode.corpus import load_corpus
from autocode.embed import Embedder
from autocode.review.learner import ReviewLearner, plateau_hint
from autocode.review.ordering import STRATEGIES, order_queue
from autocode.review.simulate import full_pool_kappa, labels_to_reach, macro_kappa, simulate_review

SEED_CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "seed"


@pytest.fixture(scope="module")
def seed_units() -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Vectors, 0/1 theme labels, theme ids and participants of the seed corpus's coded units."""
    corpus = load_corpus(SEED_CORPUS)
    texts, labels, participants = corpus.theme_examples()
    vectors = Embedder().encode(texts)
    return vectors, labels.to_numpy(dtype=int), list(labels.columns), participants


def three_per_code(labels: np.ndarray) -> np.ndarray:
    rows: list[int] = []
    for j in range(labels.shape[1]):
        rows += [int(i) for i in np.flatnonzero(labels[:, j]) if i not in rows][:3]
    return np.array(rows)


def test_learner_from_three_examples_per_code_beats_chance(seed_units) -> None:
    vectors, labels, codes, _ = seed_units
    start = three_per_code(labels)
    learner = ReviewLearner(codes).fit(vectors[start], labels[start])
    rest = np.setdiff1d(np.arange(len(labels)), start)
    proba = learner.predict_proba(vectors[rest])
    assert proba.shape == (len(rest), len(codes))
    hits = labels[rest, proba.argmax(axis=1)].mean()
    assert hits > 1.5 / len(codes), hits  # well above picking a theme at random
    suggestions = learner.suggest(vectors[rest[:5]])
    assert all(set(s) <= set(codes) for s in suggestions)


def test_learner_with_a_new_code_and_no_code_rows(seed_units) -> None:
    vectors, labels, codes, _ = seed_units
    start = three_per_code(labels)[:5]
    y = np.hstack([labels[start], np.zeros((len(start), 1), dtype=int)])
    y[0] = 0  # "no code applies"
    y[1, -1] = 1  # the new code's single example, with its old codes
    learner = ReviewLearner([*codes, "NEW"]).fit(vectors[start], y)
    proba = learner.predict_proba(vectors)
    assert np.isfinite(proba).all() and proba.shape == (len(vectors), len(codes) + 1)
    absent = [j for j in range(len(codes)) if y[:, j].sum() == 0]
    assert absent and (proba[:, absent] < 0.01).all()  # codes with no example are not suggested
    assert proba[start[1], -1] > proba[start[0], -1]
    empty = ReviewLearner(codes).fit(np.zeros((0, vectors.shape[1])), np.zeros((0, len(codes))))
    assert (empty.predict_proba(vectors[:2]) < 0.01).all()


def test_cross_validated_kappa_reports_each_code(seed_units) -> None:
    vectors, labels, codes, participants = seed_units
    result = ReviewLearner(codes).cross_validated_kappa(vectors, labels, groups=participants)
    assert list(result) == codes
    assert all(r["n"] == len(labels) for r in result.values())
    assert [r["n_positive"] for r in result.values()] == labels.sum(axis=0).tolist()
    kappas = [r["kappa"] for r in result.values() if r["kappa"] is not None]
    assert kappas and np.mean(kappas) > 0.2
    few = ReviewLearner(codes).cross_validated_kappa(vectors[:3], labels[:3])
    assert all(r["kappa"] is None for r in few.values())


def test_plateau_hint() -> None:
    assert "Too few" in plateau_hint([0.3, 0.4])
    assert "unlikely" in plateau_hint([0.2, 0.45, 0.46, 0.455, 0.46])
    assert "still" in plateau_hint([0.2, 0.3, 0.4, 0.5])


def test_orders_are_permutations_and_deterministic(seed_units) -> None:
    vectors, labels, codes, _ = seed_units
    start = three_per_code(labels)
    proba = ReviewLearner(codes).fit(vectors[start], labels[start]).predict_proba(vectors)
    n = len(vectors)
    for strategy in STRATEGIES:
        order = order_queue(proba, vectors, strategy, seed=1)
        assert sorted(order.tolist()) == list(range(n)), strategy
        assert np.array_equal(order, order_queue(proba, vectors, strategy, seed=1))
    assert order_queue(proba, vectors, "transcript").tolist() == list(range(n))
    confident = order_queue(proba, vectors, "confident")
    assert proba[confident[0]].max() == proba.max()
    with pytest.raises(ValueError, match="strategy"):
        order_queue(proba, vectors, "alphabetical")
    assert len(order_queue(proba[:0], vectors[:0])) == 0


def test_active_order_asks_uncertain_units_and_spreads_them(seed_units) -> None:
    vectors, labels, codes, _ = seed_units
    start = three_per_code(labels)
    proba = ReviewLearner(codes).fit(vectors[start], labels[start]).predict_proba(vectors)
    margin = np.abs(proba - 0.5).min(axis=1)
    first = order_queue(proba, vectors, "active")[:10]
    assert margin[first].mean() < np.median(margin)
    twins = np.vstack([vectors, vectors])  # every unit twice: a twin never follows its twin
    order = order_queue(np.vstack([proba, proba]), twins, "active")[: len(vectors)]
    assert not any(abs(int(a) - int(b)) == len(vectors) for a, b in pairwise(order))


def test_active_order_asks_first_about_codes_with_few_examples(seed_units) -> None:
    vectors, _, _, _ = seed_units
    proba = np.full((len(vectors), 2), 0.05)
    proba[:20, 0] = 0.5  # on the boundary of a well-known code
    proba[20:40, 1] = 0.3  # less uncertain, but about a code with one example
    plain = order_queue(proba, vectors, "active")[:10]
    rare_first = order_queue(proba, vectors, "active", label_counts=np.array([40, 1]))[:10]
    assert (plain < 20).all() and ((rare_first >= 20) & (rare_first < 40)).all()
    with pytest.raises(ValueError, match="label_counts"):
        order_queue(proba, vectors, "active", label_counts=np.array([1, 2, 3]))


def test_simulated_review_curve(seed_units) -> None:
    vectors, labels, codes, participants = seed_units
    held = np.array([int(p.lstrip("P")) % 3 == 0 for p in participants])
    split = (vectors[~held], labels[~held], vectors[held], labels[held], codes)
    curve = simulate_review(*split, "active", seed=1, max_labels=45)
    assert curve.labels == [15, 25, 35, 45]  # 3 distinct examples per code, then batches of 10
    assert all(-1 <= k <= 1 for k in curve.kappa)
    assert simulate_review(*split, "active", seed=1, max_labels=45) == curve
    assert simulate_review(*split, "random", seed=1, max_labels=45).labels == curve.labels
    full = simulate_review(*split, "random", seed=2)
    assert full.labels[-1] == int((~held).sum())
    assert full.kappa[-1] == pytest.approx(full_pool_kappa(*split), abs=0.02)
    assert labels_to_reach(curve.labels, curve.kappa, -2.0) == 15
    assert labels_to_reach(curve.labels, curve.kappa, 2.0) is None
    assert macro_kappa(labels, labels) == 1.0
