"""Which codes the model gives the undecided units: per code, the cut-off on the calibrated
probabilities that maximises the finished corpus's expected kappa.

A cut-off at 0.5 minimises the expected number of errors, but kappa weighs a code's errors by
its prevalence: for a rare code, a false negative costs more kappa than a false positive saves,
so the best cut-off lies lower. With calibrated probabilities the corpus's expected 2x2 table is
known for every cut-off (the decided units exactly, the undecided ones in expectation), so the
cut-off is chosen on the undecided units' own probabilities, with no labels beyond those the
calibration used.
"""

from __future__ import annotations

import numpy as np

from autocode.bootstrap import metrics_from_counts


def kappa_cutoffs(
    proba: np.ndarray, positives_decided: np.ndarray, negatives_decided: np.ndarray
) -> np.ndarray:
    """Per code (k), the lowest calibrated probability that gets the code (inf: none does),
    for undecided units with probabilities `proba` (n x k), given each code's positive and
    negative counts among the decided units (k)."""
    p = np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)
    n, k = p.shape
    if n == 0:
        return np.full(k, 0.5)
    order = np.argsort(-p, axis=0, kind="stable")
    ranked = np.take_along_axis(p, order, axis=0)
    top = np.arange(0, n + 1)[:, None]  # the number of units given the code
    tp_u = np.vstack([np.zeros((1, k)), np.cumsum(ranked, axis=0)])
    fp = top - tp_u
    fn = ranked.sum(axis=0) - tp_u
    tn = (n - top) - fn
    tp = tp_u + positives_decided
    tn = tn + negatives_decided
    kappa = metrics_from_counts(tp, fp, fn, tn)["kappa"]
    kappa = np.where(np.isfinite(kappa), kappa, -np.inf)
    best = kappa.argmax(axis=0)
    chosen = ranked[np.maximum(best - 1, 0), np.arange(k)]
    return np.where(best > 0, chosen, np.inf)
