"""Code accumulation over interviews, in the given order and over random orderings.

After k interviews, the cumulative number of distinct codes seen so far; the new codes of
interview k are those present in it and in none before. The curve depends on the order of the
interviews, so it is also computed over random orderings (numpy `default_rng(seed)`: the same
seed gives the same orderings), summarised per k by the median and the 5th-95th percentile band
(numpy's linear-interpolation percentiles). Vectorised: for each ordering, the first position of
every code is the argmax of the reordered presence matrix, and a bincount turns those positions
into new codes per position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_CHUNK_CELLS = 1 << 24  # booleans materialised at once when permuting (16 MiB)


def random_orders(n_interviews: int, n_permutations: int, seed: int | None) -> np.ndarray:
    """`n_permutations` random orderings of `range(n_interviews)`, shape (P, n); seeded."""
    rng = np.random.default_rng(seed)
    return rng.permuted(np.tile(np.arange(n_interviews), (n_permutations, 1)), axis=1)


def new_codes_per_position(present: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """New codes at each position of each ordering: shape (P, n) from `present` (n, c).

    For every ordering, the position where each code first appears is the argmax of the
    reordered presence column; a bincount of those positions counts the new codes.
    """
    present = np.asarray(present, dtype=bool)
    orders = np.atleast_2d(np.asarray(orders, dtype=np.intp))
    seen = present[:, present.any(axis=0)]
    n_orders, n = orders.shape
    new = np.zeros((n_orders, n), dtype=np.int64)
    chunk = max(1, _CHUNK_CELLS // max(1, seen.size))
    for start in range(0, n_orders, chunk):
        block = orders[start : start + chunk]
        first = seen[block].argmax(axis=1)
        flat = first + (np.arange(len(block)) * n)[:, None]
        new[start : start + len(block)] = np.bincount(
            flat.ravel(), minlength=len(block) * n
        ).reshape(len(block), n)
    return new


@dataclass(frozen=True)
class AccumulationBand:
    """Cumulative distinct codes after k = 1..n interviews over random orderings."""

    median: list[float]
    p5: list[float]
    p95: list[float]
    mean: list[float]


def accumulation_band(cumulative: np.ndarray) -> AccumulationBand:
    """Median, 5th/95th percentile and mean per column of `cumulative` (orderings x k)."""
    p5, median, p95 = np.percentile(cumulative, [5, 50, 95], axis=0)
    return AccumulationBand(
        median=median.tolist(), p5=p5.tolist(), p95=p95.tolist(), mean=cumulative.mean(0).tolist()
    )


def first_positions(present: np.ndarray) -> dict[int, int]:
    """Column index -> row where the code first appears (codes never present left out)."""
    present = np.asarray(present, dtype=bool)
    columns = np.flatnonzero(present.any(axis=0))
    return dict(zip(columns.tolist(), present[:, columns].argmax(axis=0).tolist(), strict=True))
