"""Retraining in the background: a new model version from the reviewer's decisions.

The session hands a `TrainingJob` (a snapshot: training rows, labels, the fresh units to order)
to the `Retrainer`, which fits the corpus model (autocode.review.corpus_model) in a daemon
thread, scores every unit, orders the fresh ones, estimates the finished corpus's agreement with
the reviewer and measures the model's cross-validated agreement with the reviewer. The session
takes the result at its next call; nothing the reviewer does ever waits for a job.

Agreement with the reviewer: the reviewer's labelled units are split into folds (by transcript
when there are several), and each fold is predicted by a learner trained on the model's
hand-coded excerpts plus the other folds' decisions, as the live model is trained.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import GroupKFold, KFold
from threadpoolctl import threadpool_limits

from autocode.classify import ModelExcerpt
from autocode.reliability import CorpusEstimate
from autocode.reliability.estimate import DEFAULT_TARGET
from autocode.review.corpus_model import corpus_estimate, fit_corpus_model
from autocode.review.learner import ReviewLearner
from autocode.review.ordering import order_queue
from autocode.review.pool import UnitPool
from autocode.review.scoring import Scores, corpus_scores
from autocode.review.state import ReviewState

MAX_FOLDS = 5
MIN_ROWS_FOR_KAPPA = 10


@dataclass(frozen=True)
class TrainingJob:
    number: int
    version: str
    code_ids: list[str]
    base_vectors: np.ndarray  # the model's hand-coded excerpts
    base_labels: np.ndarray
    review_positions: np.ndarray  # pool positions of the reviewer's labelled units
    review_labels: np.ndarray
    groups: np.ndarray  # transcript of each labelled unit
    fresh: np.ndarray  # pool positions to order
    strategy: str
    seed: int
    audited: np.ndarray | None = None  # which labelled units were blind audit cards
    target: float = DEFAULT_TARGET

    @property
    def label_counts(self) -> np.ndarray:
        return label_counts(self.base_labels, self.review_labels)


def excerpt_labels(excerpts: Sequence[ModelExcerpt], code_ids: list[str]) -> np.ndarray:
    """0/1 rows over `code_ids` of the model's hand-coded excerpts (the learner's base rows)."""
    column = {code_id: j for j, code_id in enumerate(code_ids)}
    labels = np.zeros((len(excerpts), len(code_ids)))
    for row, excerpt in enumerate(excerpts):
        for code in excerpt.codes:
            if code in column:
                labels[row, column[code]] = 1.0
    return labels


def job_from_state(
    state: ReviewState,
    pool: UnitPool,
    code_ids: list[str],
    base_vectors: np.ndarray,
    base_labels: np.ndarray,
    *,
    number: int,
    version: str,
    strategy: str,
    seed: int,
    target: float = DEFAULT_TARGET,
) -> TrainingJob:
    """A snapshot of the review for one retraining: the base examples, the reviewer's decisions
    with their audit flags and transcripts, and the fresh units to order."""
    positions, labels = state.label_rows(code_ids)
    return TrainingJob(
        number=number,
        version=version,
        code_ids=code_ids,
        base_vectors=base_vectors,
        base_labels=base_labels,
        review_positions=positions,
        review_labels=labels,
        groups=pool.transcript_of(positions),
        fresh=np.array([i for i in range(len(pool)) if state.is_fresh(i)], dtype=int),
        strategy=strategy,
        seed=seed,
        audited=np.array([state.labels[int(p)].audit for p in positions], dtype=bool),
        target=target,
    )


def label_counts(base_labels: np.ndarray, review_labels: np.ndarray) -> np.ndarray:
    """Positives per code in what the learner trains on (the active order weighs rare codes up
    by them, as measured in benchmarks/review.py)."""
    return (base_labels > 0.5).sum(axis=0) + (review_labels > 0.5).sum(axis=0)


@dataclass(frozen=True)
class TrainingResult:
    job: TrainingJob
    scores: Scores | None
    order: np.ndarray
    kappa: dict[str, dict]
    seconds: float
    error: str | None = None
    estimate: CorpusEstimate | None = None

    @property
    def macro_kappa(self) -> float | None:
        values = [row["kappa"] for row in self.kappa.values() if row["kappa"] is not None]
        return float(np.mean(values)) if values else None


@dataclass
class Retrainer:
    """Runs one TrainingJob at a time in a daemon thread over the pool's vectors."""

    vectors: np.ndarray
    _thread: threading.Thread | None = None
    _result: TrainingResult | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, job: TrainingJob) -> bool:
        """Start `job` unless one is running or a result waits to be taken; whether it did."""
        with self._lock:
            waiting = self._result is not None
        if self.running or waiting:
            return False
        self._thread = threading.Thread(
            target=self._run, args=(job,), name=f"autocode-retrain-{job.number}", daemon=True
        )
        self._thread.start()
        return True

    def take(self) -> TrainingResult | None:
        """The finished job's result, once; None while running or when there is none."""
        with self._lock:
            result, self._result = self._result, None
        return result

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the running job ends (notebooks, tests); whether it has ended."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.running

    def _run(self, job: TrainingJob) -> None:
        began = time.perf_counter()
        try:
            with threadpool_limits(limits=1):  # leave the other cores to the server
                result = train(job, self.vectors)
        except Exception as error:  # a failed retraining keeps the current model
            result = TrainingResult(job, None, np.zeros(0, dtype=int), {}, 0.0, repr(error))
        result = replace(result, seconds=round(time.perf_counter() - began, 3))
        with self._lock:
            self._result = result


def train(job: TrainingJob, pool_vectors: np.ndarray) -> TrainingResult:
    """Fit, score every unit, order the fresh ones, estimate the corpus, and cross-validate
    against the reviewer."""
    audited = (
        np.zeros(len(job.review_positions), dtype=bool) if job.audited is None else job.audited
    )
    model = fit_corpus_model(
        pool_vectors,
        job.review_positions,
        job.review_labels,
        audited,
        job.code_ids,
        base_vectors=job.base_vectors,
        base_labels=job.base_labels,
        seed=job.seed,
    )
    scores = corpus_scores(model, job.version)
    fresh = job.fresh
    cost = None
    if job.strategy == "corpus":
        cost = model.cost(job.review_positions, job.review_labels)[fresh]
    order = fresh[
        order_queue(
            scores.proba[fresh],
            pool_vectors[fresh],
            job.strategy,
            seed=job.seed,
            label_counts=job.label_counts,
            cost=cost,
        )
    ]
    estimate = corpus_estimate(
        model,
        job.review_positions,
        job.review_labels,
        audited,
        job.groups,
        target=job.target,
        order=order,
        seed=job.seed,
    )
    kappa = reviewer_kappa(job, pool_vectors[job.review_positions])
    return TrainingResult(job, scores, order, kappa, 0.0, estimate=estimate)


def reviewer_kappa(job: TrainingJob, review_vectors: np.ndarray) -> dict[str, dict]:
    """Per code: {"kappa", "n_positive", "n"}; kappa None with fewer than MIN_ROWS_FOR_KAPPA
    decisions or fewer than 2 positives or 2 negatives."""
    labels = job.review_labels > 0.5
    n = len(labels)
    predicted = _out_of_fold(job, review_vectors) if n >= MIN_ROWS_FOR_KAPPA else None
    result = {}
    for j, code_id in enumerate(job.code_ids):
        positives = int(labels[:, j].sum())
        kappa = None
        if predicted is not None and min(positives, n - positives) >= 2:
            truth, guess = labels[:, j], predicted[:, j]
            if len(set(truth.tolist()) | set(guess.tolist())) > 1:
                kappa = round(float(cohen_kappa_score(truth, guess)), 4)
        result[code_id] = {"kappa": kappa, "n_positive": positives, "n": n}
    return result


def _out_of_fold(job: TrainingJob, review_vectors: np.ndarray) -> np.ndarray | None:
    groups = job.groups
    if len(set(groups.tolist())) >= 2:
        splits = GroupKFold(n_splits=min(MAX_FOLDS, len(set(groups.tolist())))).split(
            review_vectors, groups=groups
        )
    else:
        splits = KFold(n_splits=MAX_FOLDS, shuffle=True, random_state=job.seed).split(
            review_vectors
        )
    predicted = np.zeros(job.review_labels.shape, dtype=bool)
    column = {code_id: j for j, code_id in enumerate(job.code_ids)}
    for train_rows, test_rows in splits:
        fold = ReviewLearner(list(job.code_ids), seed=job.seed).fit(
            np.vstack([job.base_vectors, review_vectors[train_rows]]),
            np.vstack([job.base_labels, job.review_labels[train_rows]]),
        )
        for row, codes in zip(test_rows, fold.suggest(review_vectors[test_rows]), strict=True):
            predicted[row, [column[code] for code in codes]] = True
    return predicted
