"""A review session: the queue, the cards, the decision log, undo and background retraining.

    session = ReviewSession.open("study", reviewer="ana")
    card = session.card()
    outcome = session.decide(card, "accept")      # committed before it returns
    outcome = session.decide(outcome.card, "recode", code="T3")
    session.undo()                                 # back to the T3 card
    session.progress()["corpus"]["line"]        # "you can stop: estimated kappa 0.83 [...]"
    session.finish()                               # the model's codes for the rest, stored
    session.close()

One thread uses a session (the web server gives it one worker thread; a notebook its own): it
owns the project's single SQLite connection and is the only writer. Retraining and clustering
run in daemon threads on snapshots and never touch the store.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autocode.embed import Embedder
from autocode.models.evidence import EvidenceIndex
from autocode.reliability import AuditDraw
from autocode.reliability.estimate import DEFAULT_TARGET, check_target
from autocode.reliability.queue import DEFAULT_AUDIT_SHARE
from autocode.review.candidates import CandidateCodes
from autocode.review.cards import Answer, Card, build_card
from autocode.review.finish import store_finished
from autocode.review.inputs import ReviewSetup, check_review
from autocode.review.ordering import order_queue
from autocode.review.pool import UnitPool
from autocode.review.progress import ProgressTracker
from autocode.review.scoring import Scores, classifier_scores
from autocode.review.state import ReviewQueue, ReviewState
from autocode.review.training import (
    Retrainer,
    TrainingJob,
    TrainingResult,
    excerpt_labels,
    job_from_state,
    label_counts,
)
from autocode.store import Project
from autocode.store.decisions import ACTIONS, Decision, NewDecision, StaleUnitError
from autocode.types import Code
from autocode.versions import package_versions

COMMAND = "review"
DEFAULT_RETRAIN_EVERY = 10


@dataclass(frozen=True)
class Finished:
    """What `finish` wrote: the model codings of the units nobody decided."""

    coder: str
    units: int  # units the model coded (or found no code for)
    codings: int
    estimate_line: str


@dataclass(frozen=True)
class Outcome:
    """What a decision or undo did, and the card to show next (None: nothing left)."""

    decision: Decision | None
    stored: bool
    card: Card | None


class ReviewSession:
    """See the module docstring. Open with `ReviewSession.open`, close when done."""

    def __init__(
        self,
        setup: ReviewSetup,
        project: Project,
        *,
        retrain_every: int = DEFAULT_RETRAIN_EVERY,
        seed: int = 0,
        candidate_codes: bool = True,
        audit_share: float = DEFAULT_AUDIT_SHARE,
        target: float = DEFAULT_TARGET,
    ) -> None:
        self.setup = setup
        self.project = project
        self.retrain_every = retrain_every
        self.seed = seed
        self.audit = AuditDraw(audit_share, seed)
        self.target = check_target(target)
        classifier = setup.model.classifier
        embedder = Embedder(classifier.embedder, cache=project)
        self.pool = UnitPool.load(project, embedder)
        self.evidence = EvidenceIndex.from_excerpts(classifier.excerpts_ or [], embedder)
        self._base_excerpts = list(classifier.excerpts_ or [])
        self.codebook = project.codebook(setup.codebook)
        self.scores = classifier_scores(
            classifier, self.pool.vectors, setup.model.coder, self.codebook.ids
        )
        self.state = ReviewState(
            self.pool, project.decisions_in_force(setup.reviewer, setup.codebook)
        )
        self.queue = ReviewQueue(self._order(self.scores))
        self.retrainer = Retrainer(self.pool.vectors)
        self.tracker = ProgressTracker()
        self._retrainings = _last_retraining(project, setup.reviewer)
        self._labels_at_last_job = -1 if self.state.labels else 0
        self.candidates = CandidateCodes()
        if candidate_codes:
            self.candidates.start(self.pool.units, self.pool.vectors, classifier)
        else:
            self.candidates.turn_off()
        self.run_id = project.start_run(
            COMMAND, self._config(), package_versions(), model=setup.model.coder
        )
        self._closed = False
        self._maybe_retrain()

    @classmethod
    def open(
        cls,
        project_dir: str | Path,
        *,
        model: str | Path | None = None,
        codebook: str | None = None,
        reviewer: str | None = None,
        order: str = "corpus",
        retrain_every: int = DEFAULT_RETRAIN_EVERY,
        seed: int = 0,
        candidate_codes: bool = True,
        audit_share: float = DEFAULT_AUDIT_SHARE,
        target: float = DEFAULT_TARGET,
    ) -> ReviewSession:
        """Check the inputs (InputError, nothing written), then open the project as its writer."""
        setup = check_review(
            project_dir, model=model, codebook=codebook, reviewer=reviewer, order=order
        )
        check_target(target)
        return cls.start(
            setup,
            retrain_every=retrain_every,
            seed=seed,
            candidate_codes=candidate_codes,
            audit_share=audit_share,
            target=target,
        )

    @classmethod
    def start(
        cls,
        setup: ReviewSetup,
        *,
        retrain_every: int = DEFAULT_RETRAIN_EVERY,
        seed: int = 0,
        candidate_codes: bool = True,
        audit_share: float = DEFAULT_AUDIT_SHARE,
        target: float = DEFAULT_TARGET,
    ) -> ReviewSession:
        """Open a checked setup (`check_review`) with the project's writer lock."""
        project = Project.open(setup.project_dir, writer=True)
        try:
            return cls(
                setup,
                project,
                retrain_every=retrain_every,
                seed=seed,
                candidate_codes=candidate_codes,
                audit_share=audit_share,
                target=target,
            )
        except BaseException:
            project.close()
            raise

    # -- cards -------------------------------------------------------------------------------
    def card(self, transcript_id: str | None = None, unit_index: int | None = None) -> Card | None:
        """The next card of the queue, or the card of one unit (from the flagged list).

        Some cards (`audit_share` of them, drawn from the card's number and the seed) are blind
        audit cards: a unit drawn at random among the undecided ones, shown without suggestion."""
        self._take_training_result()
        audit = False
        if transcript_id is not None and unit_index is not None:
            position = self.pool.position(transcript_id, unit_index)
            if position is None:
                raise KeyError(f"no unit {transcript_id}#{unit_index} under review")
        else:
            position, audit = self._next_position()
        if position is None:
            return None
        return build_card(
            position,
            self.pool,
            self.scores,
            self.codebook,
            self.evidence,
            self.candidates,
            self.state.latest.get(position),
            audit=audit,
        )

    def _next_position(self) -> tuple[int | None, bool]:
        if not self.queue.has_front(self.state):
            card_number = len(self.state.labels) + 1
            if self.audit.is_audit(card_number):
                fresh = np.array(
                    [p for p in range(len(self.pool)) if self.state.is_fresh(p)], dtype=int
                )
                if len(fresh):
                    return self.audit.pick(card_number, fresh), True
        return self.queue.next(self.state), False

    # -- decisions ---------------------------------------------------------------------------
    def decide(
        self,
        answer: Card | Answer,
        action: str,
        *,
        code: str | None = None,
        memo: str = "",
        new_code: tuple[str, str] | None = None,
        client_id: str | None = None,
    ) -> Outcome:
        """Commit one decision on `answer`'s unit, then return the next card.

        action: accept (the suggested codes), reject, recode (`code`, or `new_code` = (name,
        definition), added to the codebook), none ("no code applies"), skip, flag (with
        `memo`). StaleUnitError when the unit's text changed since the card was made.
        """
        if isinstance(answer, Card):
            answer = answer.answer
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, got {action!r}")
        if answer.audit and action == "accept":
            raise ValueError("an audit card shows no suggestion to accept: choose the code(s)")
        added = self._new_code(*new_code) if new_code is not None else None
        if added is not None:
            code = added.id
        codes: tuple[str, ...] = ()
        if action == "accept":
            codes = answer.suggested_codes
        elif action == "recode":
            if code is None:
                raise ValueError("a recode needs a code (or a new code)")
            codes = (code,)
        new = NewDecision(
            client_id=client_id or str(uuid.uuid4()),
            reviewer=self.setup.reviewer,
            codebook=self.setup.codebook,
            unit=answer.unit,
            action=action,
            codes=codes,
            suggestion=answer.suggestion,
            model_version=answer.model_version,
            memo=memo.strip(),
            audit=answer.audit,
        )
        try:
            decision, stored = self.project.record_decision(new, new_code=added)
        except StaleUnitError:
            self._retire_transcript(answer.unit.transcript_id)
            raise
        if added is not None:
            self.codebook = self.project.codebook(self.setup.codebook)
            self._labels_at_last_job = -1  # a new code: retrain at once
        position = self.state.add(decision)
        if position is not None:
            self.queue.answered(position)
        self._maybe_retrain()
        return Outcome(decision, stored, self.card())

    def undo(self, client_id: str | None = None) -> Outcome:
        """Revert the latest decision in force (any depth); the next card is its unit again."""
        undo, stored = self.project.undo_last_decision(
            client_id or str(uuid.uuid4()), self.setup.reviewer, self.setup.codebook
        )
        if undo is None:
            return Outcome(None, False, self.card())
        retired = self.state.retired
        self.state = ReviewState(
            self.pool, self.project.decisions_in_force(self.setup.reviewer, self.setup.codebook)
        )
        self.state.retired = retired
        position = self.pool.position(undo.transcript_id, undo.unit_index)
        if position is not None and self.state.is_pending(position):
            self.queue.push_front(position)
        self._maybe_retrain()
        return Outcome(undo, stored, self.card())

    def codes(self) -> list[Code]:
        return list(self.codebook.codes)

    def flagged(self) -> list[dict[str, Any]]:
        """The flagged units with their memos, oldest flag first."""
        rows = []
        for decision in self.state.flagged():
            position = self.pool.position(decision.transcript_id, decision.unit_index)
            if position is None:
                continue
            unit = self.pool.units[position]
            rows.append(
                {
                    "transcript_id": unit.transcript_id,
                    "unit_index": unit.index,
                    "transcript": self.pool.transcript_name(unit.transcript_id),
                    "start": unit.start,
                    "end": unit.end,
                    "speaker": unit.speaker,
                    "text": unit.text,
                    "memo": decision.memo,
                    "flagged_at": decision.created_at,
                }
            )
        return rows

    def progress(self) -> dict[str, Any]:
        self._take_training_result()
        labels_since = len(self.state.labels) - max(self._labels_at_last_job, 0)
        summary = self.tracker.summary(
            self.state,
            self.codebook,
            model_version=self.scores.version,
            retraining=self.retrainer.running,
            next_retrain_in=max(0, self.retrain_every - labels_since),
            units=len(self.pool),
        )
        summary["units"] = len(self.pool)
        summary["candidate_codes_ready"] = self.candidates.ready
        return summary

    def finish(self) -> Finished:
        """Store the current model's codes for every unit the reviewer has not decided (and no
        human coding overlaps) as model codings with their probability, replacing what an
        earlier finish of this reviewer stored; committed in one transaction."""
        self._take_training_result()
        stored = store_finished(
            self.project,
            self.pool,
            self.scores,
            self.state.labels,
            self.setup.reviewer,
            self.setup.codebook,
        )
        line = self.progress()["corpus"]["line"]
        return Finished(stored.coder, stored.units, stored.codings, line)

    def wait_for_training(self, timeout: float | None = None) -> bool:
        """Block until the running retraining is done and applied (for notebooks and tests)."""
        done = self.retrainer.wait(timeout)
        self._take_training_result()
        return done

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.project.finish_run(self.run_id, "done")
        finally:
            self.project.close()

    def __enter__(self) -> ReviewSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        setup = self.setup
        return {
            "reviewer": setup.reviewer,
            "codebook": setup.codebook,
            "model": setup.model.coder,
            "order": setup.order,
            "retrain_every": self.retrain_every,
            "seed": self.seed,
            "units": len(self.pool),
            "audit_share": self.audit.share,
            "target": self.target,
        }

    def _order(self, scores: Scores) -> np.ndarray:
        fresh = np.array([i for i in range(len(self.pool)) if self.state.is_fresh(i)], dtype=int)
        if not len(fresh):
            return fresh
        proba = scores.aligned(self.codebook.ids)[fresh]
        order = order_queue(
            proba,
            self.pool.vectors[fresh],
            self.setup.order,
            seed=self.seed,
            label_counts=self._label_counts(),
        )
        return fresh[order]

    def _new_code(self, name: str, definition: str) -> Code:
        name = " ".join(name.split())
        if not name:
            raise ValueError("a new code needs a name")
        for code in self.codebook.codes:
            if code.name.casefold() == name.casefold():
                return code
        slug = re.sub(r"[^0-9A-Za-z]+", "-", name).strip("-")[:40] or "code"
        code_id, n = f"R-{slug}", 1
        while code_id in self.codebook.ids:
            n += 1
            code_id = f"R-{slug}-{n}"
        return Code(code_id, name, definition.strip())

    def _maybe_retrain(self) -> None:
        labelled = len(self.state.labels)
        due = self._labels_at_last_job < 0 or labelled - self._labels_at_last_job >= (
            self.retrain_every
        )
        if not due or self.retrainer.running:
            return
        job = self._job()
        if self.retrainer.start(job):
            self._labels_at_last_job = labelled
            self._retrainings = job.number

    def _base_labels(self, code_ids: list[str]) -> np.ndarray:
        return excerpt_labels(self._base_excerpts, code_ids)

    def _label_counts(self) -> np.ndarray:
        """Positives per code in what the next learner trains on (excerpts and decisions)."""
        code_ids = list(self.codebook.ids)
        _, labels = self.state.label_rows(code_ids)
        return label_counts(self._base_labels(code_ids), labels)

    def _job(self) -> TrainingJob:
        code_ids = list(self.codebook.ids)
        number = self._retrainings + 1
        name = self.setup.reviewer.removeprefix("human:")
        return job_from_state(
            self.state,
            self.pool,
            code_ids,
            self.evidence.vectors,
            self._base_labels(code_ids),
            number=number,
            version=f"review:{name}:r{number}",
            strategy=self.setup.order,
            seed=self.seed,
            target=self.target,
        )

    def _take_training_result(self) -> None:
        result: TrainingResult | None = self.retrainer.take()
        if result is None:
            return
        self.tracker.trained(result)
        if result.scores is not None:
            self.scores = result.scores
            self.queue.reorder(result.order)
        self._maybe_retrain()  # decisions made while it trained may already make one due

    def _retire_transcript(self, transcript_id: str) -> None:
        for position, unit in enumerate(self.pool.units):
            if unit.transcript_id == transcript_id:
                self.state.retired.add(position)


def _last_retraining(project: Project, reviewer: str) -> int:
    """The highest retraining number this reviewer's decisions name (versions go on counting
    across sessions)."""
    name = re.escape(reviewer.removeprefix("human:"))
    pattern = re.compile(rf"review:{name}:r(\d+)")
    numbers = [
        int(match.group(1))
        for decision in project.decisions(reviewer=reviewer)
        if decision.model_version and (match := pattern.fullmatch(decision.model_version))
    ]
    return max(numbers, default=0)
