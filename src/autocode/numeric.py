"""Two small numeric habits every report and every similarity shares: how a number is shown when
it may be missing, and rows scaled to unit length."""

from __future__ import annotations

import math

import numpy as np

NORM_FLOOR = 1e-12  # a zero row stays zero instead of dividing by zero


def shown(value: float | None, digits: int = 2) -> str:
    """`value` with `digits` decimals, or "n/a" when it is missing or not finite."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def shown_percent(value: float | None) -> str:
    """`value` as a whole percentage, or "n/a" when it is missing or not finite."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    return f"{value:.0%}"


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """`matrix` with each row (last axis) scaled to length 1 (zero rows stay zero)."""
    matrix = np.asarray(matrix)
    if matrix.size == 0:
        return matrix
    return matrix / np.maximum(np.linalg.norm(matrix, axis=-1, keepdims=True), NORM_FLOOR)
