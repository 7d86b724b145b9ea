"""Saturation by Guest, Namey & Chen (2020): base size, run length, new-information threshold.

Guest, Namey & Chen (2020), "A simple method to assess and report thematic saturation in
qualitative research", PLoS ONE 15(5): e0232076, doi:10.1371/journal.pone.0232076. Three
parameters: base size b (default 4), run length r (default 2), new-information threshold t
(default 0.05; the paper's stricter alternative is 0, "no new information").
Sources consulted: the abstract (DOAJ and PubMed/PMC7200005 records) and summaries of the paper
(e.g. study.space); the full text was not available to us, so the definitions below follow the
paper as summarised there and in the project's issue, and are spelled out so that they can be
checked against the paper:

* The base is fixed: the first b interviews. Its number of distinct codes is the denominator of
  every ratio, and stays so however far the runs go.
* A run is r consecutive interviews after the base. Its new information = codes present in the
  run and in no earlier interview (neither the base nor any interview between base and run).
  Ratio = new codes of the run / distinct codes of the base.
* Saturation is reached at the first run whose ratio is at or below t (the paper writes the
  thresholds as "<=5%"; with t = 0 this means the run brought no new code at all). Compared on
  counts, `new <= t * base_codes` (plus 1e-9 for rounding), so 1 new code against a 20-code base
  meets 5%.
* It is reported "N+r": N interviews before the confirming run (the base plus the interviews
  between), then the run of r that added at most t. E.g. "6+2": after 6 interviews, interviews
  7-8 added <= 5%. `saturation_point` is N; N + r interviews were needed to show it.
* Runs advance one interview at a time by default (`run_step="sliding"`: runs 5-6, 6-7, 7-8 ...
  for b=4, r=2). The paper can also be read as non-overlapping runs (`run_step="consecutive"`:
  5-6, 7-8, ...). Trailing interviews too few to fill a whole run are not assessed.
* If the base holds no code the ratio is undefined (NaN with no new code, infinite otherwise) and
  never counts as saturation.
The paper validates the method by reordering the interviews (bootstrap); `bootstrap_saturation`
does the same over any set of orderings (`assess_saturation` uses those of the accumulation band)
and reports the distribution of N, its median and 5th-95th percentiles among the orderings that
reach saturation, and the share of orderings that do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autocode.saturation.accumulation import first_positions, new_codes_per_position
from autocode.saturation.codes import Incidence, SaturationInputError

RUN_STEPS = ("sliding", "consecutive")
NOT_REACHED = "not reached"
_TOLERANCE = 1e-9


class TooFewInterviewsError(SaturationInputError):
    """Fewer interviews than base size + run length."""

    def __init__(self, needed: int, given: int, base_size: int, run_length: int) -> None:
        self.needed, self.given = needed, given
        super().__init__(
            f"saturation by Guest et al. (2020) needs at least {needed} interviews "
            f"(base size {base_size} + run length {run_length}); {given} were given"
        )


@dataclass(frozen=True)
class GuestRun:
    """One run: interviews `start`..`end` (1-based, inclusive) after `start - 1` interviews."""

    start: int
    end: int
    label: str
    interview_ids: list[str]
    new_codes: int
    new_code_ids: list[str]
    ratio: float
    meets_threshold: bool


@dataclass(frozen=True)
class GuestAssessment:
    """The runs in the given order and where saturation was first reached."""

    base_codes: int
    runs: list[GuestRun]
    label: str
    saturation_point: int | None
    interviews_needed: int | None


def check_guest_parameters(
    n_interviews: int, base_size: int, run_length: int, threshold: float, run_step: str
) -> None:
    """Raise `SaturationInputError` (or `TooFewInterviewsError`) for unusable parameters."""
    for name, value in (("base_size", base_size), ("run_length", run_length)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise SaturationInputError(f"{name} must be a whole number >= 1, got {value!r}")
    if not 0.0 <= threshold <= 1.0:
        raise SaturationInputError(f"threshold must be between 0 and 1, got {threshold!r}")
    if run_step not in RUN_STEPS:
        raise SaturationInputError(f"run_step must be one of {RUN_STEPS}, got {run_step!r}")
    if n_interviews < base_size + run_length:
        raise TooFewInterviewsError(base_size + run_length, n_interviews, base_size, run_length)


def _run_starts(n_interviews: int, base_size: int, run_length: int, run_step: str) -> np.ndarray:
    stride = 1 if run_step == "sliding" else run_length
    return np.arange(base_size, n_interviews - run_length + 1, stride)


def _run_new_and_ratio(
    new: np.ndarray, base_size: int, run_length: int, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Base codes (P,), new codes per run (P, R) and their ratio, from new codes per position."""
    cumulative = new.cumsum(axis=1)
    base_codes = cumulative[:, base_size - 1]
    run_new = cumulative[:, starts + run_length - 1] - cumulative[:, starts - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = run_new / base_codes[:, None]
    return base_codes, run_new, ratio


def _meets(run_new: np.ndarray, base_codes: np.ndarray, threshold: float) -> np.ndarray:
    base = base_codes[:, None]
    return (base > 0) & (run_new <= threshold * base + _TOLERANCE)


def guest_saturation(
    incidence: Incidence,
    *,
    base_size: int = 4,
    run_length: int = 2,
    threshold: float = 0.05,
    run_step: str = "sliding",
) -> GuestAssessment:
    """Guest et al. (2020) saturation in the given interview order (definitions: module doc)."""
    n = len(incidence.interview_ids)
    check_guest_parameters(n, base_size, run_length, threshold, run_step)
    starts = _run_starts(n, base_size, run_length, run_step)
    new = new_codes_per_position(incidence.present, np.arange(n))
    base_codes, run_new, ratio = _run_new_and_ratio(new, base_size, run_length, starts)
    meets = _meets(run_new, base_codes, threshold)[0]
    first_seen = first_positions(incidence.present)
    runs = []
    for k, start in enumerate(starts):
        stop = start + run_length
        runs.append(
            GuestRun(
                start=int(start) + 1,
                end=int(stop),
                label=f"{start}+{run_length}",
                interview_ids=list(incidence.interview_ids[start:stop]),
                new_codes=int(run_new[0, k]),
                new_code_ids=[
                    incidence.code_ids[c] for c, p in first_seen.items() if start <= p < stop
                ],
                ratio=float(ratio[0, k]),
                meets_threshold=bool(meets[k]),
            )
        )
    reached = next((run for run in runs if run.meets_threshold), None)
    return GuestAssessment(
        base_codes=int(base_codes[0]),
        runs=runs,
        label=reached.label if reached else NOT_REACHED,
        saturation_point=reached.start - 1 if reached else None,
        interviews_needed=reached.end if reached else None,
    )


@dataclass(frozen=True)
class SaturationBootstrap:
    """Saturation point N over random orderings of the interviews."""

    n_permutations: int
    n_reached: int
    share_reached: float
    median: float | None
    p5: float | None
    p95: float | None
    distribution: dict[int, int]


def bootstrap_saturation(
    new: np.ndarray,
    *,
    base_size: int = 4,
    run_length: int = 2,
    threshold: float = 0.05,
    run_step: str = "sliding",
) -> SaturationBootstrap:
    """Distribution of N ("N+r") over orderings, from `new_codes_per_position` (P, n)."""
    n_orders, n = new.shape
    check_guest_parameters(n, base_size, run_length, threshold, run_step)
    starts = _run_starts(n, base_size, run_length, run_step)
    base_codes, run_new, _ = _run_new_and_ratio(new, base_size, run_length, starts)
    meets = _meets(run_new, base_codes, threshold)
    reached = meets.any(axis=1)
    points = starts[meets.argmax(axis=1)][reached]
    values, counts = np.unique(points, return_counts=True)
    summary: list[float | None] = [None, None, None]
    if points.size:
        summary = np.percentile(points, [50, 5, 95]).tolist()
    return SaturationBootstrap(
        n_permutations=n_orders,
        n_reached=int(reached.sum()),
        share_reached=float(reached.mean()) if n_orders else 0.0,
        median=summary[0],
        p5=summary[1],
        p95=summary[2],
        distribution=dict(zip(values.tolist(), counts.tolist(), strict=True)),
    )
