"""What a unit's current codes are expected to cost the corpus, and the blind audit draw.

A unit the reviewer has not decided keeps the model's codes in the finished corpus. Its expected
cost is, per code, the probability that the model's code is wrong there (1 - p where the model
gives the code, p where it does not), weighted by what one error costs that code's kappa: about
1 / (2 N pi (1 - pi)) for a code of prevalence pi, so an error on a rare code costs macro kappa
more than one on a common code. Reviewing the costliest units first removes the most expected
disagreement per decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_AUDIT_SHARE = 0.10
PREVALENCE_FLOOR = 0.01  # a code no one has used yet still counts, as a rare one


def error_cost(proba: np.ndarray, predicted: np.ndarray, prevalence: np.ndarray) -> np.ndarray:
    """Per unit (n): sum over codes of P(the model's code is wrong) / (pi (1 - pi))."""
    p = np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)
    wrong = np.where(np.asarray(predicted, dtype=bool), 1.0 - p, p)
    pi = np.clip(np.asarray(prevalence, dtype=np.float64), PREVALENCE_FLOOR, 1 - PREVALENCE_FLOOR)
    return (wrong / (pi * (1.0 - pi))).sum(axis=1)


def prevalence(decided: np.ndarray, truth: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Each code's expected share of units: the reviewer's codes where decided, the calibrated
    probabilities elsewhere."""
    decided = np.asarray(decided, dtype=bool)
    total = np.asarray(truth, dtype=np.float64)[decided].sum(axis=0)
    total = total + np.clip(np.asarray(proba, dtype=np.float64)[~decided], 0, 1).sum(axis=0)
    return total / max(len(decided), 1)


@dataclass(frozen=True)
class AuditDraw:
    """Which cards are blind audit cards: each card independently with probability `share`,
    drawn from its number and the seed alone (so a restarted review draws the same), and then
    a uniformly random unit among the undecided ones."""

    share: float = DEFAULT_AUDIT_SHARE
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.share < 1.0:
            raise ValueError(f"the audit share must be in [0, 1), got {self.share}")

    def is_audit(self, card_number: int) -> bool:
        if self.share == 0.0:
            return False
        return bool(np.random.default_rng([self.seed, card_number, 1]).random() < self.share)

    def pick(self, card_number: int, undecided: np.ndarray) -> int:
        """One of `undecided` (pool positions), uniformly at random."""
        rng = np.random.default_rng([self.seed, card_number, 2])
        return int(undecided[rng.integers(0, len(undecided))])
