"""Theme classification: the estimator, its heads, thresholds, novelty gate and saved files.

Imports run one way: `estimator` uses `heads`, `thresholds`, `novelty`, `training_data`, `card`,
`excerpts` and `files`; none of those imports the estimator.
"""

from autocode.classify.card import CARD_FILE, EXCERPTS_FILE, WEIGHTS_FILE
from autocode.classify.estimator import C_GRID, WEAK_WEIGHT_GRID, ThemeClassifier
from autocode.classify.excerpts import ModelExcerpt
from autocode.classify.training_data import LabelsLike, WeakExamples, data_hash, labels_to_frame

__all__ = [
    "CARD_FILE",
    "C_GRID",
    "EXCERPTS_FILE",
    "WEAK_WEIGHT_GRID",
    "WEIGHTS_FILE",
    "LabelsLike",
    "ModelExcerpt",
    "ThemeClassifier",
    "WeakExamples",
    "data_hash",
    "labels_to_frame",
]
