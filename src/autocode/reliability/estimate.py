"""The corpus estimate: how well the finished corpus (the reviewer's decisions plus the model's
codes for every undecided unit) agrees with the reviewer, per code and as macro Cohen's kappa.

Decided units agree with the reviewer by definition, so only the model's false positives and
false negatives among the undecided units are unknown. Their totals are estimated per code as
the expected errors under the calibrated probabilities, corrected by the blind audit cards (a
random sample of undecided units the reviewer answered without seeing a suggestion): the
difference estimator (prediction-powered inference) adds, scaled to the undecided units, how
many more (or fewer) errors the model made on the audit units than it expected there, using the
learner's out-of-fold predictions for them. The correction keeps the estimate honest when the
probabilities are miscalibrated; the interval comes from resampling the audit units (by
transcript when known) and the Bernoulli spread of the model's part.

"Can stop" needs the lower end of the interval at or above the target and enough audit cards to
check the model on undecided units at all (`min_audit`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autocode.bootstrap import metrics_from_counts
from autocode.errors import InputError

DEFAULT_TARGET = 0.80
DEFAULT_LEVEL = 0.90
MIN_AUDIT = 10
DRAWS = 400


def check_target(target: float) -> float:
    if not 0.0 < float(target) <= 1.0:
        raise InputError("--target", f"must be in (0, 1], got {target}")
    return float(target)


@dataclass(frozen=True)
class CorpusEstimate:
    """The estimate at one moment of a review; `to_dict` is what the status endpoint sends."""

    target: float
    units: int
    decided: int
    audited: int
    macro_kappa: float | None
    interval: tuple[float, float] | None
    per_code: dict[str, dict[str, Any]] = field(default_factory=dict)
    can_stop: bool = False
    more_decisions: int | None = None  # further decisions expected to reach the target
    needs_audit: int = 0  # audit cards still needed before a stop can be said

    @property
    def line(self) -> str:
        """The plain sentence the panel and `autocode status` show."""
        if self.macro_kappa is None or self.interval is None:
            return (
                f"no estimate yet: {self.decided:,} of {self.units:,} units decided; the "
                "estimate needs a trained model"
            )
        low, high = self.interval
        said = (
            f"estimated kappa {self.macro_kappa:.2f} [{low:.2f}, {high:.2f}] over "
            f"{self.units:,} units; {self.decided:,} decided by you"
        )
        if self.can_stop:
            return f"you can stop: {said}"
        if self.needs_audit and low >= self.target:
            return (
                f"keep going: {said}; {self.needs_audit} more audit card(s) are needed to "
                "check the model on the units you have not seen"
            )
        more = (
            f"about {self.more_decisions:,} more decisions expected to reach {self.target:.2f}"
            if self.more_decisions is not None
            else f"the current model is not expected to reach {self.target:.2f} without "
            "learning more"
        )
        return f"keep going: {said}; {more}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "units": self.units,
            "decided": self.decided,
            "audited": self.audited,
            "macro_kappa": _rounded(self.macro_kappa),
            "interval": None if self.interval is None else [_rounded(v) for v in self.interval],
            "can_stop": self.can_stop,
            "more_decisions": self.more_decisions,
            "needs_audit": self.needs_audit,
            "per_code": self.per_code,
            "line": self.line,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


@dataclass(frozen=True)
class _Totals:
    """Per code: the corpus 2x2 table's fixed parts and the undecided part's expected errors."""

    positives_decided: np.ndarray
    negatives_decided: np.ndarray
    predicted_positive: np.ndarray  # model positives among the undecided units
    undecided: int
    fp: np.ndarray  # expected false positives among the undecided units
    fn: np.ndarray
    fp_var: np.ndarray
    fn_var: np.ndarray

    def kappa(self, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
        """Per code kappa (..., k) of the corpus for the given error totals."""
        fp = np.clip(fp, 0.0, self.predicted_positive)
        fn = np.clip(fn, 0.0, self.undecided - self.predicted_positive)
        tp = self.positives_decided + self.predicted_positive - fp
        tn = self.negatives_decided + (self.undecided - self.predicted_positive) - fn
        return metrics_from_counts(tp, fp, fn, tn)["kappa"]


def estimate_corpus(
    code_ids: list[str],
    decided: np.ndarray,
    truth: np.ndarray,
    predicted: np.ndarray,
    proba: np.ndarray,
    *,
    audit_truth: np.ndarray | None = None,
    audit_predicted: np.ndarray | None = None,
    audit_proba: np.ndarray | None = None,
    audit_groups: np.ndarray | None = None,
    order: np.ndarray | None = None,
    target: float = DEFAULT_TARGET,
    level: float = DEFAULT_LEVEL,
    min_audit: int = MIN_AUDIT,
    draws: int = DRAWS,
    seed: int = 0,
) -> CorpusEstimate:
    """Estimate the corpus's agreement with the reviewer.

    decided (n) bool: units the reviewer decided; truth (n x k) 0/1: their codes (rows of
    undecided units are ignored); predicted (n x k) bool and proba (n x k): the current model's
    codes and calibrated probabilities (rows of decided units are ignored). The audit arrays
    (a x k): the reviewer's codes, and the learner's out-of-fold codes and calibrated
    probabilities, for the audit units (a subset of the decided ones); audit_groups (a): their
    transcripts, resampled whole. order: pool positions of undecided units in review order (for
    the decisions still expected; None: most expected errors first).
    """
    check_target(target)
    decided = np.asarray(decided, dtype=bool)
    n, k = np.asarray(predicted).shape
    totals = _totals(decided, truth, predicted, proba)
    audit = _Audit.of(audit_truth, audit_predicted, audit_proba, audit_groups, k)
    fp_fix, fn_fix = audit.correction(totals.undecided)
    per_code_kappa = totals.kappa(totals.fp + fp_fix, totals.fn + fn_fix)
    macro = _nanmean(per_code_kappa)
    if macro is None:
        return CorpusEstimate(target, n, int(decided.sum()), audit.size, None, None)
    draws_kappa = _draws(totals, audit, draws, seed)
    tail = (1.0 - level) / 2.0
    low, high = np.nanquantile(draws_kappa, [tail, 1.0 - tail], axis=0)
    finite = np.isfinite(draws_kappa)
    with np.errstate(invalid="ignore"):
        macro_draws = np.where(finite, draws_kappa, 0.0).sum(axis=1) / finite.sum(axis=1)
    macro_low, macro_high = (float(v) for v in np.nanquantile(macro_draws, [tail, 1.0 - tail]))
    macro_low, macro_high = min(macro_low, macro), max(macro_high, macro)
    needs_audit = max(0, min_audit - audit.size)
    can_stop = macro_low >= target and needs_audit == 0
    more = None if can_stop else _more_decisions(
        totals, fp_fix, fn_fix, decided, predicted, proba, order, target, macro - macro_low
    )  # fmt: skip
    per_code = {
        code: {
            "kappa": _rounded(per_code_kappa[j]),
            "interval": None
            if not np.isfinite(per_code_kappa[j])
            else [_rounded(low[j]), _rounded(high[j])],
            "expected_errors": round(float(totals.fp[j] + fp_fix[j] + totals.fn[j] + fn_fix[j]), 1),
            "positives_decided": int(totals.positives_decided[j]),
        }
        for j, code in enumerate(code_ids)
    }
    return CorpusEstimate(
        target=target,
        units=n,
        decided=int(decided.sum()),
        audited=audit.size,
        macro_kappa=macro,
        interval=(macro_low, macro_high),
        per_code=per_code,
        can_stop=can_stop,
        more_decisions=more,
        needs_audit=needs_audit,
    )


def _totals(
    decided: np.ndarray, truth: np.ndarray, predicted: np.ndarray, proba: np.ndarray
) -> _Totals:
    undecided = ~decided
    y = np.asarray(truth, dtype=np.float64)[decided] > 0.5
    guess = np.asarray(predicted, dtype=bool)[undecided]
    p = np.clip(np.asarray(proba, dtype=np.float64)[undecided], 0.0, 1.0)
    spread = p * (1.0 - p)
    return _Totals(
        positives_decided=y.sum(axis=0).astype(np.float64),
        negatives_decided=(~y).sum(axis=0).astype(np.float64),
        predicted_positive=guess.sum(axis=0).astype(np.float64),
        undecided=int(undecided.sum()),
        fp=np.where(guess, 1.0 - p, 0.0).sum(axis=0),
        fn=np.where(guess, 0.0, p).sum(axis=0),
        fp_var=np.where(guess, spread, 0.0).sum(axis=0),
        fn_var=np.where(guess, 0.0, spread).sum(axis=0),
    )


@dataclass(frozen=True)
class _Audit:
    """Per audit group (transcript) and code: the sums over its audit units of observed minus
    expected false positives and false negatives, and how many audit units it holds."""

    fp_gap: np.ndarray  # (g, k)
    fn_gap: np.ndarray
    sizes: np.ndarray  # (g,)

    @property
    def size(self) -> int:
        return int(self.sizes.sum())

    @classmethod
    def of(
        cls,
        truth: np.ndarray | None,
        predicted: np.ndarray | None,
        proba: np.ndarray | None,
        groups: np.ndarray | None,
        k: int,
    ) -> _Audit:
        if truth is None or predicted is None or proba is None or len(truth) == 0:
            empty = np.zeros((0, k))
            return cls(empty, empty, np.zeros(0))
        y = np.asarray(truth, dtype=np.float64) > 0.5
        guess = np.asarray(predicted, dtype=bool)
        p = np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)
        fp_gap = (guess & ~y).astype(np.float64) - np.where(guess, 1.0 - p, 0.0)
        fn_gap = (~guess & y).astype(np.float64) - np.where(guess, 0.0, p)
        labels = np.arange(len(y)) if groups is None else np.asarray(groups)
        _, member = np.unique(labels, return_inverse=True)
        count = int(member.max()) + 1
        fp_sum, fn_sum = np.zeros((count, k)), np.zeros((count, k))
        np.add.at(fp_sum, member, fp_gap)
        np.add.at(fn_sum, member, fn_gap)
        return cls(fp_sum, fn_sum, np.bincount(member, minlength=count).astype(np.float64))

    def correction(
        self, undecided: int, weights: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The difference estimator's correction of the error totals (k), or (draws, k) for
        `weights` (draws, g): how often each group is drawn in each bootstrap resample."""
        k = self.fp_gap.shape[1]
        if self.size == 0:
            zero = np.zeros(k) if weights is None else np.zeros((len(weights), k))
            return zero, zero
        w = np.ones(len(self.sizes)) if weights is None else weights
        units = np.maximum(w @ self.sizes, 1.0)
        scale = (undecided / units)[..., None] if weights is not None else undecided / units
        return (w @ self.fp_gap) * scale, (w @ self.fn_gap) * scale

    def resample_weights(self, rng: np.random.Generator, draws: int) -> np.ndarray:
        """(draws, g): how often each group is drawn, whole groups resampled with replacement."""
        groups = len(self.sizes)
        return rng.multinomial(groups, np.full(groups, 1.0 / groups), size=draws).astype(float)


def _draws(totals: _Totals, audit: _Audit, draws: int, seed: int) -> np.ndarray:
    """(draws, k) per-code kappa: the audit resampled by group, the model's errors drawn around
    their expectation (normal approximation of the Poisson-binomial totals)."""
    rng = np.random.default_rng(seed)
    k = len(totals.fp)
    weights = audit.resample_weights(rng, draws) if audit.size else None
    fp_fix, fn_fix = audit.correction(totals.undecided, weights)
    noise = rng.standard_normal((2, draws, k))
    fp = totals.fp + fp_fix + np.sqrt(totals.fp_var) * noise[0]
    fn = totals.fn + fn_fix + np.sqrt(totals.fn_var) * noise[1]
    return totals.kappa(fp, fn)


def _more_decisions(
    totals: _Totals,
    fp_fix: np.ndarray,
    fn_fix: np.ndarray,
    decided: np.ndarray,
    predicted: np.ndarray,
    proba: np.ndarray,
    order: np.ndarray | None,
    target: float,
    margin: float,
) -> int | None:
    """Decisions after which the estimate's lower end is expected to reach the target if the
    reviewer goes on in `order` and the model learns nothing more (so an upper bound): each
    decided unit takes its expected errors out of the undecided part."""
    undecided = np.flatnonzero(~decided)
    guess = np.asarray(predicted, dtype=bool)
    p = np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)
    unit_fp = np.where(guess, 1.0 - p, 0.0)
    unit_fn = np.where(guess, 0.0, p)
    if order is None:
        order = undecided[np.argsort(-(unit_fp + unit_fn)[undecided].sum(axis=1), kind="stable")]
    order = np.asarray(order, dtype=int)
    if len(order) == 0:
        return None
    removed_fp = np.cumsum(unit_fp[order], axis=0)
    removed_fn = np.cumsum(unit_fn[order], axis=0)
    reviewed = np.arange(1, len(order) + 1)[:, None]
    moved = np.cumsum(guess[order], axis=0)  # model positives that leave the undecided part
    found = moved - removed_fp + removed_fn  # expected positives among the reviewed units
    predicted_left = totals.predicted_positive - moved
    left = totals.undecided - reviewed
    fp = np.clip(totals.fp + fp_fix - removed_fp, 0.0, predicted_left)
    fn = np.clip(totals.fn + fn_fix - removed_fn, 0.0, left - predicted_left)
    tp = totals.positives_decided + found + predicted_left - fp
    tn = totals.negatives_decided + (reviewed - found) + (left - predicted_left) - fn
    kappa = metrics_from_counts(tp, fp, fn, tn)["kappa"]
    with np.errstate(all="ignore"):
        macro = np.nanmean(np.where(np.isfinite(kappa), kappa, np.nan), axis=1)
    reached = np.flatnonzero(macro - margin >= target)
    return int(reached[0]) + 1 if len(reached) else None


def _nanmean(values: np.ndarray) -> float | None:
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if len(finite) else None
