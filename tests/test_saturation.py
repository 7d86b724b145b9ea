"""Saturation: input table, accumulation, Guest et al. (2020) runs, bootstrap, Chao2, plot, check.

Expected numbers are worked out by hand in the comments next to them.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from autocode.errors import AutocodeError
from autocode.saturation import (
    InterviewCodes,
    SaturationInputError,
    SaturationResult,
    TooFewInterviewsError,
    assess_saturation,
    bootstrap_saturation,
    guest_saturation,
    new_codes_per_position,
    random_orders,
)
from autocode.saturation.new_interview import (
    check_new_interview,
    held_out_shares,
    saturation_verdict,
    within_code_threshold,
)
from autocode.saturation.plot import plot_saturation
from autocode.saturation.richness import chao2, chao2_from_frequencies

# Eight interviews, seven codes, one empty interview (I6).
SMALL = {
    "I1": ["A", "B", "C"],
    "I2": ["B", "D"],
    "I3": ["A", "E"],
    "I4": ["C"],
    "I5": ["F"],
    "I6": [],
    "I7": ["B"],
    "I8": ["G"],
}

# Nine interviews; the base (I1-I4) holds 20 codes so that one new code is exactly 5%.
TWENTY = {
    "I1": [f"c{i}" for i in range(1, 11)],  # c1..c10: 10 new
    "I2": [f"c{i}" for i in range(11, 16)],  # c11..c15: 5 new
    "I3": ["c16", "c17", "c18"],  # 3 new
    "I4": ["c19", "c20"],  # 2 new -> base = 20 distinct codes
    "I5": ["c1", "c21"],  # 1 new (c21)
    "I6": ["c2"],  # 0 new
    "I7": ["c3"],  # 0 new
    "I8": ["c22"],  # 1 new
    "I9": ["c4"],  # 0 new
}


def small() -> InterviewCodes:
    return InterviewCodes.from_mapping(SMALL)


def twenty_incidence():
    return InterviewCodes.from_mapping(TWENTY).incidence()


# accumulation


def test_accumulation_in_given_order_by_hand() -> None:
    result = assess_saturation(small(), n_permutations=10)
    # new codes: I1 A,B,C=3; I2 D=1; I3 E=1; I4 0; I5 F=1; I6 0 (empty); I7 0; I8 G=1
    assert [row.new_codes for row in result.interviews] == [3, 1, 1, 0, 1, 0, 0, 1]
    assert result.curve == [3, 4, 5, 5, 6, 6, 6, 7]
    assert result.interviews[4].new_code_ids == ["F"]
    assert result.interviews[5].codes == 0 and result.interviews[5].units == 0
    assert result.empty_interviews == ["I6"]


def test_vectorised_first_occurrence_matches_a_plain_loop() -> None:
    rng = np.random.default_rng(7)
    present = rng.random((12, 30)) < 0.15
    orders = random_orders(12, 25, seed=3)
    expected = np.zeros((25, 12), dtype=int)
    for p, order in enumerate(orders):
        seen: set[int] = set()
        for k, interview in enumerate(order):
            codes = set(np.flatnonzero(present[interview]).tolist())
            expected[p, k] = len(codes - seen)
            seen |= codes
    assert np.array_equal(new_codes_per_position(present, orders), expected)


def test_band_summarises_orderings_and_ends_at_all_codes() -> None:
    result = assess_saturation(small(), n_permutations=300, seed=5)
    band = result.band
    assert len(band.median) == len(band.p5) == len(band.p95) == 8
    assert all(lo <= mid <= hi for lo, mid, hi in zip(band.p5, band.median, band.p95, strict=True))
    # after all 8 interviews every ordering has seen all 7 codes
    assert band.p5[-1] == band.p95[-1] == 7
    # after one interview: one of 3, 2, 2, 1, 1, 0, 1, 1 codes; median of many orders is 1
    assert band.median[0] == 1


def test_same_seed_same_orderings_other_seed_others() -> None:
    first = assess_saturation(small(), n_permutations=200, seed=11).to_dict()
    again = assess_saturation(small(), n_permutations=200, seed=11).to_dict()
    other = assess_saturation(small(), n_permutations=200, seed=12).to_dict()
    assert first == again
    assert (first["band"], first["bootstrap"]) != (other["band"], other["bootstrap"])


def test_thousand_orderings_of_40_by_500_under_two_seconds() -> None:
    present = np.random.default_rng(0).random((40, 500)) < 0.05
    start = time.perf_counter()
    new = new_codes_per_position(present, random_orders(40, 1000, seed=0))
    bootstrap_saturation(new)
    elapsed = time.perf_counter() - start
    assert new.sum(axis=1).tolist() == [int(present.any(axis=0).sum())] * 1000
    assert elapsed < 2.0  # about 0.05 s on the development machine


# Guest, Namey & Chen (2020)


def test_guest_sliding_five_percent() -> None:
    guest = guest_saturation(twenty_incidence(), threshold=0.05)
    assert guest.base_codes == 20
    # sliding runs of 2 after the base: I5-I6, I6-I7, I7-I8, I8-I9
    # new codes:                           1      0      1      1
    # ratio (/20):                       0.05    0    0.05   0.05
    assert [(r.start, r.end, r.new_codes) for r in guest.runs] == [
        (5, 6, 1),
        (6, 7, 0),
        (7, 8, 1),
        (8, 9, 1),
    ]
    assert [r.ratio for r in guest.runs] == [0.05, 0.0, 0.05, 0.05]
    # first run at or below 5% is I5-I6, after 4 interviews: "4+2"
    assert guest.label == "4+2"
    assert guest.saturation_point == 4 and guest.interviews_needed == 6


def test_guest_sliding_zero_threshold_needs_no_new_code() -> None:
    guest = guest_saturation(twenty_incidence(), threshold=0.0)
    # I5-I6 brings 1 new code (5% > 0%); I6-I7 brings none: after 5 interviews -> "5+2"
    assert guest.label == "5+2"
    assert [r.meets_threshold for r in guest.runs] == [False, True, False, False]


def test_guest_threshold_is_inclusive_at_the_boundary_only() -> None:
    # 1/20 = 5% meets 5% ("<="), not 4%; at 4% the first run with 0 new is I6-I7
    assert guest_saturation(twenty_incidence(), threshold=0.04).label == "5+2"


def test_guest_consecutive_runs() -> None:
    consecutive = guest_saturation(twenty_incidence(), threshold=0.05, run_step="consecutive")
    # non-overlapping runs I5-I6 (1 new, 5%), I7-I8 (1 new, 5%); I9 alone is not a full run
    assert [(r.start, r.end, r.new_codes) for r in consecutive.runs] == [(5, 6, 1), (7, 8, 1)]
    assert consecutive.label == "4+2"
    strict = guest_saturation(twenty_incidence(), threshold=0.0, run_step="consecutive")
    # neither run has 0 new codes; I6-I7 (0 new) is not one of the consecutive runs
    assert strict.label == "not reached" and strict.saturation_point is None


def test_guest_small_example_sliding_versus_consecutive() -> None:
    incidence = small().incidence()
    # base I1-I4 = A B C D E = 5 codes
    # sliding:     I5-I6 F -> 1/5 = 20%; I6-I7 none -> 0%: "5+2"
    # consecutive: I5-I6 F -> 20%;       I7-I8 G -> 1/5 = 20%: not reached
    sliding = guest_saturation(incidence)
    assert [r.ratio for r in sliding.runs] == [0.2, 0.0, 0.2]
    assert sliding.label == "5+2"
    assert sliding.runs[0].new_code_ids == ["F"]
    assert sliding.runs[1].interview_ids == ["I6", "I7"]
    consecutive = guest_saturation(incidence, run_step="consecutive")
    assert [r.ratio for r in consecutive.runs] == [0.2, 0.2]
    assert consecutive.label == "not reached"


def test_too_few_interviews_says_how_many() -> None:
    data = InterviewCodes.from_mapping({f"I{i}": ["A"] for i in range(5)})
    with pytest.raises(TooFewInterviewsError) as caught:
        assess_saturation(data)
    message = str(caught.value)
    assert "at least 6 interviews" in message and "5 were given" in message
    assert isinstance(caught.value, AutocodeError) and isinstance(caught.value, ValueError)
    assert "\n" not in message
    with pytest.raises(TooFewInterviewsError, match="at least 9 interviews"):
        assess_saturation(small(), base_size=6, run_length=3)


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"run_step": "overlapping"}, "run_step"),
        ({"base_size": 0}, "base_size"),
        ({"threshold": 1.5}, "threshold"),
        ({"n_permutations": 0}, "n_permutations"),
        ({"min_units_per_interview": 0}, "min_units_per_interview"),
    ],
)
def test_bad_parameters_are_named(options: dict, fragment: str) -> None:
    with pytest.raises(SaturationInputError, match=fragment):
        assess_saturation(small(), **options)


# bootstrap over orderings


def test_bootstrap_of_two_known_orderings() -> None:
    incidence = twenty_incidence()
    orders = np.array([np.arange(9), np.arange(9)[::-1]])
    # reversed order I9..I1 brings new codes 1,1,1,1,2,2,3,5,6: base = 4 codes, and the runs
    # I5-I6 (4 new), I6-I7 (5), I7-I8 (8), I8-I9 (11) are all above 5% -> not reached
    summary = bootstrap_saturation(new_codes_per_position(incidence.present, orders))
    assert summary.n_permutations == 2 and summary.n_reached == 1
    assert summary.share_reached == 0.5
    assert summary.distribution == {4: 1}
    assert summary.median == summary.p5 == summary.p95 == 4


@pytest.mark.parametrize("run_step", ["sliding", "consecutive"])
def test_bootstrap_agrees_with_guest_on_each_reordering(run_step: str) -> None:
    rng = np.random.default_rng(3)
    present = rng.random((10, 25)) < 0.2
    data = InterviewCodes.from_matrix(present)
    orders = random_orders(10, 40, seed=9)
    summary = bootstrap_saturation(
        new_codes_per_position(present, orders), threshold=0.1, run_step=run_step
    )
    points = []
    for order in orders:
        reordered = data.reordered([data.interview_ids[i] for i in order])
        guest = guest_saturation(reordered.incidence(), threshold=0.1, run_step=run_step)
        points.append(guest.saturation_point)
    reached = [p for p in points if p is not None]
    assert summary.n_reached == len(reached) > 0
    assert summary.distribution == {p: reached.count(p) for p in set(reached)}


def test_bootstrap_summary_shape() -> None:
    result = assess_saturation(small(), n_permutations=500, seed=2)
    summary = result.bootstrap
    assert summary.n_permutations == 500
    assert sum(summary.distribution.values()) == summary.n_reached
    assert summary.share_reached == summary.n_reached / 500
    assert 0 < summary.n_reached < 500  # this data saturates in some orders, not all
    assert set(summary.distribution) <= {4, 5, 6}  # sliding run starts for 8 interviews
    assert summary.p5 <= summary.median <= summary.p95


# frequency thresholds


def test_frequency_thresholds_per_interview_and_total() -> None:
    data = InterviewCodes.from_mapping(
        {"I1": {"A": 3, "B": 1}, "I2": {"A": 1, "B": 2, "C": 1}, "I3": {"C": 1}}
    )
    # k=2 per interview: I1 has A (3); I2 has B (2); I3 nothing; C never reaches 2 -> dropped
    per_interview = data.incidence(min_units_per_interview=2)
    assert per_interview.code_ids == ("A", "B") and per_interview.dropped_code_ids == ("C",)
    assert per_interview.present.tolist() == [[True, False], [False, True], [False, False]]
    # totals A=4, B=3, C=2; 3 across the study drops C only, presence otherwise at >= 1 unit
    total = data.incidence(min_units_total=3)
    assert total.code_ids == ("A", "B")
    assert total.present.tolist() == [[True, True], [True, True], [False, False]]
    # both: only A reaches 4 in total, and it has >= 2 units only in I1
    both = data.incidence(min_units_per_interview=2, min_units_total=4)
    assert both.code_ids == ("A",) and both.present[:, 0].tolist() == [True, False, False]


def test_thresholds_flow_into_the_curve() -> None:
    counts = {f"I{i}": {"common": 2, f"rare{i}": 1} for i in range(1, 8)}
    loose = assess_saturation(InterviewCodes.from_mapping(counts), n_permutations=5)
    strict = assess_saturation(
        InterviewCodes.from_mapping(counts), min_units_per_interview=2, n_permutations=5
    )
    assert loose.curve == [2, 3, 4, 5, 6, 7, 8]  # a new singleton code in every interview
    assert strict.curve == [1] * 7  # only "common" reaches 2 units
    assert strict.dropped_codes == [f"rare{i}" for i in range(1, 8)]
    assert strict.saturation_label == "4+2"  # nothing new after the base


# constructors and ordering


def test_from_long_counts_units_dates_and_empty_rows() -> None:
    frame = pd.DataFrame(
        {
            "interview": ["b", "b", "a", "a", "c"],
            "code": ["x", "y", "x", "x", None],
            "units": [2, 1, 1, 3, None],
            "date": ["2024-02-01", "2024-02-01", "2024-01-15", "2024-01-10", "2023-12-01"],
        }
    )
    data = InterviewCodes.from_long(frame)  # "units" is picked up; order of first appearance
    assert data.interview_ids == ("b", "a", "c")
    assert data.to_mapping() == {"b": {"x": 2, "y": 1}, "a": {"x": 4}, "c": {}}
    by_date = InterviewCodes.from_long(frame, date="date")
    assert by_date.interview_ids == ("c", "a", "b")
    explicit = InterviewCodes.from_long(frame, order=["a", "c", "b"])
    assert explicit.interview_ids == ("a", "c", "b")
    assert explicit.empty_interviews == ["c"]


def test_from_long_without_count_column_counts_rows() -> None:
    frame = pd.DataFrame({"doc": ["P1", "P1", "P2"], "tag": ["x", "x", "y"]})
    data = InterviewCodes.from_long(frame, interview="doc", code="tag")
    assert data.to_mapping() == {"P1": {"x": 2}, "P2": {"y": 1}}


@pytest.mark.parametrize(
    ("frame", "options", "fragment"),
    [
        (pd.DataFrame({"interview": ["a"]}), {}, "missing column"),
        (pd.DataFrame({"interview": ["a"], "code": ["x"], "count": [-1]}), {}, "data row 1"),
        (pd.DataFrame({"interview": ["a"], "code": ["x"], "count": [1.5]}), {}, "whole number"),
        (pd.DataFrame({"interview": [None], "code": ["x"]}), {}, "no 'interview'"),
        (pd.DataFrame({"interview": ["a", "b"], "code": ["x", "y"]}), {"order": ["a"]}, "'b'"),
        (
            pd.DataFrame({"interview": ["a"], "code": ["x"], "d": ["not a date"]}),
            {"date": "d"},
            "readable date",
        ),
    ],
)
def test_from_long_rejects_bad_tables(frame: pd.DataFrame, options: dict, fragment: str) -> None:
    with pytest.raises(SaturationInputError, match=fragment):
        InterviewCodes.from_long(frame, **options)


def test_from_matrix_presence_counts_and_missing_cells() -> None:
    frame = pd.DataFrame({"x": [1, 0, np.nan], "y": [2, 1, 0]}, index=pd.Index(["p1", "p2", "p3"]))
    data = InterviewCodes.from_matrix(frame)
    assert data.counts.tolist() == [[1, 2], [0, 1], [0, 0]]
    assert data.empty_interviews == ["p3"]
    array = InterviewCodes.from_matrix(np.array([[True, False], [True, True]]))
    assert array.interview_ids == ("1", "2") and array.code_ids == ("code_1", "code_2")
    dated = InterviewCodes.from_matrix(
        frame, dates={"p1": "2020-03-01", "p2": "2020-01-01", "p3": "2020-02-01"}
    )
    assert dated.interview_ids == ("p2", "p3", "p1")
    with pytest.raises(SaturationInputError, match="whole numbers"):
        InterviewCodes.from_matrix(np.array([[0.5, 1.0]]))
    with pytest.raises(SaturationInputError, match="not numbers"):
        InterviewCodes.from_matrix(pd.DataFrame({"x": ["1", "yes"]}))


def test_reordered_keeps_rows_with_their_ids() -> None:
    data = small().reordered(["I8", "I7", "I6", "I5", "I4", "I3", "I2", "I1"])
    assert data.to_mapping()["I8"] == {"G": 1}
    assert data.interview_ids[0] == "I8"
    with pytest.raises(SaturationInputError, match="leaves out"):
        small().reordered(["I1"])


# Chao2


def test_chao2_with_doubles_by_hand() -> None:
    # 5 interviews; codes found in 1,1,1,2,2,3,5 interviews: S_obs=7, Q1=3, Q2=2, A=4/5
    estimate = chao2_from_frequencies([1, 1, 1, 2, 2, 3, 5], 5)
    assert (estimate.observed, estimate.q1, estimate.q2) == (7, 3, 2)
    # S = 7 + 0.8 * 3^2 / (2*2) = 7 + 1.8 = 8.8
    assert estimate.estimate == pytest.approx(8.8)
    # var = 2 * (0.8/2 * 1.5^2 + 0.64 * 1.5^3 + 0.64/4 * 1.5^4) = 2 * (0.9 + 2.16 + 0.81) = 7.74
    assert estimate.std_error == pytest.approx(math.sqrt(7.74))
    # T = 1.8, K = exp(1.959964 * sqrt(ln(1 + 7.74 / 1.8^2))) = 8.718...
    k = math.exp(1.959964 * math.sqrt(math.log(1 + 7.74 / 3.24)))
    assert estimate.ci_low == pytest.approx(7 + 1.8 / k, rel=1e-6)
    assert estimate.ci_high == pytest.approx(7 + 1.8 * k, rel=1e-6)
    assert estimate.share_observed == pytest.approx(7 / 8.8)


def test_chao2_without_doubles_by_hand() -> None:
    # 4 interviews; frequencies 1,1,1,3,4: S_obs=5, Q1=3, Q2=0, A=3/4
    estimate = chao2_from_frequencies([1, 1, 1, 3, 4], 4)
    # S = 5 + 0.75 * 3 * 2 / 2 = 7.25
    assert estimate.estimate == pytest.approx(7.25)
    # var = 0.75*3*2/2 + 0.5625*3*5^2/4 - 0.5625*3^4/(4*7.25) = 2.25 + 10.546875 - 1.571121
    assert estimate.std_error**2 == pytest.approx(2.25 + 10.546875 - 0.5625 * 81 / 29)
    assert estimate.ci_low > 5 and estimate.ci_high > 7.25


def test_chao2_nothing_undetected_and_matrix_input() -> None:
    # every code in 3 or 4 of 4 interviews: no singletons, the estimate is what was seen
    estimate = chao2_from_frequencies([3, 4], 4)
    assert estimate.estimate == 2 and estimate.share_observed == 1
    assert estimate.ci_low == 2 and estimate.ci_high > 2
    matrix = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]])  # frequencies 3, 1, 1
    assert chao2(matrix) == chao2_from_frequencies([3, 1, 1], 4)
    empty = chao2(np.zeros((3, 0)))
    assert empty.estimate == 0 and math.isnan(empty.share_observed)


# result: JSON, plot


def test_result_json_round_trip() -> None:
    result = assess_saturation(small(), n_permutations=50, seed=4)
    data = result.to_dict()
    text = json.dumps(data, allow_nan=False)  # fails on numpy types or NaN
    loaded = json.loads(text)
    assert loaded == data
    assert SaturationResult.from_dict(loaded).to_dict() == data
    assert loaded["guest"]["label"] == "5+2" and loaded["curve"][-1] == 7
    assert loaded["chao2"]["observed"] == 7
    assert loaded["bootstrap"]["distribution"] == {
        str(k): v for k, v in result.bootstrap.distribution.items()
    }


def test_undefined_ratio_becomes_null_in_json() -> None:
    # the base (4 empty interviews) has no code, so every ratio is undefined
    data = InterviewCodes.from_mapping({"a": [], "b": [], "c": [], "d": [], "e": ["x"], "f": []})
    result = assess_saturation(data, n_permutations=5)
    assert result.saturation_label == "not reached"
    assert (
        json.loads(json.dumps(result.to_dict(), allow_nan=False))["guest"]["runs"][0]["ratio"]
        is None
    )


def test_plot_writes_a_png(tmp_path: Path) -> None:
    result = assess_saturation(InterviewCodes.from_mapping(TWENTY), n_permutations=100)
    path = plot_saturation(result, tmp_path / "saturation.png")
    assert path.stat().st_size > 20_000
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (1200, 975)  # 8 x 6.5 inches at 150 dpi
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
        assert len(np.unique(pixels, axis=0)) > 50  # not a blank canvas


# new interview against a clustered baseline


def _cluster(
    rng: np.random.Generator, direction: list[float], n: int, scale: float = 0.05
) -> np.ndarray:
    """Points around `direction`; new units get a smaller scale so they sit well inside."""
    return np.asarray(direction) + rng.normal(scale=scale, size=(n, len(direction)))


def test_new_interview_check_in_two_dimensions() -> None:
    rng = np.random.default_rng(0)
    baseline = np.vstack([_cluster(rng, [1, 0], 20), _cluster(rng, [0, 1], 20)])
    labels = np.array([0] * 20 + [1] * 20)
    inside = [_cluster(rng, [1, 0], 6, 0.005), _cluster(rng, [0, 1], 3, 0.005)]
    new = np.vstack([*inside, [[-1, -0.1], [-1, 0]]])
    check = check_new_interview(baseline, labels, new, interview_id="P9")
    # the two units pointing at (-1, 0) are ~1 from code 1 and ~2 from code 0: far from both
    assert (check.n_units, check.n_within, check.n_far) == (11, 9, 2)
    assert check.nearest_codes[:9] == [0] * 6 + [1] * 3
    assert check.distance_threshold < 0.01
    assert min(check.distances[9:]) > 0.9


def test_new_interview_check_in_three_dimensions_ignores_outliers() -> None:
    rng = np.random.default_rng(1)
    baseline = np.vstack(
        [_cluster(rng, d, 15) for d in ([1, 0, 0], [0, 1, 0], [0, 0, 1])] + [[[1, 1, 1]]]
    )
    labels = np.array([3] * 15 + [5] * 15 + [8] * 15 + [-1])
    # the outlier at (1,1,1) must not count as a code
    assert within_code_threshold(baseline, labels) < 0.01
    new = np.vstack([_cluster(rng, [0, 0, 1], 4, 0.005), [[1, 1, 1]]])
    check = check_new_interview(baseline, labels, new)
    assert check.n_baseline_codes == 3
    assert (check.n_within, check.n_far) == (4, 1)
    assert check.nearest_codes[:4] == [8] * 4


def test_verdict_paragraph_has_the_numbers() -> None:
    rng = np.random.default_rng(2)
    centres = np.eye(20)
    baseline = np.vstack([_cluster(rng, list(c), 5) for c in centres])
    labels = np.repeat(np.arange(20), 5)
    far = -np.ones((5, 20))
    near = [_cluster(rng, list(centres[i % 20]), 1, 0.005) for i in range(37)]
    new = np.vstack([*near, far])
    check = check_new_interview(baseline, labels, new, interview_id="P13")
    assert (check.n_units, check.n_within, check.n_far) == (42, 37, 5)
    text = saturation_verdict(check, baseline_interviews=12, n_new_codes=1)
    # 1 new code against 20 baseline codes = 5%, at the 5% threshold
    assert "Of the 42 meaning units in interview P13, 37 (88%)" in text
    assert "5 (12%)" in text and "12-interview baseline" in text
    assert "is 5% (1 of 20 codes), at or below the 5% threshold" in text
    strict = saturation_verdict(check, baseline_interviews=12, n_new_codes=1, threshold=0.0)
    assert "above the 0% (no new information) threshold" in strict
    assert "saturation is not supported" in strict
    unassessed = saturation_verdict(check)
    assert "not assessed" in unassessed and "ratio" in unassessed


def test_held_out_shares_flag_the_interview_only_it_talks_about() -> None:
    rng = np.random.default_rng(3)
    # interviews 0 and 1 both talk about codes 0 and 1; interview 2 alone about code 2
    blocks = [(d, code, i) for i in (0, 1) for code, d in enumerate(([1, 0], [0, 1]))]
    blocks.append(([-1, 0], 2, 2))
    vectors = np.vstack([_cluster(rng, d, 10, 0.01) for d, _, _ in blocks])
    labels = np.repeat([code for _, code, _ in blocks], 10)
    interview = np.repeat([i for _, _, i in blocks], 10)
    shares = held_out_shares(vectors, labels, interview)
    assert sorted(shares) == [0, 1, 2]
    assert min(shares[0], shares[1]) >= 0.8 and shares[2] == 0.0
    check = check_new_interview(vectors, labels, _cluster(rng, [1, 0], 4, 0.001))
    text = saturation_verdict(check, reference_shares=list(shares.values()))
    assert "each of the 3 baseline interviews checked the same way" in text
    assert f"range 0% to {max(shares.values()):.0%}" in text
    with pytest.raises(ValueError, match="differ in length"):
        held_out_shares(vectors, labels, interview[:-1])


def test_new_interview_check_rejects_bad_arrays() -> None:
    with pytest.raises(ValueError, match="every label is -1"):
        check_new_interview(np.eye(2), [-1, -1], np.eye(2))
    with pytest.raises(ValueError, match="dimensions"):
        check_new_interview(np.eye(2), [0, 1], np.ones((1, 3)))
    with pytest.raises(ValueError, match="zero"):
        check_new_interview(np.eye(2), [0, 1], np.zeros((1, 2)))


# real data


def test_pdpilot_interviews(testdata: Path) -> None:
    # 7 MAXQDA-coded data-scientist interviews (BSD-3-Clause), one row per coded segment
    path = testdata / "coded" / "pdpilot_ml_interviews" / "derived_coded_segments.csv"
    frame = pd.read_csv(path)
    data = InterviewCodes.from_long(frame, interview="document", code="code_path")
    result = assess_saturation(data, n_permutations=500, seed=0)
    seen: set[str] = set()
    expected_curve = []
    for document in data.interview_ids:
        seen |= set(frame.loc[frame.document == document, "code_path"])
        expected_curve.append(len(seen))
    assert result.curve == expected_curve
    assert result.curve[-1] == 75  # distinct code paths (testdata README)
    assert [row.units for row in result.interviews] == frame.document.value_counts()[
        list(data.interview_ids)
    ].tolist()
    assert len(result.guest.runs) == 2  # 7 interviews: runs 5-6 and 6-7
    assert result.chao2.observed == 75 and result.chao2.estimate >= 75
    assert json.loads(json.dumps(result.to_dict(), allow_nan=False))["curve"] == expected_curve
