"""The review card: everything the reviewer needs to answer one suggestion, as plain data.

A card is the unit (text, speaker, transcript, offsets, content hash), the text around it, the
suggestion with the model version that made it, every code's probability, the nearest
hand-coded excerpts as evidence and the unit's candidate code. `Card.answer` is what a decision
sends back, so the decision records exactly the suggestion that was on screen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from autocode.models.evidence import EvidenceIndex, Excerpt
from autocode.review.candidates import CandidateCode, CandidateCodes
from autocode.review.pool import ContextLine, UnitPool
from autocode.review.scoring import Scores
from autocode.store.decisions import Decision, UnitRef
from autocode.types import Codebook

EVIDENCE_COUNT = 3


@dataclass(frozen=True)
class Answer:
    """The card a decision answers: the unit as shown and the suggestion on screen."""

    unit: UnitRef
    suggestion: tuple[tuple[str, float], ...]
    model_version: str
    audit: bool = False  # a blind audit card: shown without any suggestion

    @property
    def suggested_codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.suggestion)


@dataclass(frozen=True)
class CodeScore:
    id: str
    name: str
    probability: float


@dataclass(frozen=True)
class Card:
    answer: Answer
    transcript: str
    speaker: str
    text: str
    context: tuple[ContextLine, ...]
    suggested: tuple[CodeScore, ...]
    scores: tuple[CodeScore, ...]  # every code, most probable first
    evidence: tuple[Excerpt, ...]
    candidate: CandidateCode | None
    candidate_note: str
    earlier: Decision | None  # the decision in force on this unit, if any (a flag, a skip)

    @property
    def unit(self) -> UnitRef:
        return self.answer.unit

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; `answer` is what the browser posts back with a decision."""
        unit = self.unit
        return {
            "answer": {
                "transcript_id": unit.transcript_id,
                "unit_index": unit.unit_index,
                "start": unit.start,
                "end": unit.end,
                "content_hash": unit.content_hash,
                "suggestion": [[code, p] for code, p in self.answer.suggestion],
                "model_version": self.answer.model_version,
                "audit": self.answer.audit,
            },
            "audit": self.answer.audit,
            "transcript": self.transcript,
            "speaker": self.speaker,
            "text": self.text,
            "context": [asdict(line) for line in self.context],
            "suggested": [asdict(score) for score in self.suggested],
            "scores": [asdict(score) for score in self.scores],
            "evidence": [asdict(excerpt) for excerpt in self.evidence],
            "candidate": None if self.candidate is None else asdict(self.candidate),
            "candidate_note": self.candidate_note,
            "earlier": None
            if self.earlier is None
            else {"action": self.earlier.action, "memo": self.earlier.memo},
        }


def answer_from_dict(data: dict[str, Any]) -> Answer:
    """The `answer` of a card as the browser sent it back; ValueError when malformed."""
    try:
        unit = UnitRef(
            transcript_id=str(data["transcript_id"]),
            unit_index=int(data["unit_index"]),
            start=int(data["start"]),
            end=int(data["end"]),
            content_hash=str(data["content_hash"]),
        )
        suggestion = tuple((str(code), float(p)) for code, p in data.get("suggestion") or [])
        return Answer(unit, suggestion, str(data["model_version"]), bool(data.get("audit")))
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"malformed card answer: {error}") from None


def build_card(
    position: int,
    pool: UnitPool,
    scores: Scores,
    codebook: Codebook,
    evidence: EvidenceIndex,
    candidates: CandidateCodes,
    earlier: Decision | None = None,
    *,
    audit: bool = False,
) -> Card:
    """The card of one pool unit. An audit card carries no suggestion, no probabilities, no
    evidence and no candidate code: the reviewer's answer must not lean on the model's."""
    unit = pool.units[position]
    if audit:
        return Card(
            answer=Answer(pool.ref(position), (), scores.version, audit=True),
            transcript=pool.transcript_name(unit.transcript_id),
            speaker=unit.speaker,
            text=unit.text,
            context=tuple(pool.context(position)),
            suggested=(),
            scores=tuple(CodeScore(code.id, code.name, 0.0) for code in codebook.codes),
            evidence=(),
            candidate=None,
            candidate_note="",
            earlier=earlier,
        )
    names = {code.id: code.name for code in codebook.codes}
    suggestion = scores.suggestion(position)
    every = sorted(
        (CodeScore(code.id, code.name, round(scores.probability(position, code.id), 4))
         for code in codebook.codes),
        key=lambda score: -score.probability,
    )  # fmt: skip
    candidate, note = candidates.of(position)
    return Card(
        answer=Answer(pool.ref(position), suggestion, scores.version),
        transcript=pool.transcript_name(unit.transcript_id),
        speaker=unit.speaker,
        text=unit.text,
        context=tuple(pool.context(position)),
        suggested=tuple(CodeScore(code, names.get(code, code), p) for code, p in suggestion),
        scores=tuple(every),
        evidence=tuple(evidence.nearest(pool.vectors[position : position + 1], EVIDENCE_COUNT)[0]),
        candidate=candidate,
        candidate_note=note,
        earlier=earlier,
    )
