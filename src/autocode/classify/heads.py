"""Linear classification heads over sentence embeddings: fit to (coef, intercept), score to
probabilities. Plain arrays in and out, so a head saves to safetensors and loads without pickle.

- "ovr": one class-balanced binary logistic regression per theme, all fitted together by one
  L-BFGS run (`fit_logistic`); a text may have any number of themes, including none. Right when
  the training data holds negatives (transcript units that no one coded). The review learner is
  this head too.
- "softmax": one class-balanced multinomial logistic regression over the themes (plus a "none"
  class when some rows have no theme); rows with several themes count once per theme. Right for
  excerpt corpora such as the seed study's, where every excerpt was quoted for a theme.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

HEADS = ("ovr", "softmax")
ABSENT_LOGIT = -30.0  # a theme with no training example in a fold is never predicted
PRIOR_CLIP = 1e-3  # a constant theme's probability stays inside (0.001, 0.999)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_head(
    head: str, vectors: np.ndarray, targets: np.ndarray, weights: np.ndarray, c: float
) -> tuple[np.ndarray, np.ndarray]:
    """Fit `head` on rows of `vectors` with 0/1 `targets` (n x k). Returns (coef, intercept);
    a softmax head has one extra last row, the "none" class, whenever a row has no theme."""
    if head == "ovr":
        return _fit_ovr(vectors, targets, weights, c)
    if head == "softmax":
        return _fit_softmax(vectors, targets, weights, c)
    raise ValueError(f"head must be one of {HEADS}, got {head!r}")


def head_proba(
    head: str, vectors: np.ndarray, coef: np.ndarray, intercept: np.ndarray, k: int
) -> np.ndarray:
    """Theme probabilities (n x k) of a fitted head."""
    logits = np.asarray(vectors, dtype=np.float64) @ coef.T + intercept
    if head == "ovr":
        return sigmoid(logits)
    return softmax(logits)[:, :k]


def _fit_ovr(
    vectors: np.ndarray, targets: np.ndarray, weights: np.ndarray, c: float
) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(vectors, dtype=np.float64)
    y = np.asarray(targets) > 0.5
    w = np.asarray(weights, dtype=np.float64)
    k, d = y.shape[1], x.shape[1]
    coef, intercept = np.zeros((k, d)), np.zeros(k)
    positives = y.sum(axis=0)
    fitted = (positives > 0) & (positives < len(x))
    for j in np.flatnonzero(~fitted):  # a theme absent (or everywhere) in this training set
        prior = np.average(y[:, j], weights=w) if len(x) and w.sum() > 0 else 0.0
        prior = float(np.clip(prior, PRIOR_CLIP, 1 - PRIOR_CLIP))
        intercept[j] = np.log(prior / (1 - prior))
    if fitted.any():
        coef[fitted], intercept[fitted] = fit_logistic(x, y[:, fitted], w, c)
    return coef, intercept


def fit_logistic(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, c: float
) -> tuple[np.ndarray, np.ndarray]:
    """k class-balanced L2 logistic regressions (one per column of the 0/1 matrix `y`), fitted
    together by one L-BFGS run: what scikit-learn's LogisticRegression(C=c,
    class_weight="balanced") fits column by column, with the intercept not penalised, several
    times faster. Every column must hold both classes. Returns coef (k x d), intercept (k)."""
    n, d = x.shape
    k = y.shape[1]
    positives = y.sum(axis=0)
    # balanced class weights: n / (2 * count of the row's class), times the row's weight
    row_weight = np.where(y, n / (2.0 * positives), n / (2.0 * (n - positives))) * weights[:, None]
    sign = np.where(y, 1.0, -1.0)

    def loss_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef, intercept = theta[: k * d].reshape(k, d), theta[k * d :]
        margin = sign * (x @ coef.T + intercept)
        loss = c * np.sum(row_weight * np.logaddexp(0.0, -margin)) + 0.5 * np.sum(coef**2)
        slope = -c * row_weight * sign * expit(-margin)
        gradient = np.concatenate([(slope.T @ x + coef).ravel(), slope.sum(axis=0)])
        return float(loss), gradient

    result = minimize(
        loss_and_gradient,
        np.zeros(k * d + k),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 2000, "gtol": 1e-5},
    )
    return result.x[: k * d].reshape(k, d), result.x[k * d :]


def _fit_softmax(
    vectors: np.ndarray, targets: np.ndarray, weights: np.ndarray, c: float
) -> tuple[np.ndarray, np.ndarray]:
    k, d = targets.shape[1], vectors.shape[1]
    rows, classes = np.nonzero(targets)
    unlabelled = np.flatnonzero(targets.sum(axis=1) == 0)
    has_none = len(unlabelled) > 0
    rows = np.concatenate([rows, unlabelled])
    classes = np.concatenate([classes, np.full(len(unlabelled), k)])
    n_classes = k + int(has_none)
    coef = np.zeros((n_classes, d))
    intercept = np.full(n_classes, ABSENT_LOGIT)
    present = np.unique(classes)
    if len(present) == 1:
        intercept[present[0]] = 0.0
        return coef, intercept
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    model.fit(vectors[rows], classes, sample_weight=weights[rows])
    fitted_coef, fitted_intercept = model.coef_, model.intercept_
    if len(present) == 2:  # sklearn fits one binary row: class 1 against class 0
        fitted_coef = np.vstack([-fitted_coef[0] / 2, fitted_coef[0] / 2])
        fitted_intercept = np.array([-fitted_intercept[0] / 2, fitted_intercept[0] / 2])
    coef[model.classes_] = fitted_coef
    intercept[model.classes_] = fitted_intercept
    return coef, intercept
