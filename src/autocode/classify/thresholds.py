"""Decision thresholds chosen inside the training data only.

Out-of-fold probabilities come from grouped cross-validation over the training set (one group per
participant, so no participant's voice is both fitted and scored); each theme's threshold is the
one that maximises Cohen's kappa on them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.model_selection import GroupKFold, KFold, LeaveOneGroupOut

from autocode.bootstrap import metrics_from_counts

FitPredict = Callable[[np.ndarray, np.ndarray, set[str]], np.ndarray]
GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


def fold_indices(
    n: int, groups: Sequence[str] | None, n_folds: int
) -> list[tuple[np.ndarray, np.ndarray, set[str]]]:
    """(train, test, held-out groups) per fold: leave-one-group-out up to `max(n_folds, 20)`
    groups, else GroupKFold; plain seeded KFold without groups."""
    index = np.arange(n)
    if groups is None:
        splitter = KFold(n_splits=min(n_folds, n), shuffle=True, random_state=0)
        return [(train, test, set()) for train, test in splitter.split(index)]
    group_array = np.asarray(groups, dtype=object)
    distinct = sorted(set(group_array))
    if len(distinct) < 2:
        raise ValueError("grouped cross-validation needs at least two groups")
    if len(distinct) <= max(n_folds, 20):
        splits = LeaveOneGroupOut().split(index, groups=group_array)
    else:
        splits = GroupKFold(n_splits=n_folds).split(index, groups=group_array)
    return [(train, test, set(group_array[test])) for train, test in splits]


def out_of_fold_probabilities(
    n: int, groups: Sequence[str] | None, n_folds: int, fit_predict: FitPredict
) -> np.ndarray:
    """Probabilities for every training row from a model that never saw its group."""
    columns: np.ndarray | None = None
    for train, test, held_out in fold_indices(n, groups, n_folds):
        proba = fit_predict(train, test, held_out)
        if columns is None:
            columns = np.zeros((n, proba.shape[1]))
        columns[test] = proba
    assert columns is not None
    return columns


def top_k_mask(proba: np.ndarray, k: int) -> np.ndarray:
    """True at the `k` most probable columns of each row."""
    mask = np.zeros(proba.shape, dtype=bool)
    if k > 0 and proba.size:
        top = np.argsort(-proba, axis=1, kind="stable")[:, :k]
        np.put_along_axis(mask, top, True, axis=1)
    return mask


def choose_thresholds(targets: np.ndarray, proba: np.ndarray, min_themes: int = 0) -> np.ndarray:
    """Per column, the grid threshold with the best kappa (the middle of ties), given that the
    top `min_themes` columns of each row are assigned regardless."""
    forced = top_k_mask(proba, min_themes)
    thresholds = np.full(targets.shape[1], 0.5)
    for j in range(targets.shape[1]):
        truth = targets[:, j].astype(bool)[:, None]
        decided = forced[:, j][:, None] | (proba[:, j][:, None] >= GRID[None, :])
        tp = (decided & truth).sum(axis=0)
        fp = (decided & ~truth).sum(axis=0)
        fn = (~decided & truth).sum(axis=0)
        tn = (~decided & ~truth).sum(axis=0)
        kappa = np.nan_to_num(metrics_from_counts(tp, fp, fn, tn)["kappa"], nan=-1.0)
        best = np.flatnonzero(kappa >= kappa.max() - 1e-12)
        thresholds[j] = GRID[best[len(best) // 2]]
    return thresholds


def decide(proba: np.ndarray, thresholds: np.ndarray, min_themes: int) -> np.ndarray:
    """0/1 decisions: at or above each column's threshold, plus the top `min_themes` per row."""
    return ((proba >= thresholds) | top_k_mask(proba, min_themes)).astype(int)
