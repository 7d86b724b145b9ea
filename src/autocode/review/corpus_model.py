"""The model of a review's corpus: the learner retrained on the reviewer's decisions, with
calibrated probabilities and the codes it gives every undecided unit, and the corpus estimate.

One function serves the live review (each background retraining), `autocode status` and the
replay that measures it (`autocode simulate`, benchmarks/corpus_effort.py):

1. fit the ReviewLearner on the base examples (a model's hand-coded excerpts, if any) plus the
   decisions;
2. predict every decided unit out of fold (`CALIBRATION_FOLDS` folds of the decisions, the base
   examples always in training), and fit a per-code Platt calibration on the predictions of the
   decided units that were not audit cards (the audit then checks that calibration from outside,
   `autocode.reliability.estimate`);
3. give each undecided unit the codes whose calibrated probability reaches 0.5 (or, with
   `kappa_cutoffs`, the code's cut-off that maximises the corpus's expected kappa,
   `autocode.reliability.decision`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold

from autocode.reliability import CorpusEstimate, PlattCalibrator, estimate_corpus
from autocode.reliability.decision import kappa_cutoffs
from autocode.reliability.estimate import DEFAULT_TARGET
from autocode.reliability.queue import error_cost, prevalence
from autocode.review.learner import DEFAULT_C, ReviewLearner

CALIBRATION_FOLDS = 5


@dataclass(frozen=True)
class LearnerSettings:
    """The learner's levers. Each was replayed on the six benchmark datasets' pools (never their
    evaluation rows; benchmarks/corpus_effort.py, "ablation"), and the defaults are what lowered
    the share of decisions there: calibration on; near-duplicate evidence, kappa cut-offs,
    lexical features and weaker regularisation each raised it slightly, so they stay off."""

    neighbours: bool = False
    calibrate: bool = True
    kappa_cutoffs: bool = False
    c: float = DEFAULT_C

    def learner(self, code_ids: list[str], seed: int) -> ReviewLearner:
        return ReviewLearner(list(code_ids), seed=seed, neighbours=self.neighbours, c=self.c)


@dataclass(frozen=True)
class CorpusModel:
    """For every pool unit: the codes the corpus gives it if undecided and the calibrated
    probabilities; for the decided units (in `decided` order): out-of-fold ones."""

    code_ids: list[str]
    learner: ReviewLearner
    predicted: np.ndarray  # (n, k) bool
    proba: np.ndarray  # (n, k)
    cutoffs: np.ndarray  # (k)
    held_out_predicted: np.ndarray | None  # (m, k), None without calibration
    held_out_proba: np.ndarray | None

    def cost(self, decided: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Each unit's expected cost to the corpus's macro kappa (the corpus queue's score), given
        the decided pool positions and their 0/1 labels."""
        mask, truth = pool_truth(self.proba.shape, decided, labels)
        return error_cost(self.proba, self.predicted, prevalence(mask, truth, self.proba))


def pool_truth(
    shape: tuple[int, int], decided: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(decided mask (n), labels (n x k) with zeros for undecided rows) of the whole pool."""
    positions = np.asarray(decided, dtype=int)
    mask = np.zeros(shape[0], dtype=bool)
    mask[positions] = True
    truth = np.zeros(shape)
    truth[positions] = np.asarray(labels, dtype=np.float64)
    return mask, truth


def fit_corpus_model(
    pool_vectors: np.ndarray,
    decided: np.ndarray,
    labels: np.ndarray,
    audited: np.ndarray,
    code_ids: list[str],
    *,
    base_vectors: np.ndarray | None = None,
    base_labels: np.ndarray | None = None,
    settings: LearnerSettings | None = None,
    seed: int = 0,
) -> CorpusModel:
    """decided (m): pool positions the reviewer decided, labels (m x k) their 0/1 codes,
    audited (m) bool: which of them were blind audit cards."""
    settings = settings or LearnerSettings()
    x = np.asarray(pool_vectors, dtype=np.float64)
    decided = np.asarray(decided, dtype=int)
    y = np.asarray(labels, dtype=np.float64) > 0.5
    audited = np.asarray(audited, dtype=bool)
    k = len(code_ids)
    bx = np.zeros((0, x.shape[1])) if base_vectors is None else np.asarray(base_vectors)
    by = np.zeros((0, k), dtype=bool) if base_labels is None else np.asarray(base_labels) > 0.5
    learner = settings.learner(code_ids, seed).fit(np.vstack([bx, x[decided]]), np.vstack([by, y]))
    raw = learner.predict_proba(x)
    if not settings.calibrate or len(decided) < 2:
        cutoffs = np.full(k, learner.threshold)
        return CorpusModel(list(code_ids), learner, raw >= cutoffs, raw, cutoffs, None, None)
    held_out = np.zeros((len(decided), k))
    splitter = KFold(n_splits=min(CALIBRATION_FOLDS, len(decided)), shuffle=True, random_state=seed)
    for train, test in splitter.split(decided):
        fold = settings.learner(code_ids, seed).fit(
            np.vstack([bx, x[decided[train]]]), np.vstack([by, y[train]])
        )
        held_out[test] = fold.predict_proba(x[decided[test]])
    # Fitted without the audit units: their own labels must not shape the probabilities the
    # audit then checks, or the check would see its own answers and correct too little.
    calibrator = PlattCalibrator().fit(held_out[~audited], y[~audited])
    proba = calibrator.transform(raw)
    held = calibrator.transform(held_out)
    undecided = np.ones(len(x), dtype=bool)
    undecided[decided] = False
    cutoffs = np.full(k, 0.5)
    if settings.kappa_cutoffs:
        cutoffs = kappa_cutoffs(proba[undecided], y.sum(axis=0), (~y).sum(axis=0))
    return CorpusModel(
        list(code_ids), learner, proba >= cutoffs, proba, cutoffs, held >= cutoffs, held
    )


def corpus_estimate(
    model: CorpusModel,
    decided: np.ndarray,
    labels: np.ndarray,
    audited: np.ndarray,
    groups: np.ndarray,
    *,
    target: float = DEFAULT_TARGET,
    order: np.ndarray | None = None,
    seed: int = 0,
) -> CorpusEstimate | None:
    """The corpus estimate for a calibrated model (None for one without calibration).
    groups (m): each decided unit's transcript (audit units are resampled by it)."""
    if model.held_out_proba is None or model.held_out_predicted is None:
        return None
    decided = np.asarray(decided, dtype=int)
    audited = np.asarray(audited, dtype=bool)
    mask, truth = pool_truth(model.proba.shape, decided, labels)
    return estimate_corpus(
        model.code_ids,
        mask,
        truth,
        model.predicted,
        model.proba,
        audit_truth=truth[decided][audited],
        audit_predicted=model.held_out_predicted[audited],
        audit_proba=model.held_out_proba[audited],
        audit_groups=np.asarray(groups)[audited],
        order=order,
        target=target,
        seed=seed,
    )
