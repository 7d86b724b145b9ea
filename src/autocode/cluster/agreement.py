"""Agreement of candidate codes (or any clustering) with human labels: NMI, ARI and purity.

Used by the benchmarks to compare open coding with the themes human coders gave the same units.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

OUTLIER = -1  # the label autocode.cluster gives units in no code


@dataclass(frozen=True)
class ClusterAgreement:
    """Agreement of a clustering with human labels of the same units."""

    nmi: float
    ari: float
    purity: float
    n_units: int  # units scored
    n_outliers: int  # outliers among the units given
    n_clusters: int  # clusters scored (the outlier cluster included when counted)
    outliers: str  # "one cluster" or "excluded"


def cluster_agreement(
    labels: Sequence[int] | np.ndarray,
    human_labels: Sequence[Hashable],
    include_outliers: bool,
) -> ClusterAgreement:
    """NMI, ARI (scikit-learn) and purity of cluster `labels` (-1 outlier) against human labels.

    With `include_outliers`, all outliers form ONE extra cluster: it is usually mixed, so it lowers
    purity and ARI rather than inflating them (as singleton clusters would, each trivially pure).
    Without, outliers are excluded and the scores describe the clustered units only; read them
    with `n_outliers`. Purity: each cluster's most common human label, summed, over the units.
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    predicted = np.asarray(labels, dtype=int)
    human = np.asarray([str(label) for label in human_labels], dtype=object)
    if len(predicted) != len(human):
        raise ValueError(f"{len(predicted)} cluster labels but {len(human)} human labels")
    n_outliers = int((predicted == OUTLIER).sum())
    if not include_outliers:
        keep = predicted != OUTLIER
        predicted, human = predicted[keep], human[keep]
    if not len(predicted):
        nan = float("nan")
        return ClusterAgreement(nan, nan, nan, 0, n_outliers, 0, "excluded")
    table = pd.crosstab(predicted, human)
    return ClusterAgreement(
        nmi=float(normalized_mutual_info_score(human, predicted)),
        ari=float(adjusted_rand_score(human, predicted)),
        purity=float(table.max(axis=1).sum() / len(predicted)),
        n_units=len(predicted),
        n_outliers=n_outliers,
        n_clusters=len(table),
        outliers="one cluster" if include_outliers else "excluded",
    )
