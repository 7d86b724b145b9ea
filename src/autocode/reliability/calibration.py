"""Per-code Platt scaling: p' = sigmoid(a * logit(p) + b), fitted on held-out predictions.

The review's decisions are few (tens to hundreds) and chosen by the queue, so each code's two
parameters are pulled towards the identity (a = 1, b = 0) by a Gaussian prior worth a few
observations: with little data the calibration changes little, with much it follows the data.
Rows carry weights, so that the blind audit cards (a random sample of the undecided units) can
count for as much as the queue's choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, logit

PRIOR_STRENGTH = 2.0  # the prior weighs as much as this many well-placed observations
CLIP = 1e-4


def _logits(proba: np.ndarray) -> np.ndarray:
    return logit(np.clip(np.asarray(proba, dtype=np.float64), CLIP, 1 - CLIP))


@dataclass
class PlattCalibrator:
    """One (slope, intercept) per code column; unfitted, it is the identity."""

    prior_strength: float = PRIOR_STRENGTH
    slope_: np.ndarray | None = field(default=None, repr=False)
    intercept_: np.ndarray | None = field(default=None, repr=False)

    def fit(
        self, proba: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None
    ) -> PlattCalibrator:
        """Fit on held-out probabilities `proba` (n x k) of units whose 0/1 `labels` (n x k)
        are known; `weights` (n) weighs the rows."""
        z = _logits(proba)
        y = np.asarray(labels, dtype=np.float64) > 0.5
        if z.shape != y.shape or z.ndim != 2:
            raise ValueError(f"proba {z.shape} and labels {y.shape} must be equal 2-d shapes")
        w = np.ones(len(z)) if weights is None else np.asarray(weights, dtype=np.float64)
        k = z.shape[1]
        self.slope_, self.intercept_ = np.ones(k), np.zeros(k)
        if len(z) == 0:
            return self
        for j in range(k):
            self.slope_[j], self.intercept_[j] = _fit_one(z[:, j], y[:, j], w, self.prior_strength)
        return self

    def transform(self, proba: np.ndarray) -> np.ndarray:
        z = _logits(proba)
        if self.slope_ is None or self.intercept_ is None:
            return np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)
        return expit(z * self.slope_ + self.intercept_)


def _fit_one(z: np.ndarray, y: np.ndarray, w: np.ndarray, strength: float) -> tuple[float, float]:
    scale = w.sum()
    if scale <= 0:
        return 1.0, 0.0
    weights = w * (len(z) / scale)  # rows count as observations whatever their weights' scale

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = theta
        margin = a * z + b
        p = expit(margin)
        nll = np.sum(weights * (np.logaddexp(0.0, margin) - y * margin))
        penalty = 0.5 * strength * ((a - 1.0) ** 2 + b**2)
        residual = weights * (p - y)
        gradient = np.array(
            [np.sum(residual * z) + strength * (a - 1.0), np.sum(residual) + strength * b]
        )
        return float(nll + penalty), gradient

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    a, b = result.x
    return float(max(a, 0.0)), float(b)  # a probability never runs against its score
