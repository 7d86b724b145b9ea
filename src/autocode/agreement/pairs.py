"""Each pair of coders, per code: Cohen's kappa, percent agreement and Brennan-Prediger kappa,
with percentile intervals from a bootstrap over participants (or transcripts, or respondents).

Statistics follow from weighted 2x2 counts (`autocode.bootstrap.metrics_from_counts`, checked
there against scikit-learn) over the items both coders coded. At unit and document level the
counts are pooled over all items; at character level kappa and agreement are computed per source
and averaged weighted by the source's characters, as NVivo's coding comparison suggests (sources
where kappa is undefined are left out). Brennan-Prediger here is MAXQDA's, with chance agreement
1/2 for a code present or absent.

The bootstrap draws whole groups with replacement (`autocode.bootstrap.group_draws`); a resample
in which a statistic is undefined is skipped for it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from autocode.agreement.items import CoderItems
from autocode.agreement.multi import free_marginal_kappa
from autocode.bootstrap import group_draws, metrics_from_counts

STATISTICS = ("cohen_kappa", "percent_agreement", "brennan_prediger")


@dataclass
class PairScores:
    """Per pair of coders and code: estimates and intervals of each of `STATISTICS`."""

    pairs: list[tuple[str, str]]
    code_ids: list[str]
    estimates: dict[str, np.ndarray]  # statistic -> (pairs, codes)
    lo: dict[str, np.ndarray]
    hi: dict[str, np.ndarray]
    n_items: np.ndarray  # (pairs,) items both coders coded (characters at character level)
    n_groups: int
    n_resamples: int


def coder_pairs(coders: list[str]) -> list[tuple[str, str]]:
    return list(combinations(coders, 2))


def _cell_counts(items: CoderItems, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, ...]:
    """Weighted 2x2 counts per (group, source) cell: (cells, pairs, codes, 4) as tp, fp, fn, tn,
    with each cell's group and source index."""
    cells = pd.MultiIndex.from_arrays([items.groups, items.sources])
    cell_of_item, cell_keys = pd.factorize(cells)
    group_of_cell, _ = pd.factorize(cell_keys.get_level_values(0))
    source_of_cell, _ = pd.factorize(cell_keys.get_level_values(1))
    index = {coder: i for i, coder in enumerate(items.coders)}
    counts = np.zeros((len(cell_keys), len(pairs), len(items.code_ids), 4))
    weights = items.weights.astype(np.float64)
    for p, (a, b) in enumerate(pairs):
        both = items.covered[index[a]] & items.covered[index[b]]
        first, second = items.values[index[a]], items.values[index[b]]
        cell = np.where(first == 1, np.where(second == 1, 0, 2), np.where(second == 1, 1, 3))
        for k in range(4):
            contribution = ((cell == k) & both[:, None]) * weights[:, None]
            np.add.at(counts[:, p, :, k], cell_of_item, contribution)
    return counts, group_of_cell, source_of_cell


def _statistics(
    counts: np.ndarray, times: np.ndarray, source_of_cell: np.ndarray | None
) -> dict[str, np.ndarray]:
    """STATISTICS per resample (rows of `times`, how often each cell is drawn) for counts of
    shape (cells, pairs, codes, 4): pooled over cells, or per source and averaged weighted by
    size when `source_of_cell` is given. Returns arrays of shape (resamples, pairs, codes)."""
    shape = counts.shape[1:]

    def pooled(cells: np.ndarray | slice) -> np.ndarray:
        flat = times[:, cells] @ counts[cells].reshape(counts[cells].shape[0], -1)
        return flat.reshape(len(times), *shape)

    if source_of_cell is None:
        metrics = metrics_from_counts(*np.moveaxis(pooled(slice(None)), -1, 0))
        kappa, agreement = metrics["kappa"], metrics["percent_agreement"]
    else:
        kappas, agreements, sizes = [], [], []
        for source in np.unique(source_of_cell):
            source_counts = pooled(np.flatnonzero(source_of_cell == source))
            metrics = metrics_from_counts(*np.moveaxis(source_counts, -1, 0))
            kappas.append(metrics["kappa"])
            agreements.append(metrics["percent_agreement"])
            sizes.append(source_counts.sum(axis=-1))
        kappa = _weighted_nan_mean(np.stack(kappas), np.stack(sizes))
        agreement = _weighted_nan_mean(np.stack(agreements), np.stack(sizes))
    return {
        "cohen_kappa": kappa,
        "percent_agreement": agreement,
        "brennan_prediger": free_marginal_kappa(agreement, 2),
    }


def _weighted_nan_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mean over the first axis weighted by `weights`, leaving out nan and zero weights."""
    keep = ~np.isnan(values) & (weights > 0)
    total = np.where(keep, weights, 0.0).sum(axis=0)
    summed = np.where(keep, values * weights, 0.0).sum(axis=0)
    out = np.full(total.shape, np.nan)
    np.divide(summed, total, out=out, where=total > 0)
    return out


def pair_scores(
    items: CoderItems, n_resamples: int = 1000, seed: int = 0, confidence: float = 0.95
) -> PairScores:
    """Estimates and bootstrap intervals for every pair of coders and code (module docstring)."""
    if n_resamples < 0:
        raise ValueError("n_resamples must not be negative")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    pairs = coder_pairs(items.coders)
    counts, group_of_cell, source_of_cell = _cell_counts(items, pairs)
    per_source = source_of_cell if items.level == "character" else None
    estimates = {
        name: values[0]
        for name, values in _statistics(counts, np.ones((1, len(counts))), per_source).items()
    }
    n_groups = int(group_of_cell.max()) + 1 if len(group_of_cell) else 0
    shape = (len(pairs), len(items.code_ids))
    lo = {name: np.full(shape, np.nan) for name in STATISTICS}
    hi = {name: np.full(shape, np.nan) for name in STATISTICS}
    if n_resamples and n_groups >= 2:
        times = group_draws(n_groups, n_resamples, seed)[:, group_of_cell]  # (resamples, cells)
        replicates = _statistics(counts, times, per_source)
        tail = (1 - confidence) / 2 * 100
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-nan: undefined in every draw
            for name in STATISTICS:
                lo[name], hi[name] = np.nanpercentile(replicates[name], [tail, 100 - tail], axis=0)
    n_items = counts[:, :, 0, :].sum(axis=(0, -1)) if items.code_ids else np.zeros(len(pairs))
    return PairScores(
        pairs, list(items.code_ids), estimates, lo, hi, n_items, n_groups, n_resamples
    )
