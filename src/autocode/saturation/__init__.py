"""Code saturation over interviews: the whole assessment in one call, and its result.

`assess_saturation(InterviewCodes)` returns a `SaturationResult`: the per-interview table and
accumulation curve in the given order, the median and 5-95% band of the curve over random
orderings (`.accumulation`), Guest, Namey & Chen's (2020) runs and saturation point "N+r" with
its distribution over the same orderings (`.guest`, where the definitions are), and the Chao2
estimate of the total number of codes (`.richness`). `SaturationResult.to_dict()` is plain JSON.
The plot is `.plot`; checking one new interview against a clustered baseline is
`.new_interview`. Where the codes come from (clusters, classifier themes, human coding) is
`.sources` and `.pipeline`; what `autocode saturation` writes is `.outputs` and `.baseline`.

Frequency thresholds (`InterviewCodes.incidence`): a code is present in an interview when it is in
at least `min_units_per_interview` of its units, and only if its units over the whole study reach
`min_units_total`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from autocode.saturation.accumulation import (
    AccumulationBand,
    accumulation_band,
    first_positions,
    new_codes_per_position,
    random_orders,
)
from autocode.saturation.codes import Incidence, InterviewCodes, SaturationInputError
from autocode.saturation.guest import (
    RUN_STEPS,
    GuestAssessment,
    GuestRun,
    SaturationBootstrap,
    TooFewInterviewsError,
    bootstrap_saturation,
    check_guest_parameters,
    guest_saturation,
)
from autocode.saturation.richness import Chao2Estimate, chao2

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


@dataclass(frozen=True)
class SaturationParameters:
    """The options `assess_saturation` ran with, kept with the result."""

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
        """Guest et al.'s label, e.g. "6+2", or "not reached"."""
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
        base_size=base_size,
        run_length=run_length,
        threshold=threshold,
        run_step=run_step,
        min_units_per_interview=min_units_per_interview,
        min_units_total=min_units_total,
        n_permutations=n_permutations,
        seed=seed,
    )
    check_guest_parameters(data.n_interviews, base_size, run_length, threshold, run_step)
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
    first_seen = first_positions(incidence.present)
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
