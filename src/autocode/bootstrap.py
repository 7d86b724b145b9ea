"""Agreement metrics from 2x2 confusion counts, and a cluster bootstrap over participants.

Every binary agreement metric autocode reports follows from the four counts of a 2x2 table
(`tp`: both coded the label, `fp`: only the second rater/model, `fn`: only the first rater/human,
`tn`: neither). `metrics_from_counts` computes them with numpy on whole arrays of tables at once,
so the bootstrap never calls scikit-learn inside its loop; tests check that these formulas give
the same numbers as scikit-learn and the `krippendorff` package.

The bootstrap resamples *groups* (participants), never items: items from one participant are
correlated, and resampling them one by one understates the width of the interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

METRICS: tuple[str, ...] = ("precision", "recall", "f1", "percent_agreement", "kappa", "alpha")
MACRO = "macro"
# Each item's participant: positional, or a Series aligned on the items' index.
Groups = Sequence[object] | np.ndarray | pd.Series


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, nan where the denominator is 0 (the metric is undefined)."""
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def metrics_from_counts(
    tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, tn: np.ndarray
) -> dict[str, np.ndarray]:
    """Each metric in `METRICS` for arrays of 2x2 tables (any matching shapes), nan if undefined.

    precision = tp/(tp+fp); recall = tp/(tp+fn); f1 = 2tp/(2tp+fp+fn);
    percent_agreement = (tp+tn)/n;
    kappa = 2(tp*tn - fp*fn) / ((tp+fp)(fp+tn) + (tp+fn)(fn+tn)), Cohen's kappa for 2x2 tables,
    undefined when both raters give one and the same label to every item (chance agreement 1);
    alpha = 1 - (2n-1)(fp+fn) / (n0*n1), Krippendorff's nominal alpha for two coders with no
    missing values, where n0 = 2tn+fp+fn and n1 = 2tp+fp+fn are the pairable values of each
    kind; undefined when only one value occurs.
    """
    tp, fp, fn, tn = (np.asarray(x, dtype=np.float64) for x in (tp, fp, fn, tn))
    n = tp + fp + fn + tn
    n_zero = 2 * tn + fp + fn
    n_one = 2 * tp + fp + fn
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "percent_agreement": _ratio(tp + tn, n),
        "kappa": _ratio(2 * (tp * tn - fp * fn), (tp + fp) * (fp + tn) + (tp + fn) * (fn + tn)),
        "alpha": 1 - _ratio((2 * n - 1) * (fp + fn), n_zero * n_one),
    }


def kappa_per_column(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Cohen's kappa of each column of two 0/1 matrices (nan where both are one constant)."""
    a, b = np.asarray(truth).astype(bool), np.asarray(predicted).astype(bool)
    counts = [(a & b), (~a & b), (a & ~b), (~a & ~b)]
    tp, fp, fn, tn = (c.sum(axis=0) for c in counts)
    return metrics_from_counts(tp, fp, fn, tn)["kappa"]


def macro_kappa(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Mean over columns of Cohen's kappa between two 0/1 matrices; a column on which both are
    one constant has no kappa and is left out (nan if every column is)."""
    kappa = kappa_per_column(truth, predicted)
    return float(np.nanmean(kappa)) if np.isfinite(kappa).any() else float("nan")


def label_matrices(
    y_true: pd.DataFrame, y_pred: pd.DataFrame
) -> tuple[list[object], np.ndarray, np.ndarray]:
    """Check two multi-label 0/1 frames line up; return (labels, true, pred) as int8 arrays.

    Both frames need the same columns (label ids) and the same index (items), in any order;
    `y_pred` is reordered to `y_true`'s. Raises ValueError on anything else.
    """
    if set(y_true.columns) != set(y_pred.columns):
        raise ValueError(
            f"label columns differ: {sorted(map(str, set(y_true.columns) ^ set(y_pred.columns)))}"
        )
    for frame in (y_true, y_pred):
        if frame.columns.has_duplicates or frame.index.has_duplicates:
            raise ValueError("duplicate label columns or item index values")
    if len(y_true) == 0 or len(y_true.columns) == 0:
        raise ValueError("no items or no labels to compare")
    if MACRO in y_true.columns:
        raise ValueError(f"{MACRO!r} is reserved for the macro average and cannot be a label id")
    if len(y_true.index) != len(y_pred.index) or not y_true.index.isin(y_pred.index).all():
        raise ValueError("y_true and y_pred must cover the same items (same index)")
    labels = list(y_true.columns)
    aligned = y_pred.loc[y_true.index, labels]
    return (
        labels,
        binary_array(y_true.to_numpy(), "y_true"),
        binary_array(aligned.to_numpy(), "y_pred"),
    )


def binary_array(values: object, name: str) -> np.ndarray:
    """`values` as an int8 array after checking every entry is 0 or 1 (bools allowed)."""
    array = np.asarray(values)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold 0/1 values, got dtype {array.dtype}")
    if not np.isin(array, (0, 1)).all():
        raise ValueError(f"{name} must hold only 0 and 1 (no missing values)")
    return array.astype(np.int8)


def group_counts(
    true: np.ndarray, pred: np.ndarray, group_codes: np.ndarray, n_groups: int
) -> np.ndarray:
    """2x2 counts per group and label: shape (n_groups, n_labels, 4), last axis tp, fp, fn, tn."""
    n_labels = true.shape[1]
    cell = np.where(true == 1, np.where(pred == 1, 0, 2), np.where(pred == 1, 1, 3))
    flat = (group_codes[:, None] * n_labels + np.arange(n_labels)[None, :]) * 4 + cell
    counts = np.bincount(flat.ravel(), minlength=n_groups * n_labels * 4)
    return counts.reshape(n_groups, n_labels, 4).astype(np.float64)


def _nan_mean_over_labels(values: np.ndarray) -> np.ndarray:
    """Mean over the last axis ignoring nan; nan where every label is undefined."""
    valid = ~np.isnan(values)
    total = np.where(valid, values, 0.0).sum(axis=-1)
    return _ratio(total, valid.sum(axis=-1).astype(np.float64))


def _per_label_and_macro(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics for counts of shape (..., n_labels, 4); macro appended as the last label."""
    per_label = metrics_from_counts(*np.moveaxis(counts, -1, 0))
    return {
        name: np.concatenate([values, _nan_mean_over_labels(values)[..., None]], axis=-1)
        for name, values in per_label.items()
    }


def group_draws(n_groups: int, n_resamples: int, seed: int) -> np.ndarray:
    """(n_resamples, n_groups): how often each resample draws each group (with replacement, as
    many draws as groups). Deterministic given `seed`."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_groups, size=(n_resamples, n_groups))
    offsets = (np.arange(n_resamples)[:, None] * n_groups + draws).ravel()
    times_drawn = np.bincount(offsets, minlength=n_resamples * n_groups)
    return times_drawn.reshape(n_resamples, n_groups).astype(np.float64)


def bootstrap_intervals(
    y_true: pd.DataFrame,
    y_pred: pd.DataFrame,
    groups: Groups,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Point estimates and cluster-bootstrap percentile intervals, per label and macro.

    `groups` gives each item's participant: a Series is aligned on `y_true`'s index, any other
    sequence is taken in `y_true`'s row order. Each resample draws
    as many participants as there are, with replacement, and takes all their items. A resample
    in which a metric is undefined (e.g. precision when nothing was predicted) is skipped for
    that metric; `<metric>_n_valid` says how many resamples were left. The macro value of a
    resample is the nan-aware mean over labels, as for the point estimate. Percentile intervals
    need not contain the point estimate when the bootstrap distribution is skewed.

    Returns a frame indexed by label (the labels, then "macro") with, for each metric in
    `METRICS`, columns `<metric>`, `<metric>_lo`, `<metric>_hi`, `<metric>_n_valid`, then
    `support` (positives in y_true; summed for macro) and `n` (items). `attrs` records
    n_resamples, seed, confidence and n_groups. Deterministic given `seed`.
    """
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    labels, true, pred = label_matrices(y_true, y_pred)
    if isinstance(groups, pd.Series):
        if not y_true.index.isin(groups.index).all() or groups.index.has_duplicates:
            raise ValueError("groups (a Series) must have one entry per item of y_true's index")
        group_values = groups.loc[y_true.index].reset_index(drop=True)
    else:
        group_values = pd.Series(list(groups))
    if len(group_values) != len(true):
        raise ValueError(f"groups has {len(group_values)} entries for {len(true)} items")
    if group_values.isna().any():
        raise ValueError("every item needs a group (participant); found missing values")
    codes, uniques = pd.factorize(group_values, sort=True)
    n_groups = len(uniques)

    counts = group_counts(true, pred, codes, n_groups)
    point = _per_label_and_macro(counts.sum(axis=0))

    times_drawn = group_draws(n_groups, n_resamples, seed)
    resampled = (times_drawn @ counts.reshape(n_groups, -1)).reshape(n_resamples, len(labels), 4)
    replicates = _per_label_and_macro(resampled)

    tail = (1 - confidence) / 2 * 100
    columns: dict[str, object] = {}
    for name in METRICS:
        values = replicates[name]
        valid = ~np.isnan(values)
        lo, hi = np.full(len(labels) + 1, np.nan), np.full(len(labels) + 1, np.nan)
        for j in np.flatnonzero(valid.any(axis=0)):
            lo[j], hi[j] = np.percentile(values[valid[:, j], j], [tail, 100 - tail])
        columns[name] = point[name]
        columns[f"{name}_lo"] = lo
        columns[f"{name}_hi"] = hi
        columns[f"{name}_n_valid"] = valid.sum(axis=0)
    support = true.sum(axis=0)
    columns["support"] = np.append(support, support.sum())
    columns["n"] = np.full(len(labels) + 1, len(true))
    frame = pd.DataFrame(columns, index=pd.Index([*labels, MACRO], name="label", dtype=object))
    frame.attrs.update(n_resamples=n_resamples, seed=seed, confidence=confidence, n_groups=n_groups)
    return frame
