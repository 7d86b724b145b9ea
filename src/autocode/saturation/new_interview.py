"""Does a new interview bring new codes? Its units against a clustered baseline, on arrays only.

The baseline is the units of the interviews coded so far, embedded, with the cluster label of
each (one label per code; -1 = outlier, in no code). A new unit "falls within an existing code"
when its cosine distance to the nearest code CENTROID is at most a threshold taken from the
baseline itself: the `quantile` (default 0.95) of the distances of every baseline member to its
own code's centroid. So 95% of the baseline's own coded units would pass; a new unit beyond it
is further from every code than nearly all units that define the codes.

Centroid, not nearest member: a code is a cluster, and a single stray member would otherwise
let anything near it count as "within" the code; the centroid is also what the threshold
measures, so both sides of the comparison are the same quantity. Centroid = mean of the code's
L2-normalised member vectors, normalised again; cosine distance = 1 - cosine similarity.

Whether the far units form a new code is for the caller to decide (HDBSCAN on them); pass the
number of new clusters to `saturation_verdict`, which then reports Guest et al.'s (2020)
new-information ratio: new codes / codes in the baseline.

What share "within" is typical? `held_out_shares` checks each baseline interview the same way
against the others (centroids and threshold from the other interviews' units; the codes are not
re-clustered without it, so the reference leans high), and the verdict quotes their median and
range beside the new interview's share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

OUTLIER = -1


@dataclass(frozen=True)
class NewInterviewCheck:
    """How the units of one new interview sit against the baseline's codes."""

    interview_id: str
    n_units: int
    n_baseline_codes: int
    distance_threshold: float
    quantile: float
    distances: list[float]
    nearest_codes: list[int]
    n_within: int
    n_far: int

    @property
    def share_within(self) -> float:
        return self.n_within / self.n_units if self.n_units else 0.0


def _unit_rows(vectors: ArrayLike, what: str) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array (units x dimensions), got {matrix.ndim}-D")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    if np.any(norms == 0) or not np.all(np.isfinite(matrix)):
        raise ValueError(f"{what} has zero or non-finite vectors; cosine distance is undefined")
    return matrix / norms


def code_centroids(embeddings: ArrayLike, labels: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Code labels (sorted, outliers left out) and their unit-length centroids."""
    vectors = _unit_rows(embeddings, "baseline embeddings")
    labels = np.asarray(labels)
    if labels.shape != (len(vectors),):
        raise ValueError(f"{len(labels)} labels for {len(vectors)} baseline embeddings")
    codes = np.unique(labels[labels != OUTLIER])
    if codes.size == 0:
        raise ValueError("the baseline has no code: every label is -1 (outlier)")
    centroids = np.stack([vectors[labels == code].mean(axis=0) for code in codes])
    return codes, centroids / np.linalg.norm(centroids, axis=1, keepdims=True)


def within_code_threshold(
    embeddings: ArrayLike, labels: ArrayLike, *, quantile: float = 0.95
) -> float:
    """The `quantile` of baseline members' cosine distances to their own code's centroid."""
    if not 0 < quantile <= 1:
        raise ValueError(f"quantile must be in (0, 1], got {quantile}")
    codes, centroids = code_centroids(embeddings, labels)
    vectors = _unit_rows(embeddings, "baseline embeddings")
    labels = np.asarray(labels)
    members = labels != OUTLIER
    own = centroids[np.searchsorted(codes, labels[members])]
    distances = 1.0 - np.sum(vectors[members] * own, axis=1)
    return float(np.quantile(np.clip(distances, 0.0, 2.0), quantile))


def check_new_interview(
    baseline_embeddings: ArrayLike,
    baseline_labels: ArrayLike,
    new_embeddings: ArrayLike,
    *,
    interview_id: str = "new interview",
    quantile: float = 0.95,
) -> NewInterviewCheck:
    """Distance of each new unit to the nearest baseline code centroid, and how many are far."""
    codes, centroids = code_centroids(baseline_embeddings, baseline_labels)
    threshold = within_code_threshold(baseline_embeddings, baseline_labels, quantile=quantile)
    new = np.asarray(new_embeddings, dtype=np.float64)
    if new.size == 0:
        new = new.reshape(0, centroids.shape[1])
    new = _unit_rows(new, "new interview embeddings") if len(new) else new
    if new.shape[1] != centroids.shape[1]:
        raise ValueError(
            f"new embeddings have {new.shape[1]} dimensions, the baseline {centroids.shape[1]}"
        )
    distances = np.clip(1.0 - new @ centroids.T, 0.0, 2.0)
    nearest = distances.argmin(axis=1) if len(new) else np.zeros(0, dtype=int)
    best = distances[np.arange(len(new)), nearest]
    within = int(np.sum(best <= threshold))
    return NewInterviewCheck(
        interview_id=interview_id,
        n_units=len(new),
        n_baseline_codes=len(codes),
        distance_threshold=threshold,
        quantile=quantile,
        distances=best.tolist(),
        nearest_codes=codes[nearest].tolist(),
        n_within=within,
        n_far=len(new) - within,
    )


def held_out_shares(
    embeddings: ArrayLike,
    labels: ArrayLike,
    interview_of_unit: ArrayLike,
    *,
    quantile: float = 0.95,
) -> dict[int, float]:
    """Share of each baseline interview's units within the codes of the other interviews, keyed
    by the interview's value in `interview_of_unit`.

    Interviews with no units, or whose removal leaves no code, are skipped.
    """
    vectors = np.asarray(embeddings)
    labels = np.asarray(labels)
    interview = np.asarray(interview_of_unit)
    if not len(vectors) == len(labels) == len(interview):
        raise ValueError("embeddings, labels and interviews of the baseline differ in length")
    shares = {}
    for position in np.unique(interview).tolist():
        mine = interview == position
        if not np.any(labels[~mine] != OUTLIER):
            continue
        check = check_new_interview(vectors[~mine], labels[~mine], vectors[mine], quantile=quantile)
        shares[position] = check.share_within
    return shares


def saturation_verdict(
    check: NewInterviewCheck,
    *,
    baseline_interviews: int | None = None,
    n_new_codes: int | None = None,
    threshold: float = 0.05,
    reference_shares: Sequence[float] = (),
) -> str:
    """One paragraph for a methods section, with the numbers of `check`.

    `n_new_codes`: how many new codes the far units formed (e.g. HDBSCAN clusters among them);
    without it the verdict reports the far units but no new-information ratio.
    `reference_shares`: `held_out_shares` of the baseline, quoted for comparison.
    """
    baseline = (
        f"the {baseline_interviews}-interview baseline"
        if baseline_interviews is not None
        else "the baseline"
    )
    n, codes = check.n_units, check.n_baseline_codes
    if n == 0:
        return f"Interview {check.interview_id} has no meaning units to compare with {baseline}."
    text = (
        f"Of the {n} meaning units in interview {check.interview_id}, {check.n_within} "
        f"({check.n_within / n:.0%}) fell within the {codes} existing codes of {baseline} "
        f"(cosine distance to the nearest code centroid at most {check.distance_threshold:.2f}, "
        f"the {check.quantile:.0%} quantile of the baseline's own within-code distances) and "
        f"{check.n_far} ({check.n_far / n:.0%}) lay further from every existing code."
    )
    if reference_shares:
        low, middle, high = np.percentile(reference_shares, [0, 50, 100])
        text += (
            f" For comparison, each of the {len(reference_shares)} baseline interviews checked the"
            f" same way against the others had a median of {middle:.0%} of its units within"
            f" existing codes (range {low:.0%} to {high:.0%})."
        )
    if n_new_codes is None:
        return text + (
            " Whether those units form new codes was not assessed, so no new-information ratio"
            " is reported."
            if check.n_far
            else " No unit suggests a new code."
        )
    ratio = n_new_codes / codes
    limit = f"the {threshold:.0%}{' (no new information)' if threshold == 0 else ''} threshold"
    meets = n_new_codes <= threshold * codes + 1e-9
    plural = "s" if n_new_codes != 1 else ""
    if check.n_far:
        formed = f" Those units formed {n_new_codes} new candidate code{plural}"
    elif n_new_codes:
        formed = f" {n_new_codes} new candidate code{plural} {'were' if plural else 'was'} reported"
    else:
        formed = " No new candidate code was found"
    verdict = (
        "by this criterion the interview adds no meaningful new information"
        if meets
        else "the interview still adds new information, so saturation is not supported"
    )
    relation = "at or below" if meets else "above"
    return text + (
        f"{formed}, so the new-information ratio against {baseline} is {ratio:.0%} "
        f"({n_new_codes} of {codes} codes), {relation} {limit} of Guest, Namey & Chen (2020); "
        f"{verdict}."
    )
