"""Suggestions for every unit from one model version: probabilities and the suggested codes.

Version 0 is the shipped classifier itself (its thresholds, top-1 rule and novelty gate, so the
first cards suggest what `autocode code` stored); later versions are the corpus model retrained
on the reviewer's decisions (calibrated probabilities, and the codes the finished corpus would
give each unit). Codes the model does not know (a code the reviewer just added) get
probability 0 until the next retraining.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from autocode.classify import ThemeClassifier
from autocode.review.corpus_model import CorpusModel


@dataclass(frozen=True)
class Scores:
    """`proba[i, j]`: probability of `code_ids[j]` for pool position i; `suggested[i]`: the
    columns suggested for position i, most probable first."""

    version: str
    code_ids: list[str]
    proba: np.ndarray
    suggested: list[tuple[int, ...]]

    def probability(self, position: int, code_id: str) -> float:
        if code_id not in self.code_ids:
            return 0.0
        return float(self.proba[position, self.code_ids.index(code_id)])

    def suggestion(self, position: int) -> tuple[tuple[str, float], ...]:
        """(code id, probability) of the codes suggested for the unit, most probable first."""
        row = self.proba[position]
        return tuple((self.code_ids[j], round(float(row[j]), 4)) for j in self.suggested[position])

    def aligned(self, code_ids: Sequence[str]) -> np.ndarray:
        """The probabilities with one column per code of `code_ids` (0 for unknown codes)."""
        columns = np.zeros((len(self.proba), len(code_ids)))
        for j, code_id in enumerate(code_ids):
            if code_id in self.code_ids:
                columns[:, j] = self.proba[:, self.code_ids.index(code_id)]
        return columns


def classifier_scores(
    classifier: ThemeClassifier, vectors: np.ndarray, version: str, code_ids: Sequence[str]
) -> Scores:
    """What the shipped classifier suggests for each vector (its own decision rule)."""
    proba_frame, decided_frame = classifier.predict_from_vectors(vectors)
    proba = np.zeros((len(vectors), len(code_ids)))
    chosen = np.zeros((len(vectors), len(code_ids)), dtype=bool)
    for j, code_id in enumerate(code_ids):
        if code_id in proba_frame.columns:
            proba[:, j] = proba_frame[code_id].to_numpy()
            chosen[:, j] = decided_frame[code_id].to_numpy().astype(bool)
    return Scores(version, list(code_ids), proba, _ranked(proba, chosen))


def corpus_scores(model: CorpusModel, version: str) -> Scores:
    """What a corpus model suggests: its calibrated probabilities, and the codes it would give
    each unit in the finished corpus (each code's kappa cut-off)."""
    proba = np.asarray(model.proba, dtype=np.float64)
    return Scores(version, list(model.code_ids), proba, _ranked(proba, model.predicted))


def _ranked(proba: np.ndarray, chosen: np.ndarray) -> list[tuple[int, ...]]:
    order = np.argsort(-proba, axis=1, kind="stable")
    return [
        tuple(int(j) for j in row if flags[j]) for row, flags in zip(order, chosen, strict=True)
    ]
