"""Character-level agreement the way NVivo's coding comparison query counts it.

Per source (document) and code, every character is a unit, coded (1) or not (0) by each coder.
NVivo computes kappa and percentage agreement for each source/code pair and leaves averaging to
the user, recommending an average weighted by source size (`weighted_mean_kappa`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from autocode.bootstrap import metrics_from_counts


@dataclass(frozen=True)
class CharacterAgreement:
    """Character-level agreement of two coders for one code in one document."""

    kappa: float
    percent_agreement: float
    both: int
    a_only: int
    b_only: int
    neither: int

    @property
    def n_chars(self) -> int:
        return self.both + self.a_only + self.b_only + self.neither


def character_mask(spans: Iterable[tuple[int, int]], text_length: int, name: str) -> np.ndarray:
    """Boolean vector over the text, True where any span covers the character."""
    pairs = list(spans)
    bounds = np.asarray(pairs) if pairs else np.empty((0, 2), dtype=np.int64)
    if bounds.ndim != 2 or bounds.shape[1] != 2 or bounds.dtype.kind not in "iu":
        raise ValueError(f"{name}: spans must be (start, end) pairs of integers")
    starts, ends = bounds[:, 0].astype(np.int64), bounds[:, 1].astype(np.int64)
    bad = (starts < 0) | (starts > ends) | (ends > text_length)
    if bad.any():
        start, end = bounds[np.argmax(bad)]
        raise ValueError(f"{name}: span ({start}, {end}) is not within 0..{text_length}")
    edges = np.zeros(text_length + 1, dtype=np.int64)
    np.add.at(edges, starts, 1)
    np.add.at(edges, ends, -1)
    return np.cumsum(edges[:-1]) > 0


def character_agreement(
    spans_a: Iterable[tuple[int, int]],
    spans_b: Iterable[tuple[int, int]],
    text_length: int,
    within: Iterable[tuple[int, int]] | None = None,
) -> CharacterAgreement:
    """Agreement of coders A and B on one code in one document, counted per character.

    Spans are (start, end) offsets, end exclusive; overlapping spans of one coder count once.
    `within`: only the characters of these spans are compared (default: the whole text).
    Kappa is nan when neither coder coded anything (or both coded everything), where NVivo's
    help promises K = 1 for complete agreement; see `weighted_mean_kappa(undefined_as=...)`.
    """
    if text_length < 1:
        raise ValueError("text_length must be at least 1 character")
    compared = (
        np.ones(text_length, dtype=bool)
        if within is None
        else character_mask(within, text_length, "within")
    )
    a = character_mask(spans_a, text_length, "spans_a") & compared
    b = character_mask(spans_b, text_length, "spans_b") & compared
    both = int(np.count_nonzero(a & b))
    a_only = int(np.count_nonzero(a & ~b))
    b_only = int(np.count_nonzero(~a & b))
    neither = int(np.count_nonzero(compared)) - both - a_only - b_only
    # A is the first rater (fn = A only), B the second (fp = B only); both metrics are symmetric.
    metrics = metrics_from_counts(both, b_only, a_only, neither)
    return CharacterAgreement(
        kappa=float(metrics["kappa"]),
        percent_agreement=float(metrics["percent_agreement"]),
        both=both,
        a_only=a_only,
        b_only=b_only,
        neither=neither,
    )


def weighted_mean_kappa(
    kappas: Iterable[tuple[float, int]], undefined_as: float | None = None
) -> float:
    """Mean of per-source values weighted by source size: pairs of (kappa, n_chars).

    This is the average NVivo's help suggests across sources (it works the same for percentage
    agreement). Undefined kappas (nan) are left out, or counted as `undefined_as` when given.
    NVivo's help states K = 1 whenever the users agree completely, which would include a source
    neither coded at the code; `undefined_as=1.0` follows that convention (not checked against
    NVivo's own output). Sources of size 0 carry no weight. nan if nothing is left to average.
    """
    pairs = [(float(kappa), int(size)) for kappa, size in kappas]
    if not pairs:
        raise ValueError("no (kappa, n_chars) pairs to average")
    values = np.array([kappa for kappa, _ in pairs])
    sizes = np.array([size for _, size in pairs], dtype=np.float64)
    if (sizes < 0).any():
        raise ValueError("n_chars must not be negative")
    if undefined_as is not None:
        values = np.where(np.isnan(values), undefined_as, values)
    keep = ~np.isnan(values) & (sizes > 0)
    if not keep.any():
        return float("nan")
    return float(np.average(values[keep], weights=sizes[keep]))
