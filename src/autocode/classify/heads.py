"""Linear classification heads over sentence embeddings: fit to (coef, intercept), score to
probabilities. Plain arrays in and out, so a head saves to safetensors and loads without pickle.

- "ovr": one class-balanced binary logistic regression per theme; a text may have any number of
  themes, including none. Right when the training data holds negatives (transcript units that
  no one coded).
- "softmax": one class-balanced multinomial logistic regression over the themes (plus a "none"
  class when some rows have no theme); rows with several themes count once per theme. Right for
  excerpt corpora such as the seed study's, where every excerpt was quoted for a theme.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

HEADS = ("ovr", "softmax")
ABSENT_LOGIT = -30.0  # a theme with no training example in a fold is never predicted


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
    k, d = targets.shape[1], vectors.shape[1]
    coef = np.zeros((k, d))
    intercept = np.zeros(k)
    for j in range(k):
        y = targets[:, j]
        if y.min() == y.max():  # a theme absent (or everywhere) in this training set
            prior = np.clip(np.average(y, weights=weights), 1e-3, 1 - 1e-3)
            intercept[j] = np.log(prior / (1 - prior))
            continue
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        model.fit(vectors, y, sample_weight=weights)
        coef[j] = model.coef_[0]
        intercept[j] = model.intercept_[0]
    return coef, intercept


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
