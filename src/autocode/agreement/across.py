"""Across all the coders compared: per code (present or absent) and over the codes as categories.

Krippendorff's alpha (nominal, missing values allowed), Fleiss' kappa (over the items every coder
coded), and Gwet's multi-rater percent agreement with its Brennan-Prediger kappa
(`autocode.agreement.multi`). At character level every character is an item: runs of characters
are repeated by their length for the package implementations.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from autocode.agreement.items import CoderItems
from autocode.agreement.multi import (
    counts_from_matrix,
    fleiss_kappa_from_counts,
    free_marginal_kappa,
    observed_agreement,
)
from autocode.agreement.scores import krippendorff_alpha


def _repeated(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Items repeated by their weights (characters), along the last axis; unchanged when all 1."""
    if (weights == 1).all():
        return matrix
    return np.repeat(matrix, weights, axis=-1)


def _nominal_statistics(
    ratings: np.ndarray, weights: np.ndarray, n_categories: int
) -> dict[str, float]:
    """Across-coder statistics of coders x items nominal values (nan where not coded)."""
    counts = counts_from_matrix(ratings, n_categories)
    complete = (~np.isnan(ratings)).all(axis=0)
    agreement = observed_agreement(counts, weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fleiss = fleiss_kappa_from_counts(np.repeat(counts[complete], weights[complete], axis=0))
    return {
        "krippendorff_alpha": krippendorff_alpha(_repeated(ratings, weights)),
        "fleiss_kappa": fleiss,
        "brennan_prediger": float(free_marginal_kappa(agreement, n_categories)),
        "percent_agreement": agreement,
        "n_items": int(weights.sum()),
        "n_items_all_coders": int(weights[complete].sum()),
    }


def across_coders(items: CoderItems, k: int) -> dict[str, Any]:
    """Across-coder statistics for code number `k` (present/absent), and each coder's positives."""
    ratings = np.where(items.covered, items.values[:, :, k], np.nan)
    statistics = _nominal_statistics(ratings, items.weights, 2)
    positives = (items.values[:, :, k] * items.covered * items.weights).sum(axis=1)
    return {
        **statistics,
        "positives": {coder: int(n) for coder, n in zip(items.coders, positives, strict=True)},
    }


def codebook_statistics(items: CoderItems) -> dict[str, Any]:
    """Across-coder statistics over the codes as categories when the codes are mutually
    exclusive (every coded item carries exactly one code for every coder); else nulls."""
    per_item = items.values.sum(axis=2)
    exclusive = bool(((per_item == 1) | ~items.covered).all())
    n_items = int(items.weights.sum())
    empty: dict[str, Any] = {
        "krippendorff_alpha_nominal": None,
        "fleiss_kappa": None,
        "brennan_prediger": None,
        "percent_agreement": None,
        "n_units": n_items,
        "mutually_exclusive": exclusive,
        "n_categories": len(items.code_ids),
    }
    if not exclusive or len(items.code_ids) < 2:
        return empty
    category = np.where(items.covered, items.values.argmax(axis=2), np.nan).astype(np.float64)
    statistics = _nominal_statistics(category, items.weights, len(items.code_ids))
    return {
        **empty,
        "krippendorff_alpha_nominal": statistics["krippendorff_alpha"],
        "fleiss_kappa": statistics["fleiss_kappa"],
        "brennan_prediger": statistics["brennan_prediger"],
        "percent_agreement": statistics["percent_agreement"],
        "n_units_all_coders": statistics["n_items_all_coders"],
    }
