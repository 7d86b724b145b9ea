"""Code saturation over interviews: accumulation curve, Guest et al. (2020) runs, reorderings.

Input is an `InterviewCodes` table (which codes, in how many units, per interview, in interview
order); `assess_saturation` turns it into a `SaturationResult`. The pieces are public too.

Accumulation. After k interviews, the cumulative number of distinct codes seen so far; the new
codes of interview k are those present in it and in none before. Because the curve depends on
the order of interviews, it is also computed over `n_permutations` random orderings (numpy
`default_rng(seed)`, so the same seed gives the same orderings), summarised per k by the median
and the 5th-95th percentile band (numpy's linear-interpolation percentiles).

Guest, Namey & Chen (2020), "A simple method to assess and report thematic saturation in
qualitative research", PLoS ONE 15(5): e0232076, doi:10.1371/journal.pone.0232076. Three
parameters: base size b (default 4), run length r (default 2), new-information threshold t
(default 0.05; the paper's stricter alternative is 0, "no new information").
Sources read for this module: the abstract (DOAJ record and PubMed/PMC7200005 entries) and
summaries of the paper; the full text could not be consulted here, so the definitions below
follow the paper as summarised there and the project's issue, and are stated so they can be
checked against it:

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
The paper assesses saturation over reorderings of the interviews (bootstrap); here the same
`n_permutations` orderings as the accumulation band give the distribution of N, its median and
5th-95th percentiles among the orderings that reach saturation, and the share that do.

Richness (Chao2) is in `autocode.richness`, the plot in `autocode.saturation_plot`, the check of
one new interview against a clustered baseline in `autocode.new_interview`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from autocode.interview_codes import Incidence, InterviewCodes, SaturationInputError
from autocode.richness import Chao2Estimate, chao2

__all__ = [
    "RUN_STEPS",
    "AccumulationBand",
    "GuestAssessment",
    "GuestRun",
    "Incidence",
    "InterviewCodes",
    "InterviewRow",
    "SaturationBootstrap",
    "SaturationInputError",
    "SaturationParameters",
    "SaturationResult",
    "TooFewInterviewsError",
    "accumulation_band",
    "assess_saturation",
    "bootstrap_saturation",
    "guest_saturation",
    "new_codes_per_position",
    "random_orders",
]

RUN_STEPS = ("sliding", "consecutive")
NOT_REACHED = "not reached"
_TOLERANCE = 1e-9
_CHUNK_CELLS = 1 << 24  # booleans materialised at once when permuting (16 MiB)


class TooFewInterviewsError(SaturationInputError):
    """Fewer interviews than base size + run length."""

    def __init__(self, needed: int, given: int, base_size: int, run_length: int) -> None:
        self.needed, self.given = needed, given
        super().__init__(
            f"saturation by Guest et al. (2020) needs at least {needed} interviews "
            f"(base size {base_size} + run length {run_length}); {given} were given"
        )


# accumulation


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


# Guest et al. (2020)


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


def _check_guest_parameters(
    n_interviews: int, base_size: int, run_length: int, threshold: float, run_step: str
) -> None:
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
    _check_guest_parameters(n, base_size, run_length, threshold, run_step)
    starts = _run_starts(n, base_size, run_length, run_step)
    new = new_codes_per_position(incidence.present, np.arange(n))
    base_codes, run_new, ratio = _run_new_and_ratio(new, base_size, run_length, starts)
    meets = _meets(run_new, base_codes, threshold)[0]
    first_seen = _first_positions(incidence.present)
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


def _first_positions(present: np.ndarray) -> dict[int, int]:
    """Column index -> row where the code first appears (codes never present left out)."""
    present = np.asarray(present, dtype=bool)
    columns = np.flatnonzero(present.any(axis=0))
    return dict(zip(columns.tolist(), present[:, columns].argmax(axis=0).tolist(), strict=True))


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
    _check_guest_parameters(n, base_size, run_length, threshold, run_step)
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


# the whole assessment


@dataclass(frozen=True)
class SaturationParameters:
    base_size: int = 4
    run_length: int = 2
    threshold: float = 0.05
    run_step: str = "sliding"
    min_units_per_interview: int = 1
    min_units_total: int = 1
    n_permutations: int = 1000
    seed: int | None = 0


@dataclass(frozen=True)
class InterviewRow:
    """One interview in the given order (codes counted after the frequency thresholds)."""

    position: int
    interview_id: str
    units: int
    codes: int
    new_codes: int
    new_code_ids: list[str]
    cumulative_codes: int


@dataclass(frozen=True)
class SaturationResult:
    """Everything `assess_saturation` found; `to_dict()` is plain JSON."""

    parameters: SaturationParameters
    interviews: list[InterviewRow]
    band: AccumulationBand
    guest: GuestAssessment
    bootstrap: SaturationBootstrap
    chao2: Chao2Estimate
    empty_interviews: list[str] = field(default_factory=list)
    dropped_codes: list[str] = field(default_factory=list)

    @property
    def curve(self) -> list[int]:
        """Cumulative distinct codes after each interview, in the given order."""
        return [row.cumulative_codes for row in self.interviews]

    @property
    def saturation_label(self) -> str:
        """ "N+r", or "not reached"."""
        return self.guest.label

    def to_dict(self) -> dict[str, Any]:
        """Plain ints, floats, strings, lists and dicts; NaN and infinity become None."""
        data = _plain(asdict(self))
        data["curve"] = self.curve
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SaturationResult:
        """Rebuild from `to_dict()` output (None ratios come back as NaN)."""
        guest = dict(data["guest"])
        guest["runs"] = [
            GuestRun(**{**run, "ratio": _float(run["ratio"])}) for run in guest["runs"]
        ]
        bootstrap = dict(data["bootstrap"])
        bootstrap["distribution"] = {int(k): v for k, v in bootstrap["distribution"].items()}
        chao = {
            k: _float(v) if isinstance(v, float) or v is None else v
            for k, v in data["chao2"].items()
        }
        return cls(
            parameters=SaturationParameters(**data["parameters"]),
            interviews=[InterviewRow(**row) for row in data["interviews"]],
            band=AccumulationBand(**data["band"]),
            guest=GuestAssessment(**guest),
            bootstrap=SaturationBootstrap(**bootstrap),
            chao2=Chao2Estimate(**chao),
            empty_interviews=list(data["empty_interviews"]),
            dropped_codes=list(data["dropped_codes"]),
        )


def assess_saturation(
    data: InterviewCodes,
    *,
    base_size: int = 4,
    run_length: int = 2,
    threshold: float = 0.05,
    run_step: str = "sliding",
    min_units_per_interview: int = 1,
    min_units_total: int = 1,
    n_permutations: int = 1000,
    seed: int | None = 0,
) -> SaturationResult:
    """Accumulation curve, its band over orderings, Guest et al. runs, bootstrap, Chao2.

    Raises `TooFewInterviewsError` when there are fewer than `base_size + run_length`
    interviews, `SaturationInputError` for other unusable parameters.
    """
    parameters = SaturationParameters(
        base_size,
        run_length,
        threshold,
        run_step,
        min_units_per_interview,
        min_units_total,
        n_permutations,
        seed,
    )
    _check_guest_parameters(data.n_interviews, base_size, run_length, threshold, run_step)
    if not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1:
        raise SaturationInputError(f"n_permutations must be >= 1, got {n_permutations!r}")
    incidence = data.incidence(
        min_units_per_interview=min_units_per_interview, min_units_total=min_units_total
    )
    guest_options = dict(
        base_size=base_size, run_length=run_length, threshold=threshold, run_step=run_step
    )
    orders = random_orders(data.n_interviews, n_permutations, seed)
    new_random = new_codes_per_position(incidence.present, orders)
    return SaturationResult(
        parameters=parameters,
        interviews=_interview_rows(data, incidence),
        band=accumulation_band(new_random.cumsum(axis=1)),
        guest=guest_saturation(incidence, **guest_options),
        bootstrap=bootstrap_saturation(new_random, **guest_options),
        chao2=chao2(incidence.present),
        empty_interviews=data.empty_interviews,
        dropped_codes=list(incidence.dropped_code_ids),
    )


def _interview_rows(data: InterviewCodes, incidence: Incidence) -> list[InterviewRow]:
    first_seen = _first_positions(incidence.present)
    rows, cumulative = [], 0
    for i, interview in enumerate(data.interview_ids):
        new_ids = [incidence.code_ids[c] for c, p in first_seen.items() if p == i]
        cumulative += len(new_ids)
        rows.append(
            InterviewRow(
                position=i + 1,
                interview_id=interview,
                units=int(data.counts[i].sum()),
                codes=int(incidence.present[i].sum()),
                new_codes=len(new_ids),
                new_code_ids=new_ids,
                cumulative_codes=cumulative,
            )
        )
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)
