"""How reliable a partly reviewed corpus is: the reviewer's decisions plus the model's codes for
the rest, estimated against the reviewer as macro Cohen's kappa, with an interval, and whether
the review can stop.

- `calibration`: per-code Platt scaling of the learner's probabilities, fitted on out-of-fold
  predictions of the decided units.
- `estimate`: the corpus estimate (`estimate_corpus`): expected errors on the undecided units,
  corrected by the blind audit cards, a bootstrap interval, and the decisions still expected.
- `queue`: what each unit's current codes are expected to cost macro kappa (the review order that
  shows the units most likely wrong first), and the draw of audit cards.
"""

from autocode.reliability.calibration import PlattCalibrator
from autocode.reliability.estimate import (
    DEFAULT_TARGET,
    CorpusEstimate,
    check_target,
    estimate_corpus,
)
from autocode.reliability.queue import AuditDraw, error_cost

__all__ = [
    "DEFAULT_TARGET",
    "AuditDraw",
    "CorpusEstimate",
    "PlattCalibrator",
    "check_target",
    "error_cost",
    "estimate_corpus",
]
