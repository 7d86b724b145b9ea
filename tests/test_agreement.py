"""Agreement statistics against published worked examples, plus the bootstrap's properties."""

from __future__ import annotations

import json
import time
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from autocode.agreement import (
    METRICS,
    agreement_report,
    binary_scores,
    bootstrap_intervals,
    character_agreement,
    cohen_kappa,
    krippendorff_alpha,
    multi_coder_alpha,
    per_label_agreement,
    weighted_mean_kappa,
)
from autocode.bootstrap import metrics_from_counts

NAN = np.nan

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
# Communication, University of Pennsylvania (https://repository.upenn.edu/asc_papers/43).
# Section A, binary data, two observers (Meg, Owen), 10 units, published alpha = 0.095.
# Data as transcribed in SteamPeKa/krippendorffs_alpha, examples/examples_from_article.py.
MEG = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
OWEN = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]

# Section C, nominal data, 4 observers (A-D) x 12 units with missing values; published
# alpha = 0.743 (nominal), 0.849 (interval), 0.815 (ordinal), 0.797 (ratio). Data and values as
# in the `krippendorff` package's doctest of `alpha` (citing the paper, p. 8) and
# choroba/statistics-krippendorff t/02-example.t ("krippendorf_1980"); units as in
# SteamPeKa/krippendorffs_alpha example_C.
EXAMPLE_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]

# Wikipedia's computational example (3 coders x 15 units), nominal 0.691, interval 0.811: the
# `krippendorff` package's doctest and choroba/statistics-krippendorff t/02-example.t.
WIKIPEDIA = [
    [NAN, NAN, NAN, NAN, NAN, 3, 4, 1, 2, 1, 1, 3, 3, NAN, 3],
    [1, NAN, 2, 1, 3, 3, 4, 3, NAN, NAN, NAN, NAN, NAN, NAN, NAN],
    [NAN, NAN, 2, 1, 3, 4, 4, NAN, 2, 1, 1, 3, 3, NAN, 4],
]


def _counts(true: np.ndarray, pred: np.ndarray) -> tuple[int, int, int, int]:
    tp = int(np.sum((true == 1) & (pred == 1)))
    fp = int(np.sum((true == 0) & (pred == 1)))
    fn = int(np.sum((true == 1) & (pred == 0)))
    return tp, fp, fn, len(true) - tp - fp - fn


def _assert_same(actual: float, expected: float) -> None:
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12, equal_nan=True)


# --- Krippendorff's alpha: published examples -------------------------------------------------


def test_alpha_binary_two_observers_krippendorff_2011_section_a() -> None:
    assert round(krippendorff_alpha([MEG, OWEN]), 3) == 0.095
    assert round(binary_scores(MEG, OWEN)["alpha"], 3) == 0.095
    # The 2x2 formula the bootstrap uses gives the same number: 1 - 19 * 4 / (14 * 6).
    tp, fp, fn, tn = _counts(np.array(MEG), np.array(OWEN))
    _assert_same(metrics_from_counts(tp, fp, fn, tn)["alpha"], 1 - 19 * 4 / 84)


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("interval", 0.849), ("ordinal", 0.815), ("ratio", 0.797)],
)
def test_alpha_four_observers_missing_data_krippendorff_2011_section_c(
    level: str, published: float
) -> None:
    assert round(krippendorff_alpha(EXAMPLE_C, level=level), 3) == published


def test_alpha_wikipedia_example() -> None:
    assert round(krippendorff_alpha(WIKIPEDIA), 3) == 0.691
    assert round(krippendorff_alpha(WIKIPEDIA, level="interval"), 3) == 0.811


def test_multi_coder_alpha_from_long_codings_matches_section_c() -> None:
    rows = [
        {"unit": f"u{unit}", "coder": coder, "value": value}
        for coder, values in zip("ABCD", EXAMPLE_C, strict=True)
        for unit, value in enumerate(values, start=1)
        if not np.isnan(value)
    ]
    codings = pd.DataFrame(rows).sample(frac=1.0, random_state=3)  # row order must not matter
    assert round(multi_coder_alpha(codings), 3) == 0.743
    # Nominal values may be strings (theme ids): only equality matters.
    labelled = codings.assign(value=codings["value"].map(lambda v: f"theme-{int(v)}"))
    _assert_same(multi_coder_alpha(labelled), multi_coder_alpha(codings))
    # An explicitly missing value is the same as an absent row.
    with_gap = pd.concat([codings, pd.DataFrame([{"unit": "u11", "coder": "A", "value": None}])])
    _assert_same(multi_coder_alpha(with_gap), multi_coder_alpha(codings))


def test_multi_coder_alpha_rejects_a_unit_coded_twice_by_one_coder() -> None:
    codings = pd.DataFrame(
        {"unit": [1, 1, 1, 2], "coder": ["a", "a", "b", "b"], "value": ["x", "y", "x", "x"]}
    )
    with pytest.raises(ValueError, match="more than once"):
        multi_coder_alpha(codings)
    with pytest.raises(ValueError, match="lacks columns"):
        multi_coder_alpha(codings.drop(columns="coder"))


# --- Cohen's kappa: scikit-learn's and statsmodels' test cases -----------------------------------


def test_kappa_sklearn_test_cohen_kappa_cases() -> None:
    # scikit-learn sklearn/metrics/tests/test_classification.py::test_cohen_kappa:
    # Artstein and Poesio (2008), Table 1, contingency [[20, 20], [10, 50]] -> 0.348.
    y1 = np.array([0] * 40 + [1] * 60)
    y2 = np.array([0] * 20 + [1] * 20 + [0] * 10 + [1] * 50)
    assert round(cohen_kappa(y1, y2), 3) == 0.348
    assert cohen_kappa(y1, y2) == cohen_kappa(y2, y1)
    # Artstein and Poesio (2008), Table 4 (three categories) -> 0.8013.
    y1 = np.array([0] * 46 + [1] * 44 + [2] * 10)
    y2 = np.array([0] * 52 + [1] * 32 + [2] * 16)
    assert round(cohen_kappa(y1, y2), 4) == 0.8013
    # The same test's unweighted case -> 0.9315.
    y2 = np.array([0] * 50 + [1] * 40 + [2] * 10)
    assert round(cohen_kappa(y1, y2), 4) == 0.9315


def test_kappa_statsmodels_test_inter_rater_cases() -> None:
    # statsmodels statsmodels/stats/tests/test_inter_rater.py::TestUnweightedCohens: table10
    # (rows rater 1, columns rater 2) against a SAS printout, kappa 0.4842.
    table10 = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]
    first = [
        row for row, cells in enumerate(table10) for col, k in enumerate(cells) for _ in range(k)
    ]
    second = [col for cells in table10 for col, k in enumerate(cells) for _ in range(k)]
    assert round(cohen_kappa(first, second), 4) == 0.4842
    # test_cohens_kappa_irr: R irr::kappa2(anxiety[, 2:3]) -> -0.006289308 (raters 2 and 3 of
    # the `anxiety` data from R's irr package, as listed in that test file).
    rater2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4]
    rater3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]
    assert cohen_kappa(rater2, rater3) == pytest.approx(-0.006289308, abs=5e-10)


# --- Degenerate cases ---------------------------------------------------------------------------


def test_kappa_degenerate_cases() -> None:
    assert np.isnan(cohen_kappa([1, 1, 1], [1, 1, 1]))
    assert np.isnan(cohen_kappa(["x"] * 4, ["x"] * 4))
    # One constant label each, but different ones: chance agreement 0, observed 0 -> kappa 0.
    assert cohen_kappa([0, 0, 0], [1, 1, 1]) == 0.0
    with pytest.raises(ValueError, match="empty"):
        cohen_kappa([], [])
    with pytest.raises(ValueError, match="items"):
        cohen_kappa([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="missing"):
        cohen_kappa([0, None], [0, 1])


def test_alpha_degenerate_cases() -> None:
    assert np.isnan(krippendorff_alpha([[1, 1, 1], [1, 1, 1]]))
    assert np.isnan(krippendorff_alpha([[2, 2, NAN], [2, NAN, 2]], level="interval"))
    # Variation only in a value no other coder paired with: still no pairable variation.
    assert np.isnan(krippendorff_alpha([[1, 2], [1, NAN]]))
    # No unit coded by two coders at all.
    assert np.isnan(krippendorff_alpha([[1, NAN], [NAN, 2]]))
    with pytest.raises(ValueError, match="empty"):
        krippendorff_alpha(np.empty((2, 0)))
    with pytest.raises(ValueError, match="2-D"):
        krippendorff_alpha([1, 2, 3])
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha(EXAMPLE_C, level="circular")


def test_binary_scores_degenerate_and_invalid() -> None:
    nothing = binary_scores([0, 0, 0], [0, 0, 0])
    for name in ("precision", "recall", "f1", "kappa", "alpha"):
        assert np.isnan(nothing[name]), name
    assert nothing["percent_agreement"] == 1.0
    assert (nothing["support"], nothing["n"]) == (0, 3)
    missed = binary_scores([0, 1, 0], [0, 0, 0])
    assert np.isnan(missed["precision"]) and missed["recall"] == 0.0 and missed["f1"] == 0.0
    with pytest.raises(ValueError, match="0 and 1"):
        binary_scores([0, 2], [0, 1])
    with pytest.raises(ValueError, match="empty"):
        binary_scores([], [])


# --- Per label and macro ------------------------------------------------------------------------


def _label_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    index = [f"item{i}" for i in range(8)]
    y_true = pd.DataFrame(
        {"cheating": [1, 1, 0, 0, 1, 0, 0, 1], "privacy": [0, 0, 0, 0, 0, 0, 0, 0]}, index=index
    )
    y_pred = pd.DataFrame(
        {"cheating": [1, 0, 0, 1, 1, 0, 0, 1], "privacy": [0, 0, 0, 0, 0, 0, 0, 0]}, index=index
    )
    return y_true, y_pred


def test_per_label_agreement_rows_and_nan_aware_macro() -> None:
    y_true, y_pred = _label_frames()
    # Rows in another order and columns swapped: frames are aligned on index and columns.
    table = per_label_agreement(y_true, y_pred.iloc[::-1][["privacy", "cheating"]])
    assert list(table.index) == ["cheating", "privacy", "macro"]
    cheating = binary_scores(y_true["cheating"], y_pred["cheating"])
    for name, value in cheating.items():
        _assert_same(table.at["cheating", name], value)
    assert np.isnan(table.at["privacy", "kappa"]) and table.at["privacy", "percent_agreement"] == 1
    # macro ignores the undefined privacy kappa but averages both percent agreements.
    _assert_same(table.at["macro", "kappa"], cheating["kappa"])
    _assert_same(table.at["macro", "percent_agreement"], (cheating["percent_agreement"] + 1) / 2)
    assert table.at["macro", "support"] == 4 and table.at["macro", "n"] == 8


def test_label_frames_must_line_up() -> None:
    y_true, y_pred = _label_frames()
    with pytest.raises(ValueError, match="label columns differ"):
        per_label_agreement(y_true, y_pred.rename(columns={"privacy": "surveillance"}))
    with pytest.raises(ValueError, match="same items"):
        per_label_agreement(y_true, y_pred.iloc[:-1])
    with pytest.raises(ValueError, match="reserved"):
        renamed = y_true.rename(columns={"privacy": "macro"})
        per_label_agreement(renamed, renamed)


# --- The vectorised 2x2 formulas equal scikit-learn and krippendorff ----------------------------


def test_count_formulas_equal_sklearn_and_krippendorff_on_random_data() -> None:
    degenerate = 0
    for seed in range(80):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(1, 40))
        rate_true, flip = rng.choice([0.0, 0.05, 0.3, 0.5, 1.0]), rng.choice([0.0, 0.1, 0.5])
        true = (rng.random(n) < rate_true).astype(int)
        pred = np.where(rng.random(n) < flip, 1 - true, true)
        fast = metrics_from_counts(*_counts(true, pred))
        # binary_scores is scikit-learn's precision_recall_fscore_support, cohen_kappa_score and
        # krippendorff.alpha behind the documented degenerate-case rules.
        reference = binary_scores(true, pred)
        for name in METRICS:
            _assert_same(fast[name], reference[name])
        if len(set(true) | set(pred)) > 1:
            _assert_same(fast["kappa"], cohen_kappa_score(true, pred))
            alpha = krippendorff.alpha([true, pred], level_of_measurement="nominal")
            _assert_same(fast["alpha"], alpha)
        else:
            degenerate += 1
            assert np.isnan(fast["kappa"]) and np.isnan(fast["alpha"])
    assert 0 < degenerate < 40  # both branches were exercised


# --- Cluster bootstrap ----------------------------------------------------------------------------


def _simulated(
    seed: int, n_groups: int = 30, n_items: int = 150, n_labels: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Multi-label coding where each participant has their own agreement rate."""
    rng = np.random.default_rng(seed)
    groups = np.sort(rng.integers(0, n_groups, n_items))
    prevalence = rng.uniform(0.15, 0.5, n_labels)
    true = (rng.random((n_items, n_labels)) < prevalence).astype(int)
    flip_rate = rng.uniform(0.0, 0.35, n_groups)[groups][:, None]
    pred = np.where(rng.random((n_items, n_labels)) < flip_rate, 1 - true, true)
    labels = [f"theme{j}" for j in range(n_labels)]
    index = [f"excerpt{i}" for i in range(n_items)]
    return (
        pd.DataFrame(true, index=index, columns=labels),
        pd.DataFrame(pred, index=index, columns=labels),
        groups,
    )


def test_bootstrap_matches_a_naive_group_resampling_loop() -> None:
    y_true, y_pred, groups = _simulated(seed=5, n_groups=12, n_items=60, n_labels=3)
    n_resamples, seed = 40, 11
    fast = bootstrap_intervals(y_true, y_pred, groups, n_resamples=n_resamples, seed=seed)
    # The naive loop: draw participants (same generator and draw layout), take all their
    # excerpts, score each label with scikit-learn/krippendorff via binary_scores.
    unique_groups = np.unique(groups)
    draws = np.random.default_rng(seed).integers(0, len(unique_groups), (n_resamples, 12))
    replicates = {name: [] for name in METRICS}
    for drawn in draws:
        rows = np.concatenate([np.flatnonzero(groups == unique_groups[g]) for g in drawn])
        scores = [binary_scores(y_true.iloc[rows, j], y_pred.iloc[rows, j]) for j in range(3)]
        for name in METRICS:
            per_label = [score[name] for score in scores]
            defined = [v for v in per_label if not np.isnan(v)]
            replicates[name].append([*per_label, np.mean(defined) if defined else NAN])
    point = per_label_agreement(y_true, y_pred)
    for name in METRICS:
        values = np.array(replicates[name])
        for j, label in enumerate(fast.index):
            _assert_same(fast.at[label, name], point.at[label, name])
            valid = values[~np.isnan(values[:, j]), j]
            assert fast.at[label, f"{name}_n_valid"] == len(valid)
            lo, hi = np.percentile(valid, [2.5, 97.5])
            _assert_same(fast.at[label, f"{name}_lo"], lo)
            _assert_same(fast.at[label, f"{name}_hi"], hi)


def test_bootstrap_is_deterministic_and_contains_the_estimates() -> None:
    y_true, y_pred, groups = _simulated(seed=1)
    first = bootstrap_intervals(y_true, y_pred, groups, seed=7)
    pd.testing.assert_frame_equal(first, bootstrap_intervals(y_true, y_pred, groups, seed=7))
    assert not first.equals(bootstrap_intervals(y_true, y_pred, groups, seed=8))
    for name in METRICS:
        assert (first[f"{name}_lo"] <= first[name]).all(), name
        assert (first[name] <= first[f"{name}_hi"]).all(), name
        assert (first[f"{name}_hi"] - first[f"{name}_lo"] > 0).all(), name
    narrower = bootstrap_intervals(y_true, y_pred, groups, seed=7, confidence=0.5)
    assert (
        narrower["kappa_hi"] - narrower["kappa_lo"] < first["kappa_hi"] - first["kappa_lo"]
    ).all()


def test_bootstrap_resamples_participants_not_items() -> None:
    # 12 participants x 15 excerpts; the model agrees with all of a participant's excerpts or
    # with none, so the excerpts of a participant are perfectly correlated.
    groups = np.repeat(np.arange(12), 15)
    true = np.tile([1, 0, 1, 0, 0], 36)
    agrees = np.isin(groups, [0, 1, 2, 3, 4, 5, 6, 7, 8])
    frame = pd.DataFrame({"theme": true})
    predicted = pd.DataFrame({"theme": np.where(agrees, true, 1 - true)})
    by_participant = bootstrap_intervals(frame, predicted, groups, n_resamples=2000)
    by_item = bootstrap_intervals(frame, predicted, np.arange(len(true)), n_resamples=2000)
    width = {
        name: (
            table.at["theme", "percent_agreement_hi"] - table.at["theme", "percent_agreement_lo"]
        )
        for name, table in (("participant", by_participant), ("item", by_item))
    }
    # Theory: the sd of the mean of 12 cluster means of 0/1 is about sqrt(15) times the sd over
    # 180 independent items; the participant interval must be far wider.
    assert width["participant"] > 3 * width["item"]
    assert width["participant"] == pytest.approx(2 * 1.96 * np.sqrt(0.75 * 0.25 / 12), rel=0.2)
    assert by_participant.attrs["n_groups"] == 12 and by_item.attrs["n_groups"] == 180


def test_bootstrap_counts_valid_resamples_and_aligns_group_series() -> None:
    y_true, y_pred, groups = _simulated(seed=2, n_groups=10, n_items=50, n_labels=2)
    # A rare label: one positive excerpt; resamples that miss its participant have no recall.
    y_true["rare"] = 0
    y_true.iloc[0, y_true.columns.get_loc("rare")] = 1
    y_pred["rare"] = y_true["rare"]
    table = bootstrap_intervals(y_true, y_pred, groups, n_resamples=500)
    assert 0 < table.at["rare", "recall_n_valid"] < 500
    assert table.at["macro", "recall_n_valid"] == 500  # the other labels keep macro defined
    # A Series of groups is aligned on the index, whatever its order.
    series = pd.Series(groups, index=y_true.index).iloc[::-1]
    pd.testing.assert_frame_equal(
        table, bootstrap_intervals(y_true, y_pred, series, n_resamples=500)
    )
    with pytest.raises(ValueError, match="entries"):
        bootstrap_intervals(y_true, y_pred, groups[:-1])
    with pytest.raises(ValueError, match="missing"):
        bootstrap_intervals(y_true, y_pred, [None, *groups[1:]])


def test_bootstrap_is_fast_enough() -> None:
    y_true, y_pred, groups = _simulated(seed=3)
    start = time.perf_counter()
    bootstrap_intervals(y_true, y_pred, groups, n_resamples=1000)
    assert time.perf_counter() - start < 2.0


def test_agreement_report_is_tidy_and_serialisable() -> None:
    y_true, y_pred, groups = _simulated(seed=4, n_labels=2)
    report = agreement_report(y_true, y_pred, groups, n_resamples=200, seed=1)
    assert list(report.columns) == [
        "label", "metric", "estimate", "lo", "hi", "n_valid", "support", "n",
    ]  # fmt: skip
    assert len(report) == 3 * len(METRICS)
    assert list(report["label"].unique()) == ["theme0", "theme1", "macro"]
    wide = bootstrap_intervals(y_true, y_pred, groups, n_resamples=200, seed=1)
    kappa = report.set_index(["label", "metric"]).loc[("theme1", "kappa")]
    assert (kappa["estimate"], kappa["lo"], kappa["hi"]) == tuple(
        wide.loc["theme1", ["kappa", "kappa_lo", "kappa_hi"]]
    )
    records = json.loads(report.to_json(orient="records"))
    assert records[0]["label"] == "theme0" and records[0]["metric"] == "precision"
    assert report.attrs["n_resamples"] == 200 and report.attrs["confidence"] == 0.95


# --- Character level (NVivo coding comparison) ----------------------------------------------------


def test_character_agreement_nvivo_help_example() -> None:
    # NVivo help, "Run a Coding Comparison query", How is the percentage agreement calculated?:
    # a 1000-character source, 50 characters coded by both users, 150 by only one, 800 by
    # neither -> (800 + 50) / 1000 = 85%. Kappa by hand (NVivo's formula): sum of expected
    # frequencies = 150*100/1000 + 850*900/1000 = 780, K = (850 - 780) / (1000 - 780) = 7/22.
    result = character_agreement([(0, 150)], [(100, 200)], text_length=1000)
    assert (result.both, result.a_only, result.b_only, result.neither) == (50, 100, 50, 800)
    assert result.n_chars == 1000
    assert result.percent_agreement == pytest.approx(0.85)
    assert result.kappa == pytest.approx(7 / 22)
    a = np.zeros(1000, dtype=int)
    a[0:150] = 1
    b = np.zeros(1000, dtype=int)
    b[100:200] = 1
    assert result.kappa == pytest.approx(cohen_kappa_score(a, b))


def test_character_agreement_small_hand_example_and_edges() -> None:
    # text of 10 chars; A codes 0-4 and 3-6 (overlap counts once: 0..5), B codes 4-8.
    # A: 1111110000  B: 0000111100 -> both 2 (4,5), A only 4, B only 2, neither 2.
    result = character_agreement([(0, 4), (3, 6)], [(4, 8)], text_length=10)
    assert (result.both, result.a_only, result.b_only, result.neither) == (2, 4, 2, 2)
    assert result.percent_agreement == pytest.approx(0.4)
    # p_o = 0.4, p_e = 0.6*0.4 + 0.4*0.6 = 0.48 -> kappa = -0.08 / 0.52
    assert result.kappa == pytest.approx(-0.08 / 0.52)
    empty = character_agreement([], [], text_length=5)
    assert np.isnan(empty.kappa) and empty.percent_agreement == 1.0 and empty.neither == 5
    assert character_agreement([(0, 5)], [(0, 5)], 5).percent_agreement == 1.0
    with pytest.raises(ValueError, match="not within"):
        character_agreement([(3, 11)], [], text_length=10)
    with pytest.raises(ValueError, match="pairs of integers"):
        character_agreement([(0.5, 2.0)], [], text_length=10)
    with pytest.raises(ValueError, match="at least 1"):
        character_agreement([], [], text_length=0)
    # Only the characters `within` compare (a reviewer's answered units): 3..9 here.
    part = character_agreement([(0, 4), (3, 6)], [(4, 8)], text_length=10, within=[(3, 9)])
    assert (part.both, part.a_only, part.b_only, part.neither, part.n_chars) == (2, 1, 2, 1, 6)


def test_weighted_mean_kappa_by_source_size() -> None:
    assert weighted_mean_kappa([(0.5, 1000), (1.0, 3000)]) == pytest.approx(0.875)
    # Undefined kappas are skipped, or counted as given (NVivo's K = 1 for complete agreement).
    assert weighted_mean_kappa([(0.5, 1000), (NAN, 3000)]) == pytest.approx(0.5)
    assert weighted_mean_kappa([(0.5, 1000), (NAN, 3000)], undefined_as=1.0) == pytest.approx(0.875)
    assert np.isnan(weighted_mean_kappa([(NAN, 10)]))
    with pytest.raises(ValueError, match="no"):
        weighted_mean_kappa([])
    with pytest.raises(ValueError, match="negative"):
        weighted_mean_kappa([(0.5, -1)])


# --- Real data: two human coders of an open-ended survey question -------------------------------


def _code_sets(frame: pd.DataFrame) -> list[set[str]]:
    code_columns = [c for c in frame.columns if c.startswith("Code ")]
    return [{str(v).strip() for v in row.dropna()} for _, row in frame[code_columns].iterrows()]


def _code_matrix(sets: list[set[str]], codes: list[str]) -> pd.DataFrame:
    return pd.DataFrame([[int(c in s) for c in codes] for s in sets], columns=codes)


def test_two_human_coders_of_the_exam_proctoring_survey(testdata: Path) -> None:
    # Balash et al. (USENIX Security 2023), Q5, primary and secondary coder; rows line up by
    # position (one ResponseId appears twice, so the response id is the cluster).
    folder = testdata / "coded" / "exam_proctoring_survey" / "irr_inputs"
    primary = pd.read_csv(folder / "Yes_and_No_Q5_primary.csv")
    secondary = pd.read_csv(folder / "Yes_and_No_Q5_secondary.csv")
    first_sets, second_sets = _code_sets(primary), _code_sets(secondary)
    codes = sorted(set().union(*first_sets, *second_sets))
    first, second = _code_matrix(first_sets, codes), _code_matrix(second_sets, codes)
    table = per_label_agreement(first, second)
    assert len(table) == len(codes) + 1 and (table["n"] == len(primary)).all()
    # Codes only one coder ever used have precision or recall 0/undefined and kappa <= 0.
    used_by_one = [c for c in codes if first[c].sum() == 0 or second[c].sum() == 0]
    assert used_by_one and (table.loc[used_by_one, "kappa"].fillna(0) <= 0).all()
    # Sparse codes: high raw agreement, far lower chance-corrected agreement.
    assert table.at["macro", "percent_agreement"] > 0.9 > 0.5 > table.at["macro", "kappa"] > 0
    # Long-form multi-coder alpha of the most used code equals the two-coder binary alpha.
    code = table["support"].drop("macro").idxmax()
    long = pd.DataFrame(
        {
            "unit": [*range(len(first)), *range(len(second))],
            "coder": ["primary"] * len(first) + ["secondary"] * len(second),
            "value": [*first[code], *second[code]],
        }
    )
    _assert_same(multi_coder_alpha(long), table.at[code, "alpha"])
    report = agreement_report(first, second, primary["ResponseId"].to_numpy(), n_resamples=300)
    assert report.attrs["n_groups"] == len(primary) - 1
    macro_kappa = report.set_index(["label", "metric"]).loc[("macro", "kappa")]
    assert 0 < macro_kappa["lo"] <= macro_kappa["estimate"] <= macro_kappa["hi"] < 1
