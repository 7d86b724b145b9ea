"""Agreement among any number of coders on nominal values, item by item.

Data are coders x items matrices as for `krippendorff_alpha`: nominal values of any hashable type,
nan (or None) where a coder did not code an item.

- `percent_agreement`: Gwet's (2014) multi-rater observed agreement: over the items at least two
  coders coded, the mean share of agreeing pairs of coders, sum_k r_ik (r_ik - 1) / (r_i (r_i - 1))
  for r_i values of item i, r_ik of them in category k. For two coders it is the share of items
  they agree on.
- `brennan_prediger`: Brennan & Prediger's (1981) kappa, chance agreement 1/q for q categories:
  (p_o - 1/q) / (1 - 1/q), as MAXQDA reports it (q = 2 for a code present or absent); Randolph's
  free-marginal kappa for more coders.
- `fleiss_kappa`: Fleiss' (1971) kappa (statsmodels) over the items every coder coded; Fleiss'
  formula assumes the same number of ratings per item.

Undefined values are nan: no item with two values; for Fleiss' kappa, no item every coder coded
or one category only (chance agreement 1).
"""

from __future__ import annotations

import numpy as np
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from autocode.agreement.scores import reliability_matrix


def category_counts(reliability_data: object) -> np.ndarray:
    """Items x categories: how many coders gave each item each (nominal) value."""
    data = reliability_matrix(reliability_data, "nominal")
    if data.shape[0] < 2:
        raise ValueError(f"agreement needs at least two coders, got {data.shape[0]}")
    n_categories = int(np.nanmax(data)) + 1 if (~np.isnan(data)).any() else 0
    return counts_from_matrix(data, n_categories)


def counts_from_matrix(data: np.ndarray, n_categories: int) -> np.ndarray:
    """Items x categories counts of a coders x items matrix of category numbers (nan: none)."""
    present = ~np.isnan(data)
    counts = np.zeros((data.shape[1], n_categories), dtype=np.float64)
    coder, item = np.nonzero(present)
    np.add.at(counts, (item, data[coder, item].astype(np.int64)), 1)
    return counts


def percent_agreement(reliability_data: object) -> float:
    """Gwet's multi-rater observed agreement (module docstring); nan when no item has two values."""
    return observed_agreement(category_counts(reliability_data))


def observed_agreement(counts: np.ndarray, weights: np.ndarray | None = None) -> float:
    """`percent_agreement` from an items x categories table of counts (items weighted by
    `weights` when given)."""
    pairable = counts.sum(axis=1) >= 2
    if not pairable.any():
        return float("nan")
    chosen = None if weights is None else weights[pairable]
    return float(np.average(item_agreement(counts[pairable]), weights=chosen))


def item_agreement(counts: np.ndarray) -> np.ndarray:
    """Per item, the share of its pairs of coders that agree."""
    raters = counts.sum(axis=1)
    return (counts * (counts - 1)).sum(axis=1) / (raters * (raters - 1))


def brennan_prediger(reliability_data: object, n_categories: int = 2) -> float:
    """Brennan-Prediger kappa with chance agreement 1/n_categories (module docstring)."""
    if n_categories < 2:
        raise ValueError(f"Brennan-Prediger needs at least 2 categories, got {n_categories}")
    counts = category_counts(reliability_data)
    if counts.shape[1] > n_categories:
        raise ValueError(f"the data hold {counts.shape[1]} categories, more than {n_categories}")
    return free_marginal_kappa(observed_agreement(counts), n_categories)


def free_marginal_kappa(observed: float | np.ndarray, n_categories: int) -> float | np.ndarray:
    """(p_o - 1/q) / (1 - 1/q): agreement beyond chance when each of q categories is as likely."""
    chance = 1.0 / n_categories
    return (observed - chance) / (1.0 - chance)


def fleiss_kappa(reliability_data: object) -> float:
    """Fleiss' kappa over the items every coder coded (statsmodels); nan when undefined."""
    counts = category_counts(reliability_data)
    n_coders = np.asarray(reliability_data, dtype=object).shape[0]
    complete = counts[counts.sum(axis=1) == n_coders]
    return fleiss_kappa_from_counts(complete)


def fleiss_kappa_from_counts(table: np.ndarray) -> float:
    """Fleiss' kappa of an items x categories table whose rows all sum to the number of coders."""
    if len(table) == 0 or np.count_nonzero(table.sum(axis=0)) < 2:
        return float("nan")
    return float(statsmodels_fleiss_kappa(table, method="fleiss"))
