"""The classifier the review app retrains on the reviewer's decisions.

It is the theme classifier's "ovr" head (`autocode.classify.heads`: one class-balanced binary
logistic regression per code, fitted together by one L-BFGS run) over unit vectors, with fixed
settings instead of the inner cross-validation `ThemeClassifier` runs, since it is refitted after
every batch of decisions: one learner behind suggest, code and review. A unit may carry any
number of codes, including none; a code with no positive yet (a code the reviewer just added) or
with only positives gets a constant probability from its (clipped) base rate, and rows with no
code at all ("no code applies") are negatives for every code.

With `neighbours`, the units it was trained on are also evidence by themselves: a unit nearly
identical to a labelled one (cosine >= NEIGHBOUR_FROM) takes that unit's codes, fully at cosine
1 and blended with the regression's probability in between, so that a sentence the reviewer has
already coded is not suggested something else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import GroupKFold, KFold
from threadpoolctl import threadpool_limits

from autocode.bootstrap import kappa_per_column
from autocode.classify.heads import fit_head
from autocode.numeric import unit_rows

DEFAULT_C = 1.0
SUGGEST_THRESHOLD = 0.5
MAX_FOLDS = 5
NEIGHBOUR_FROM = 0.85


def _as_matrix(values: np.ndarray, name: str, columns: int | None = None) -> np.ndarray:
    matrix = np.asarray(values, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"{name} must be a 2-d array, got shape {matrix.shape}")
    if columns is not None and matrix.shape[1] != columns:
        raise ValueError(f"{name} has {matrix.shape[1]} columns, expected {columns}")
    return matrix


@dataclass
class ReviewLearner:
    """One-vs-rest logistic regression over unit vectors, refitted after every batch of
    decisions. `code_ids` orders the label columns and the probability columns."""

    code_ids: list[str]
    seed: int = 0
    c: float = DEFAULT_C
    threshold: float = SUGGEST_THRESHOLD
    neighbours: bool = False
    coef_: np.ndarray | None = field(default=None, repr=False)
    intercept_: np.ndarray | None = field(default=None, repr=False)
    _memory: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def fit(
        self, vectors: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None
    ) -> ReviewLearner:
        """Fit on `vectors` (n x d) with 0/1 `labels` (n x k over code_ids); all-zero rows
        mean "no code applies". `weights` (n) weighs rows, e.g. reviewer decisions over seed
        excerpts."""
        x = _as_matrix(vectors, "vectors")
        y = _as_matrix(labels, "labels", len(self.code_ids)) > 0.5
        if len(x) != len(y):
            raise ValueError(f"vectors has {len(x)} rows, labels has {len(y)}")
        w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (len(x),):
            raise ValueError(f"weights must have shape ({len(x)},), got {w.shape}")
        # a few hundred rows: BLAS threads only contend (25x slower on a busy machine)
        with threadpool_limits(limits=1, user_api="blas"):
            coef, intercept = fit_head("ovr", x, y.astype(np.float64), w, self.c)
        self.coef_, self.intercept_ = coef, intercept
        self._memory = (unit_rows(x), y.astype(np.float64)) if self.neighbours else None
        return self

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        """Probability of each code (n x k) for each row of `vectors`."""
        if self.coef_ is None or self.intercept_ is None:
            raise RuntimeError("ReviewLearner.predict_proba called before fit")
        x = _as_matrix(vectors, "vectors", self.coef_.shape[1])
        proba = 1.0 / (1.0 + np.exp(-(x @ self.coef_.T + self.intercept_)))
        if self._memory is None or not len(self._memory[0]) or not len(x):
            return proba
        known, labels = self._memory
        similarity = unit_rows(x) @ known.T
        nearest = similarity.argmax(axis=1)
        closeness = similarity[np.arange(len(x)), nearest]
        weight = np.clip((closeness - NEIGHBOUR_FROM) / (1.0 - NEIGHBOUR_FROM), 0.0, 1.0)
        return (1.0 - weight[:, None]) * proba + weight[:, None] * labels[nearest]

    def suggest(self, vectors: np.ndarray) -> list[list[str]]:
        """The code ids suggested for each row: those whose probability reaches the threshold,
        most probable first; an empty list means the model suggests no code."""
        proba = self.predict_proba(vectors)
        suggestions = []
        for row in proba:
            ranked = np.argsort(-row, kind="stable")
            suggestions.append([self.code_ids[j] for j in ranked if row[j] >= self.threshold])
        return suggestions

    def cross_validated_kappa(
        self, vectors: np.ndarray, labels: np.ndarray, groups: np.ndarray | None = None
    ) -> dict[str, dict]:
        """Per code: {"kappa", "n_positive", "n"}, Cohen's kappa between `labels` and the
        out-of-fold suggestions of a learner like this one (same settings), folds by `groups`
        (e.g. transcripts) when given. kappa is None when a code has fewer than 2 positives or
        2 negatives, or when there are fewer than 2 folds."""
        x = _as_matrix(vectors, "vectors")
        y = _as_matrix(labels, "labels", len(self.code_ids)) > 0.5
        predicted = self._out_of_fold(x, y, groups)
        result: dict[str, dict] = {}
        for j, code in enumerate(self.code_ids):
            n_positive = int(y[:, j].sum())
            kappa = None
            if predicted is not None and min(n_positive, len(y) - n_positive) >= 2:
                value = float(kappa_per_column(y[:, [j]], predicted[:, [j]])[0])
                kappa = None if np.isnan(value) else value
            result[code] = {"kappa": kappa, "n_positive": n_positive, "n": len(y)}
        return result

    def _out_of_fold(
        self, x: np.ndarray, y: np.ndarray, groups: np.ndarray | None
    ) -> np.ndarray | None:
        if groups is not None:
            groups = np.asarray(groups)
            n_folds = min(MAX_FOLDS, len(np.unique(groups)))
            splitter = GroupKFold(n_splits=n_folds) if n_folds >= 2 else None
        else:
            n_folds = min(MAX_FOLDS, len(x))
            splitter = (
                KFold(n_splits=n_folds, shuffle=True, random_state=self.seed)
                if n_folds >= 2
                else None
            )
        if splitter is None:
            return None
        predicted = np.zeros_like(y)
        for train, test in splitter.split(x, groups=groups):
            fold = ReviewLearner(
                list(self.code_ids), seed=self.seed, c=self.c, neighbours=self.neighbours
            )
            fold.threshold = self.threshold
            fold.fit(x[train], y[train])
            predicted[test] = fold.predict_proba(x[test]) >= self.threshold
        return predicted


def plateau_hint(history: list[float | None], window: int = 3, tolerance: float = 0.02) -> str:
    """A plain-language hint from the macro kappa after each retrain (oldest first): whether the
    last `window` retrains changed it by less than `tolerance`."""
    values = [v for v in history if v is not None]
    if len(values) < window + 1:
        return "Too few retrains yet to tell whether more decisions still help."
    recent = values[-(window + 1) :]
    change = max(recent) - min(recent)
    if change < tolerance:
        return (
            f"Agreement has changed by less than {tolerance:.2f} over the last {window} "
            "retrains: more decisions of this kind are unlikely to improve the model much."
        )
    return (
        f"Agreement still moves (by {change:.2f} over the last {window} retrains): "
        "more decisions are still improving the model."
    )
