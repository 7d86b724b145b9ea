"""The units under review: every meaning unit of the project, its vector and its context.

Loaded once when a review session opens: the units in transcript order (the order the store
gives transcripts, then unit index), each transcript's content hash (a card carries it, so a
decision on changed text is refused), and the unit vectors from the project's embedding cache
(batch coding stored them; only units missing there are embedded).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autocode.embed import Embedder
from autocode.segment import participant_speakers
from autocode.store import Project, sha256_text
from autocode.store.decisions import UnitRef
from autocode.types import Transcript, Turn, Unit


@dataclass(frozen=True)
class ContextLine:
    """Text shown around a unit: the unit before or after it, or the question that led to it."""

    role: str  # "before", "question" or "after"
    speaker: str
    start: int
    end: int
    text: str


@dataclass
class _TranscriptInfo:
    name: str
    text: str
    content_hash: str
    turns: list[Turn]
    turn_starts: list[int]
    participants: set[str]
    first: int  # position of its first unit in the pool
    count: int


class UnitPool:
    """The project's units with vectors; positions 0..n-1 are transcript order."""

    def __init__(
        self, units: list[Unit], vectors: np.ndarray, transcripts: dict[str, _TranscriptInfo]
    ) -> None:
        self.units = units
        self.vectors = vectors
        self._transcripts = transcripts
        self._position = {(unit.transcript_id, unit.index): i for i, unit in enumerate(units)}

    def __len__(self) -> int:
        return len(self.units)

    @classmethod
    def load(cls, project: Project, embedder: Embedder) -> UnitPool:
        units: list[Unit] = []
        transcripts: dict[str, _TranscriptInfo] = {}
        for transcript in project.transcripts():
            stored = project.units(transcript.id)
            if not stored:
                continue
            transcripts[transcript.id] = _info(transcript, len(units), len(stored))
            units.extend(stored)
        vectors = _unit_vectors(project, embedder, units)
        return cls(units, vectors, transcripts)

    def position(self, transcript_id: str, unit_index: int) -> int | None:
        return self._position.get((transcript_id, unit_index))

    def ref(self, position: int) -> UnitRef:
        unit = self.units[position]
        info = self._transcripts[unit.transcript_id]
        return UnitRef(unit.transcript_id, unit.index, unit.start, unit.end, info.content_hash)

    def is_current(self, ref: UnitRef) -> bool:
        """Whether `ref` names a unit of this pool exactly (same text, same offsets)."""
        position = self.position(ref.transcript_id, ref.unit_index)
        return position is not None and self.ref(position) == ref

    def transcript_name(self, transcript_id: str) -> str:
        return self._transcripts[transcript_id].name

    def transcript_of(self, positions: np.ndarray) -> np.ndarray:
        """Transcript id of each position (for grouped cross-validation)."""
        return np.array([self.units[int(i)].transcript_id for i in positions], dtype=object)

    def context(self, position: int) -> list[ContextLine]:
        """The unit before and after it in its transcript and the interviewer turn right before
        the unit's turn (when there is one), in text order."""
        unit = self.units[position]
        info = self._transcripts[unit.transcript_id]
        lines = []
        offset = position - info.first
        if offset > 0:
            lines.append(_line("before", self.units[position - 1]))
        question = _question(info, unit)
        if question is not None:
            lines.append(question)
        if offset + 1 < info.count:
            lines.append(_line("after", self.units[position + 1]))
        return sorted(lines, key=lambda line: line.start)


def _info(transcript: Transcript, first: int, count: int) -> _TranscriptInfo:
    source = str(transcript.metadata.get("source") or transcript.id)
    turns = sorted(transcript.turns, key=lambda turn: turn.start)
    return _TranscriptInfo(
        name=Path(source).name or transcript.id,
        text=transcript.text,
        content_hash=sha256_text(transcript.text),
        turns=turns,
        turn_starts=[turn.start for turn in turns],
        participants=participant_speakers(transcript),
        first=first,
        count=count,
    )


def _line(role: str, unit: Unit) -> ContextLine:
    return ContextLine(role, unit.speaker, unit.start, unit.end, unit.text)


def _question(info: _TranscriptInfo, unit: Unit) -> ContextLine | None:
    """The turn before the one holding the unit, when an interviewer said it."""
    at = bisect.bisect_right(info.turn_starts, unit.start) - 1
    if at < 1:
        return None
    before = info.turns[at - 1]
    if before.speaker in info.participants:
        return None
    return ContextLine(
        "question", before.speaker, before.start, before.end, info.text[before.start : before.end]
    )


def _unit_vectors(project: Project, embedder: Embedder, units: list[Unit]) -> np.ndarray:
    """Cached vectors where the project has them; the rest embedded (and cached)."""
    hashes = [sha256_text(unit.text) for unit in units]
    found, matrix = project.get_embeddings(embedder.model_id, hashes)
    missing = np.flatnonzero(~found)
    if len(missing) == len(units):
        return embedder.encode([unit.text for unit in units]) if units else matrix
    if len(missing):
        matrix[missing] = embedder.encode([units[i].text for i in missing])
    return matrix
