"""Do two codes go together? A 2x2 test per pair of codes over the project's units.

For codes A (row) and B (column): units with both, A only, B only (within the window, when one is
set) and neither. Fisher's exact test when an expected count is below 5, else Pearson's
chi-square with Yates' correction; both two-sided. Holm's adjustment over all pairs of the table
is given beside each p, since a table of k x m codes asks k x m questions at once.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2_contingency, fisher_exact


def pair_tests(
    row_codes: list[str],
    column_codes: list[str],
    counts: np.ndarray,
    row_sizes: np.ndarray,
    column_sizes: np.ndarray,
    n_units: int,
    *,
    skip_diagonal: bool,
) -> list[dict]:
    """One record per pair: observed, expected, odds ratio, test, p and Holm-adjusted p."""
    tests = []
    for i, row in enumerate(row_codes):
        for j, column in enumerate(column_codes):
            if skip_diagonal and row == column:
                continue
            both = int(counts[i, j])
            table = np.array(
                [
                    [both, int(row_sizes[i]) - both],
                    [int(column_sizes[j]) - both, 0],
                ]
            )
            table[1, 1] = n_units - table.sum()
            tests.append({"row": row, "column": column, **_test(table)})
    _holm(tests)
    return tests


def _test(table: np.ndarray) -> dict:
    margins = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True)
    expected = margins / max(table.sum(), 1)
    if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        return {
            "both": int(table[0, 0]),
            "expected": float(expected[0, 0]),
            "test": None,
            "odds_ratio": None,
            "p": None,
        }
    if (expected < 5).any():
        odds, p = fisher_exact(table)
        name = "fisher"
    else:
        _, p, _, _ = chi2_contingency(table, correction=True)
        odds = _odds(table)
        name = "chi-square"
    return {
        "both": int(table[0, 0]),
        "expected": round(float(expected[0, 0]), 4),
        "test": name,
        "odds_ratio": None if not np.isfinite(odds) else round(float(odds), 4),
        "p": float(p),
    }


def _odds(table: np.ndarray) -> float:
    (a, b), (c, d) = table
    return float("inf") if b * c == 0 else (a * d) / (b * c)


def _holm(tests: list[dict]) -> None:
    tested = sorted((t for t in tests if t["p"] is not None), key=lambda t: t["p"])
    m, running = len(tested), 0.0
    for rank, record in enumerate(tested):
        running = max(running, min(1.0, (m - rank) * record["p"]))
        record["p_holm"] = running
    for record in tests:
        record.setdefault("p_holm", None)
