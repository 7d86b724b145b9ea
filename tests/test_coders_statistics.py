"""Multi-coder agreement statistics against published worked examples.

Sources (values as published; the data as transcribed by the packages named):
- Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
  Bulletin 76(5), 378-382: 30 patients, 6 psychiatrists, 5 diagnoses; kappa 0.430, per category
  0.245, 0.245, 0.520, 0.471, 0.566. Data as in statsmodels' test_inter_rater.py (`diagnoses`,
  checked there against R irr::kappam.fleiss: 0.4302445).
- Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories; kappa 0.210
  (statsmodels' test_inter_rater.py, `table1`).
- Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability, section C: 4 observers,
  12 units, nominal values with missing data; alpha 0.743. The same data are `cac.raw4raters` in
  Gwet's irrCAC (Gwet, K. L. 2014, Handbook of Inter-Rater Reliability, 4th ed.), whose README
  reports percent agreement 0.8181818 and Brennan-Prediger 0.77273 (q = 5) for them.
- irrCAC README, `distrib.6raters` (15 subjects, 6 raters, 5 categories): Fleiss 0.4139265,
  Krippendorff's alpha 0.4204384, Brennan-Prediger 0.4388889.
- irrCAC README, `cont3x3abstractors` (2 raters, 3 categories): Cohen's kappa 0.7964094,
  Brennan-Prediger 0.835, percent agreement 0.89.
- Wikipedia, "Cohen's kappa", simple example: 50 proposals, yes/yes 20, yes/no 5, no/yes 10,
  no/no 15: p_o 0.7, kappa 0.4; Brennan-Prediger with q = 2 is then (0.7 - 0.5) / 0.5 = 0.4.
"""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from autocode.agreement import (
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
)
from autocode.agreement.items import CoderItems
from autocode.agreement.pairs import pair_scores

N = np.nan

DIAGNOSES = np.array(
    [
        [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
    ]
).T  # fmt: skip
DIAGNOSIS_KAPPAS = [0.245, 0.245, 0.520, 0.471, 0.566]

WIKIPEDIA_FLEISS = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]  # fmt: skip

KRIPPENDORFF_C = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
        [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
    ]
)

DISTRIB_6RATERS = [
    [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
]  # fmt: skip


def ratings_from_table(table: list[list[int]]) -> np.ndarray:
    """Coders x items from a subjects x categories table of counts (each subject's raters in
    category order: Fleiss, alpha and Brennan-Prediger do not depend on who rated what)."""
    columns = [[k for k, n in enumerate(row) for _ in range(n)] for row in table]
    return np.array(columns).T


def test_fleiss_kappa_of_fleiss_1971_and_per_diagnosis() -> None:
    assert fleiss_kappa(DIAGNOSES) == pytest.approx(0.4302445, abs=1e-7)
    for category, published in enumerate(DIAGNOSIS_KAPPAS, start=1):
        assert fleiss_kappa((category == DIAGNOSES).astype(int)) == pytest.approx(
            published, abs=5e-4
        )


def test_fleiss_kappa_of_the_wikipedia_example_with_14_raters() -> None:
    assert fleiss_kappa(ratings_from_table(WIKIPEDIA_FLEISS)) == pytest.approx(0.2099, abs=1e-4)


def test_gwet_agreement_and_brennan_prediger_with_missing_data() -> None:
    assert percent_agreement(KRIPPENDORFF_C) == pytest.approx(0.8181818, abs=1e-7)
    assert brennan_prediger(KRIPPENDORFF_C, 5) == pytest.approx(0.77273, abs=1e-5)
    assert krippendorff_alpha(KRIPPENDORFF_C) == pytest.approx(0.743, abs=5e-4)
    # Fleiss' kappa only over the units all four coded (2-9): what statsmodels gives for them.
    complete = KRIPPENDORFF_C[:, ~np.isnan(KRIPPENDORFF_C).any(axis=0)]
    assert complete.shape[1] == 8
    expected = statsmodels_fleiss(aggregate_raters(complete.T.astype(int))[0])
    assert fleiss_kappa(KRIPPENDORFF_C) == pytest.approx(expected)


def test_six_raters_of_irrcac() -> None:
    ratings = ratings_from_table(DISTRIB_6RATERS)
    assert fleiss_kappa(ratings) == pytest.approx(0.4139265, abs=1e-7)
    assert krippendorff_alpha(ratings) == pytest.approx(0.4204384, abs=1e-7)
    assert brennan_prediger(ratings, 5) == pytest.approx(0.4388889, abs=1e-7)
    # Randolph's free-marginal kappa is Brennan-Prediger for complete data.
    table = np.array(DISTRIB_6RATERS)
    assert brennan_prediger(ratings, 5) == pytest.approx(statsmodels_fleiss(table, "randolph"))


def test_two_raters_three_categories_of_irrcac() -> None:
    table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    first = [i for i in range(3) for j in range(3) for _ in range(table[i][j])]
    second = [j for i in range(3) for j in range(3) for _ in range(table[i][j])]
    assert cohen_kappa(first, second) == pytest.approx(0.7964094, abs=1e-7)
    assert brennan_prediger([first, second], 3) == pytest.approx(0.835)
    assert percent_agreement([first, second]) == pytest.approx(0.89)


def _pair_items(first: list[int], second: list[int], groups: list[str]) -> CoderItems:
    n = len(first)
    return CoderItems(
        "unit",
        ["human:a", "human:b"],
        ["yes"],
        np.array([first, second], dtype=np.int8)[:, :, None],
        np.ones((2, n), dtype=bool),
        np.ones(n, dtype=np.int64),
        groups,
        ["t"] * n,
        [(i, i + 1) for i in range(n)],
    )


def test_pair_scores_of_the_wikipedia_cohen_example() -> None:
    cells = [(1, 1)] * 20 + [(1, 0)] * 5 + [(0, 1)] * 10 + [(0, 0)] * 15
    items = _pair_items(
        [a for a, _ in cells], [b for _, b in cells], [f"g{i % 10}" for i in range(50)]
    )
    scores = pair_scores(items, n_resamples=200, seed=1)
    assert scores.estimates["cohen_kappa"][0, 0] == pytest.approx(0.4)
    assert scores.estimates["percent_agreement"][0, 0] == pytest.approx(0.7)
    assert scores.estimates["brennan_prediger"][0, 0] == pytest.approx(0.4)
    lo, hi = scores.lo["cohen_kappa"][0, 0], scores.hi["cohen_kappa"][0, 0]
    assert lo < 0.4 < hi and scores.n_groups == 10
    again = pair_scores(items, n_resamples=200, seed=1)
    assert again.lo["cohen_kappa"][0, 0] == lo  # deterministic given the seed
