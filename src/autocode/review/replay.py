"""Replaying a review over a study someone already coded: what the finished corpus would have
cost them.

The coder's codes are the oracle. The review starts from `start_per_code` hand-coded examples
per code (they count as decisions), then the reviewer answers `batch_size` cards, the learner
retrains, and so on. After every batch the finished corpus (the decisions, plus the model's
codes for every undecided unit) is scored against the coder's codes as macro Cohen's kappa (the
true corpus kappa, which the replay can know), beside the corpus estimate the review would show
(`autocode.reliability.estimate_corpus`) and whether it would say "you can stop".

Orders: `default` (the corpus queue with blind audit cards, the learner with calibrated
probabilities: the review's own settings, `LearnerSettings()`), `active_today` (the active order
and plain learner of autocode 0.2), `random` (the default learner, cards in random order: every
card is then a random draw, so every decision is an audit), `no_model` (the reviewer codes alone;
undecided units have no code).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autocode.bootstrap import macro_kappa
from autocode.reliability import AuditDraw
from autocode.reliability.estimate import DEFAULT_TARGET
from autocode.reliability.queue import DEFAULT_AUDIT_SHARE
from autocode.review.corpus_model import (
    CorpusModel,
    LearnerSettings,
    corpus_estimate,
    fit_corpus_model,
)
from autocode.review.ordering import order_queue
from autocode.review.simulate import start_examples

ORDERS: tuple[str, ...] = ("default", "active_today", "random", "no_model")
START_PER_CODE = 3
BATCH_SIZE = 10
TODAY = LearnerSettings(neighbours=False, calibrate=False, kappa_cutoffs=False)


@dataclass(frozen=True)
class ReplaySettings:
    """How the replayed review runs; the `default` order's learner and queue are the shipped
    ones (`learner`)."""

    order: str = "default"
    target: float = DEFAULT_TARGET
    start_per_code: int = START_PER_CODE
    batch_size: int = BATCH_SIZE
    audit_share: float = DEFAULT_AUDIT_SHARE
    learner: LearnerSettings = field(default_factory=LearnerSettings)
    stop_after: float | None = None  # end once the true kappa reached this and the stop came

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {self.order!r}")

    @property
    def learner_settings(self) -> LearnerSettings:
        return TODAY if self.order == "active_today" else self.learner


@dataclass
class ReplayRun:
    """One seed's replay: the curve after each batch, the first decision count at which the true
    corpus kappa reached the target, and where the review said stop."""

    seed: int
    curve: list[dict[str, Any]] = field(default_factory=list)
    decisions_to_target: int | None = None
    stop: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "curve": self.curve,
            "decisions_to_target": self.decisions_to_target,
            "stop": self.stop,
        }

    def decisions_to(self, target: float) -> int | None:
        """The first decision count whose true corpus kappa reached `target`."""
        return next((p["decisions"] for p in self.curve if p["true_kappa"] >= target), None)


def replay_review(
    features: np.ndarray,
    truth: np.ndarray,
    code_ids: Sequence[str],
    settings: ReplaySettings,
    *,
    seed: int = 0,
    groups: Sequence[str] | None = None,
) -> ReplayRun:
    """Replay a review of the units (`features` n x d, the coder's 0/1 `truth` n x k)."""
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(truth) > 0.5
    n = len(y)
    group_of = np.asarray(groups) if groups is not None else np.arange(n).astype(str)
    rng = np.random.default_rng(seed)
    decided = np.zeros(n, dtype=bool)
    decided[start_examples(y, settings.start_per_code, rng)] = True
    audited = np.zeros(n, dtype=bool)
    audit = AuditDraw(settings.audit_share, seed)
    run = ReplayRun(seed)
    step = 0
    while True:
        rows = np.flatnonzero(decided)
        model = None
        if settings.order != "no_model":
            model = fit_corpus_model(
                x, rows, y[rows], audited[rows], list(code_ids),
                settings=settings.learner_settings, seed=seed,
            )  # fmt: skip
        corpus = np.where(decided[:, None], y, model.predicted if model else False)
        point: dict[str, Any] = {
            "decisions": int(decided.sum()),
            "true_kappa": round(macro_kappa(y, corpus), 4),
        }
        estimate = None
        if model is not None:
            estimate = corpus_estimate(
                model, rows, y[rows], audited[rows], group_of[rows],
                target=settings.target, seed=seed,
            )  # fmt: skip
        if estimate is not None:
            point["audited"] = estimate.audited
            point["estimated_kappa"] = estimate.macro_kappa
            point["interval"] = None if estimate.interval is None else list(estimate.interval)
        run.curve.append(point)
        if run.decisions_to_target is None and point["true_kappa"] >= settings.target:
            run.decisions_to_target = point["decisions"]
        if run.stop is None and estimate is not None and estimate.can_stop:
            run.stop = {
                "decisions": point["decisions"],
                "estimated_kappa": estimate.macro_kappa,
                "interval": list(estimate.interval or ()),
                "true_kappa": point["true_kappa"],
            }
        if decided.all() or _done(run, settings):
            return run
        for position, is_audit in _next_batch(x, y, decided, model, settings, seed, step, audit):
            decided[position] = True
            audited[position] |= is_audit
        step += 1


def _done(run: ReplayRun, settings: ReplaySettings) -> bool:
    if settings.stop_after is None:
        return False
    reached = run.decisions_to(settings.stop_after) is not None
    stopped = run.stop is not None or settings.order in ("active_today", "no_model")
    return reached and stopped


def _next_batch(
    x: np.ndarray,
    y: np.ndarray,
    decided: np.ndarray,
    model: CorpusModel | None,
    settings: ReplaySettings,
    seed: int,
    step: int,
    audit: AuditDraw,
) -> list[tuple[int, bool]]:
    undecided = np.flatnonzero(~decided)
    take = min(settings.batch_size, len(undecided))
    step_seed = seed * 100_003 + step
    if settings.order in ("random", "no_model") or model is None:
        order = np.random.default_rng(step_seed).permutation(undecided)
        return [(int(p), settings.order == "random") for p in order[:take]]
    if settings.order == "active_today":
        counts = y[decided].sum(axis=0)
        ranked = order_queue(
            model.proba[undecided], x[undecided], "active", seed=step_seed, label_counts=counts
        )
        return [(int(p), False) for p in undecided[ranked[:take]]]
    rows = np.flatnonzero(decided)
    cost = model.cost(rows, y[rows])[undecided]
    ranked = undecided[
        order_queue(model.proba[undecided], x[undecided], "corpus", seed=step_seed, cost=cost)
    ]
    chosen: list[tuple[int, bool]] = []
    queue = iter(ranked.tolist())
    taken: set[int] = set()
    card = int(decided.sum())
    while len(chosen) < take:
        card += 1
        if audit.is_audit(card):
            left = np.array([p for p in undecided if p not in taken])
            position = audit.pick(card, left)
            chosen.append((position, True))
        else:
            position = next(p for p in queue if p not in taken)
            chosen.append((position, False))
        taken.add(position)
    return chosen
