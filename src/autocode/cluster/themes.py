"""The theme a candidate code maps to, and how far its units are from the hand-coded excerpts.

Theme mapping: a code's probability for a theme is the mean of its units' probabilities from the
ThemeClassifier. That is on the scale of the per-unit thresholds the classifier chose, and it is
not over-confident the way the classifier applied to a centroid is (the centroid averages away
what is not shared). The classifier's own decision rule is applied to that mean, as to a unit:
the code maps to the most probable of the themes it gives. For a classifier that always gives
its top theme (`min_themes` >= 1, as the shipped one) that is the most probable theme; for one
with `min_themes` = 0 it is the most probable theme that reaches its threshold, and a code with
none is "no theme: possible new theme" (`runner_up` then names the nearest theme). Requiring the
threshold of a top-1 classifier instead (the earlier rule) left codes of the themes with high
thresholds unmapped and sent them to the low-threshold ones: on the seed utterances with
out-of-fold probabilities, 6 of 13 codes matched their majority human theme, against 9 of 13
now (benchmarks/results/theme_mapping.json).

A classifier trained on one study has seen nothing else, and its probabilities far from its
training data are extrapolation: the seed classifier gives sentences about cooking 0.60 for T2
(threshold 0.45) and a French-language code 0.48 for T3. Given `reference_vectors` (embeddings
of the hand-coded excerpts it was trained on), each unit's cosine similarity to its nearest
reference is computed, and a code whose median unit is below `novelty_similarity` (0.25) is a
possible new theme whatever the classifier says. The median ignores the odd in-domain unit that
joins an off-topic code (a centroid does not). Measured against the seed excerpts: cooking 0.20,
a French-language code 0.17; codes of other interviews about ML 0.26 and up (PDPilot 0.27 and
up), exam-proctoring answers 0.30 and up. It catches clearly foreign material, not every change
of subject.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from autocode.numeric import unit_rows

if TYPE_CHECKING:
    from autocode.classify import ThemeClassifier

ThemeMapping = tuple[str | None, float | None, str | None, float | None]


def nearest_similarity(vectors: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Each row's cosine similarity to its most similar reference, in bounded memory."""
    references = unit_rows(references)
    step = max(1, 2**24 // max(1, len(references)))
    return np.concatenate(
        [(vectors[i : i + step] @ references.T).max(axis=1) for i in range(0, len(vectors), step)]
        or [np.zeros(0)]
    )


def theme_mapping(
    classifier: ThemeClassifier, proba: pd.DataFrame, members: np.ndarray, novel: bool
) -> ThemeMapping:
    """(theme, probability, runner-up, probability) of a code from its units' probabilities."""
    mean = proba.iloc[members].mean(axis=0)
    given = classifier.decide(mean.to_frame().T).iloc[0].to_numpy().astype(bool)
    order = sorted(range(len(mean)), key=lambda j: (-mean.iloc[j], j))
    confident = [] if novel else [j for j in order if given[j]]
    ids = list(mean.index)
    if confident:
        best = confident[0]
        others = [j for j in order if j != best]
        second = (ids[others[0]], float(mean.iloc[others[0]])) if others else (None, None)
        return ids[best], float(mean.iloc[best]), *second
    return None, None, ids[order[0]], float(mean.iloc[order[0]])
