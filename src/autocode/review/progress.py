"""The progress panel: decisions made, units left, agreement with the suggestions, the current
model's cross-validated agreement with the reviewer with a plain-language hint, and the finished
corpus's estimated agreement with the reviewer, with whether the review can stop."""

from __future__ import annotations

from typing import Any

from autocode.reliability import CorpusEstimate
from autocode.reliability.estimate import DEFAULT_TARGET
from autocode.review.learner import plateau_hint
from autocode.review.state import ReviewState
from autocode.review.training import TrainingResult
from autocode.types import Codebook


class ProgressTracker:
    """Remembers what each retraining measured; `summary` adds what the decisions say."""

    def __init__(self) -> None:
        self.history: list[float | None] = []  # macro kappa after each retraining
        self.last: TrainingResult | None = None
        self.retrainings = 0
        self.error: str | None = None

    def trained(self, result: TrainingResult) -> None:
        self.retrainings += 1
        self.error = result.error
        if result.error is None:
            self.last = result
            self.history.append(result.macro_kappa)

    def summary(
        self,
        state: ReviewState,
        codebook: Codebook,
        *,
        model_version: str,
        retraining: bool,
        next_retrain_in: int,
        units: int = 0,
    ) -> dict[str, Any]:
        labelled = list(state.labels.values())
        answered = [d for d in labelled if not d.audit]  # an audit card showed no suggestion
        agreed = sum(1 for d in answered if set(d.codes) == {code for code, _ in d.suggestion})
        actions = [d.action for d in state.latest.values()]
        kappa = self.last.kappa if self.last is not None else {}
        names = {code.id: code.name for code in codebook.codes}
        return {
            "decisions": len(labelled),
            "flagged": actions.count("flag"),
            "skipped": actions.count("skip"),
            "units_left": state.pending_count(),
            "audited": len(labelled) - len(answered),
            "agreement": {
                "agreed": agreed,
                "answered": len(answered),
                "rate": round(agreed / len(answered), 4) if answered else None,
            },
            "model": {
                "version": model_version,
                "retraining": retraining,
                "next_retrain_in": next_retrain_in,
                "retrainings": self.retrainings,
                "last_seconds": None if self.last is None else self.last.seconds,
                "error": self.error,
            },
            "kappa": [
                {"code": code_id, "name": names.get(code_id, code_id), **row}
                for code_id, row in kappa.items()
            ],
            "macro_kappa": None if self.last is None else self.last.macro_kappa,
            "hint": _hint(self.history, len(labelled)),
            "corpus": corpus_panel(
                None if self.last is None else self.last.estimate, names, len(labelled), units
            ),
        }


def corpus_panel(
    estimate: CorpusEstimate | None, names: dict[str, str], decided: int, units: int
) -> dict[str, Any]:
    """The corpus estimate as the panel, the status endpoint and `autocode status` show it."""
    if estimate is None:
        empty = CorpusEstimate(DEFAULT_TARGET, units, decided, 0, None, None)
        return {**empty.to_dict(), "codes": []}
    panel = estimate.to_dict()
    panel["codes"] = [
        {"code": code_id, "name": names.get(code_id, code_id), **row}
        for code_id, row in estimate.per_code.items()
    ]
    return panel


def _hint(history: list[float | None], decisions: int) -> str:
    if not any(value is not None for value in history):
        return (
            f"{decisions} decision(s) so far: agreement with you is estimated once there are "
            "enough decisions with at least two examples of a code."
        )
    return plateau_hint(history)
