"""How many codes are there likely to be? Incidence-based Chao2 estimate of code richness.

Interviews are the sampling units, codes the "species", and a code's incidence frequency is the
number of interviews it is present in. With m interviews, S_obs distinct codes, Q1 codes found in
exactly one interview and Q2 in exactly two, A = (m - 1) / m:

    S_chao2 = S_obs + A * Q1^2 / (2 Q2)          when Q2 > 0
    S_chao2 = S_obs + A * Q1 (Q1 - 1) / 2        when Q2 = 0

Chao, A. (1987). Estimating the population size for capture-recapture data with unequal
catchability. Biometrics 43: 783-791; in this (m - 1)/m form in Chao, Colwell, Lin & Gotelli
(2009), Ecology 90: 1125-1133, and Chao & Chiu (2016), "Species richness: estimation and
comparison", Wiley StatsRef. The variance and the 95% interval follow Anne Chao's own reference
implementation, SpadeR `R/SpecInciChao2.R` (AnneChao/SpadeR @ 52184efd), "Chao2 (Chao, 1987)":

    Q2 > 0:  var = Q2 [ A/2 (Q1/Q2)^2 + A^2 (Q1/Q2)^3 + A^2/4 (Q1/Q2)^4 ]
    Q2 = 0:  var = A Q1 (Q1-1)/2 + A^2 Q1 (2 Q1 - 1)^2 / 4 - A^2 Q1^4 / (4 S_chao2)

and the log-normal interval of Chao (1987) that EstimateS also reports: with T = S_chao2 - S_obs
and K = exp(z sqrt(ln(1 + var / T^2))), [S_obs + T/K, S_obs + T K]. When nothing undetected is
estimated (T = 0: no code in exactly one interview, or one such code and none in two, or a single
interview), SpadeR's interval for that case is used: var = sum_k Q_k (e^-k - e^-2k) -
(sum_k k e^-k Q_k)^2 / m over the observed frequencies k, P = sum_k Q_k e^-k / S_obs, and
[max(S_obs, S_obs/(1-P) - z sqrt(var)/(1-P)), S_obs/(1-P) + z sqrt(var)/(1-P)].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class Chao2Estimate:
    """Chao2 richness: observed codes, estimated total, its standard error and interval."""

    observed: int
    sampling_units: int
    q1: int
    q2: int
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    share_observed: float
    confidence: float = 0.95


def chao2(present: ArrayLike, *, confidence: float = 0.95) -> Chao2Estimate:
    """Chao2 from an interview x code presence matrix (any non-zero counts as present)."""
    matrix = np.asarray(present)
    if matrix.ndim != 2:
        raise ValueError(f"expected an interview x code matrix, got {matrix.ndim}-D")
    return chao2_from_frequencies((matrix != 0).sum(axis=0), matrix.shape[0], confidence=confidence)


def chao2_from_frequencies(
    frequencies: ArrayLike, sampling_units: int, *, confidence: float = 0.95
) -> Chao2Estimate:
    """Chao2 from each code's number of interviews (zeros ignored) and the number of interviews."""
    freq = np.asarray(frequencies, dtype=np.int64)
    freq = freq[freq > 0]
    m = int(sampling_units)
    if m < 1 or (freq.size and freq.max() > m):
        raise ValueError("incidence frequencies must lie between 1 and the number of interviews")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    s_obs, q1, q2 = int(freq.size), int((freq == 1).sum()), int((freq == 2).sum())
    a = (m - 1) / m
    if q2 > 0:
        estimate = s_obs + a * q1**2 / (2 * q2)
        r = q1 / q2
        variance = q2 * (a / 2 * r**2 + a**2 * r**3 + a**2 / 4 * r**4)
    else:
        estimate = s_obs + a * q1 * (q1 - 1) / 2
        variance = 0.0
        if estimate > 0:
            variance = (
                a * q1 * (q1 - 1) / 2
                + a**2 * q1 * (2 * q1 - 1) ** 2 / 4
                - a**2 * q1**4 / (4 * estimate)
            )
    undetected = estimate - s_obs
    if undetected > 0:
        k = math.exp(z * math.sqrt(math.log(1 + max(variance, 0.0) / undetected**2)))
        low, high = s_obs + undetected / k, s_obs + undetected * k
    else:
        variance, low, high = _interval_nothing_undetected(freq, m, z)
    return Chao2Estimate(
        observed=s_obs,
        sampling_units=m,
        q1=q1,
        q2=q2,
        estimate=float(estimate),
        std_error=math.sqrt(max(variance, 0.0)),
        ci_low=float(low),
        ci_high=float(high),
        share_observed=s_obs / estimate if estimate > 0 else math.nan,
        confidence=confidence,
    )


def _interval_nothing_undetected(freq: np.ndarray, m: int, z: float) -> tuple[float, float, float]:
    s_obs = freq.size
    if s_obs == 0:
        return 0.0, 0.0, 0.0
    ks, q = np.unique(freq, return_counts=True)
    decay = np.exp(-ks.astype(float))
    variance = float(np.sum(q * (decay - decay**2)) - np.sum(ks * decay * q) ** 2 / m)
    p = float(np.sum(q * decay)) / s_obs
    spread = z * math.sqrt(max(variance, 0.0)) / (1 - p)
    centre = s_obs / (1 - p)
    return variance, max(float(s_obs), centre - spread), centre + spread
