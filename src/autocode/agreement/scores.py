"""Agreement scores: two coders item by item (the model against human coding, or two humans), and
Krippendorff's alpha for any number of coders.

Thin wrappers around well-kept implementations (scikit-learn's `cohen_kappa_score` and
`precision_recall_fscore_support`, the `krippendorff` package) that make the degenerate cases
explicit instead of leaving them to warnings:

- Empty input (no items, no characters) raises ValueError: there is nothing to measure.
- Cohen's kappa is nan when both raters give one and the same label to every item: chance
  agreement is then 1 and kappa is 0/0. (Chance agreement 1 with observed agreement below 1 cannot
  happen.) Reports show nan as "n/a".
- Krippendorff's alpha is nan when the pairable values show no variation (one value only), or
  when no unit has values from two coders; the `krippendorff` package would raise or return nan.
- Precision is nan when nothing was predicted positive, recall when nothing is positive in the
  reference, F1 when neither has a positive (scikit-learn's `zero_division=np.nan`).
- Macro averages are nan-aware means over labels; nan only when every label is undefined.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import krippendorff
import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support

from autocode.bootstrap import (
    MACRO,
    METRICS,
    Groups,
    binary_array,
    bootstrap_intervals,
    label_matrices,
)

LEVELS = ("nominal", "ordinal", "interval", "ratio")


def _label_vector(values: object, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty: agreement needs at least one item")
    if pd.isna(array).any():
        raise ValueError(f"{name} has missing values; use krippendorff_alpha for missing data")
    return array


def cohen_kappa(a: Sequence[object] | np.ndarray, b: Sequence[object] | np.ndarray) -> float:
    """Cohen's kappa between two raters' labels for the same items (any nominal labels).

    nan when both raters used one and the same label for every item; ValueError when the inputs
    are empty, of different lengths, or have missing values.
    """
    first, second = _label_vector(a, "a"), _label_vector(b, "b")
    if len(first) != len(second):
        raise ValueError(f"a has {len(first)} items, b has {len(second)}")
    if len(set(first.tolist()) | set(second.tolist())) < 2:
        return float("nan")
    return float(cohen_kappa_score(first, second))


def reliability_matrix(reliability_data: object, level: str) -> np.ndarray:
    """Coders x units as floats with nan for missing; nominal values are recoded 0..V-1."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    data = np.asarray(reliability_data, dtype=object)
    if data.ndim != 2:
        raise ValueError(f"reliability data must be coders x units (2-D), got shape {data.shape}")
    if data.size == 0:
        raise ValueError("reliability data is empty")
    missing = pd.isna(data)
    if level == "nominal":
        codes = np.full(data.shape, np.nan)
        codes[~missing] = pd.factorize(data[~missing])[0]
        return codes
    try:
        return np.where(missing, np.nan, data).astype(np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{level} alpha needs numeric values: {error}") from None


def krippendorff_alpha(reliability_data: object, level: str = "nominal") -> float:
    """Krippendorff's alpha for a coders x units matrix; nan (or None) marks a missing value.

    `level` is the level of measurement: nominal, ordinal, interval or ratio. Nominal values may
    be of any hashable type. Returns nan when no two pairable values differ (no variation) or no
    unit was coded by two coders; raises ValueError on an empty or non-2-D matrix.
    """
    data = reliability_matrix(reliability_data, level)
    present = ~np.isnan(data)
    pairable_units = present.sum(axis=0) >= 2
    pairable_values = data[:, pairable_units][present[:, pairable_units]]
    if np.unique(pairable_values).size < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    return float(value) if np.isfinite(value) else float("nan")


def multi_coder_alpha(codings: pd.DataFrame, level: str = "nominal") -> float:
    """Krippendorff's alpha from long-form codings: columns `unit`, `coder`, `value`.

    Any number of coders; a coder who did not code a unit (no row, or a missing value) is missing
    data. A (unit, coder) pair coded twice is ambiguous and raises ValueError.
    """
    missing_columns = {"unit", "coder", "value"} - set(codings.columns)
    if missing_columns:
        raise ValueError(
            f"codings lacks columns {sorted(missing_columns)}: needs unit, coder, value"
        )
    rows = codings.dropna(subset=["value"])
    if rows.empty:
        raise ValueError("no codings to compare")
    repeated = rows[rows.duplicated(subset=["unit", "coder"], keep=False)]
    if not repeated.empty:
        first = repeated.iloc[0]
        raise ValueError(f"coder {first['coder']!r} coded unit {first['unit']!r} more than once")
    matrix = rows.pivot(index="coder", columns="unit", values="value")
    return krippendorff_alpha(matrix.to_numpy(dtype=object), level=level)


def binary_scores(
    y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray
) -> dict[str, float]:
    """Agreement of two 0/1 vectors for one label: the reference (y_true) and the other coder.

    Keys: precision, recall, f1, percent_agreement, kappa (Cohen), alpha (Krippendorff, nominal,
    two coders), support (positives in y_true), n (items). Undefined metrics are nan.
    """
    true = binary_array(_label_vector(y_true, "y_true"), "y_true")
    pred = binary_array(_label_vector(y_pred, "y_pred"), "y_pred")
    if len(true) != len(pred):
        raise ValueError(f"y_true has {len(true)} items, y_pred has {len(pred)}")
    precision, recall, f1, _ = precision_recall_fscore_support(
        true, pred, average="binary", pos_label=1, zero_division=np.nan
    )
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "percent_agreement": float(np.mean(true == pred)),
        "kappa": cohen_kappa(true, pred),
        "alpha": krippendorff_alpha(np.vstack([true, pred])),
        "support": int(true.sum()),
        "n": len(true),
    }


def per_label_agreement(y_true: pd.DataFrame, y_pred: pd.DataFrame) -> pd.DataFrame:
    """`binary_scores` for each label column, plus a "macro" row.

    Frames have one 0/1 column per label id and the same item index. The macro row holds the
    nan-aware mean of each metric over labels, the summed support, and n.
    """
    labels, true, pred = label_matrices(y_true, y_pred)
    rows = [binary_scores(true[:, j], pred[:, j]) for j in range(len(labels))]
    frame = pd.DataFrame(rows, index=pd.Index(labels, name="label", dtype=object))
    macro: dict[str, float] = {}
    for name in METRICS:
        defined = frame[name].dropna()
        macro[name] = float(defined.mean()) if len(defined) else float("nan")
    macro["support"] = int(frame["support"].sum())
    macro["n"] = len(true)
    frame.loc[MACRO] = pd.Series(macro)
    return frame.astype({"support": int, "n": int})


def agreement_report(
    y_true: pd.DataFrame,
    y_pred: pd.DataFrame,
    groups: Groups,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Tidy agreement table: one row per (label, metric) with its cluster-bootstrap interval.

    Columns: label, metric, estimate, lo, hi, n_valid (resamples where the metric was defined),
    support, n. Labels come first in column order, then "macro". `attrs` carries the bootstrap
    settings and n_groups. See `bootstrap_intervals` for the method.
    """
    wide = bootstrap_intervals(y_true, y_pred, groups, n_resamples, seed, confidence)
    rows = [
        {
            "label": label,
            "metric": name,
            "estimate": wide.at[label, name],
            "lo": wide.at[label, f"{name}_lo"],
            "hi": wide.at[label, f"{name}_hi"],
            "n_valid": int(wide.at[label, f"{name}_n_valid"]),
            "support": int(wide.at[label, "support"]),
            "n": int(wide.at[label, "n"]),
        }
        for label in wide.index
        for name in METRICS
    ]
    report = pd.DataFrame(rows)
    report.attrs.update(wide.attrs)
    return report
