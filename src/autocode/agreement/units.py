"""Units and the codes a coder gave them: the overlap rule from coded spans to unit labels, the
code a coding counts as at a level, the participant of each unit, and segmenting the coded
transcripts that have no units yet. Shared by coder comparison, evaluation and training on a
project's coding (`autocode.project.training` explains the rule).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from autocode.errors import InputError
from autocode.segment import SegmentConfig, segment_many
from autocode.store import Project
from autocode.types import Codebook, Transcript, Unit

if TYPE_CHECKING:
    from autocode.embed import Embedder

SURVEY_FORMATS = frozenset({"csv", "xlsx"})
Span = tuple[int, int]


def choose_codebook(project: Project, name: str | None) -> str:
    """The codebook `name` names (its full name, or a part of one name only: "stages"); without
    a name, the project's only codebook."""
    names = project.codebooks()
    if name is not None:
        chosen = codebook_named(names, name)
        if chosen is None:
            raise InputError(project.path, f"has no codebook {name!r} (it holds {_listed(names)})")
        return chosen
    if len(names) != 1:
        raise InputError(
            project.path, f"holds codebooks {_listed(names)}: name one with --codebook"
        )
    return names[0]


def codebook_named(names: Sequence[str], name: str) -> str | None:
    """The one of `names` that is `name`, or the only one holding it (case aside), or None."""
    if name in names:
        return name
    matching = [book for book in names if name.casefold() in book.casefold()]
    return matching[0] if len(matching) == 1 else None


def _listed(names: Iterable[str]) -> str:
    shown = ", ".join(repr(name) for name in names)
    return shown or "none"


def code_targets(codebook: Codebook, level: str) -> dict[str, str]:
    """Code id -> the code a coding of it counts as: itself (level "coded"), or its top-level
    ancestor (level "top")."""
    parents = {code.id: code.parent_id for code in codebook.codes}

    def top(code_id: str) -> str:
        seen = {code_id}
        while parents.get(code_id) and parents[code_id] not in seen:
            code_id = parents[code_id]  # type: ignore[assignment]
            seen.add(code_id)
        return code_id

    return {code.id: top(code.id) if level == "top" else code.id for code in codebook.codes}


def resolve_codes(codebook: Codebook, wanted: Sequence[str], allowed: Sequence[str]) -> list[str]:
    """Code ids for codes given by id or by name (case-insensitive), among `allowed`."""
    by_name: dict[str, list[str]] = {}
    for code in codebook.codes:
        if code.id in allowed:
            by_name.setdefault(code.name.casefold(), []).append(code.id)
    found: list[str] = []
    for item in wanted:
        key = item.strip()
        ids = [key] if key in allowed else by_name.get(key.casefold(), [])
        if len(ids) != 1:
            problem = "names several codes" if ids else "is not a code of this level"
            raise InputError(f"codebook {codebook.name}", f"{key!r} {problem}")
        if ids[0] not in found:
            found.append(ids[0])
    return found


def ensure_units(
    project: Project,
    transcript_ids: Sequence[str],
    embedder: Embedder | None = None,
    config: SegmentConfig | None = None,
) -> list[str]:
    """Segment and store the transcripts that have no units yet; returns their ids."""
    missing = [project.get_transcript(tid) for tid in transcript_ids if not project.units(tid)]
    for transcript, units in zip(
        missing, segment_many(missing, config, embedder=embedder), strict=True
    ):
        project.add_units(transcript.id, units)
    return [transcript.id for transcript in missing]


def unit_labels(
    units: Sequence[Unit], spans_by_code: dict[str, list[Span]], codes: Sequence[str], rule: float
) -> np.ndarray:
    """0/1 matrix (units x codes) from coded spans by the overlap rule (module docstring)."""
    starts = np.array([unit.start for unit in units], dtype=np.int64)
    ends = np.array([unit.end for unit in units], dtype=np.int64)
    return offset_labels(starts, ends, spans_by_code, codes, rule)


def offset_labels(
    starts: np.ndarray,
    ends: np.ndarray,
    spans_by_code: dict[str, list[Span]],
    codes: Sequence[str],
    rule: float,
) -> np.ndarray:
    """`unit_labels` for units given by their offsets alone."""
    labels = np.zeros((len(starts), len(codes)), dtype=int)
    if not len(starts):
        return labels
    lengths = ends - starts
    for j, code in enumerate(codes):
        spans = spans_by_code.get(code, [])
        if not spans:
            continue
        bounds = np.array(spans)
        # overlap[i, k]: characters unit i shares with span k
        overlap = np.clip(
            np.minimum(ends[:, None], bounds[None, :, 1])
            - np.maximum(starts[:, None], bounds[None, :, 0]),
            0,
            None,
        )
        covered = _covered(starts, ends, bounds)
        span_lengths = np.maximum(bounds[:, 1] - bounds[:, 0], 1)
        if rule == 0:
            positive = covered > 0
        else:
            inside = ((overlap > 0) & (overlap >= rule * span_lengths[None, :])).any(axis=1)
            positive = ((covered > 0) & (covered >= rule * lengths)) | inside
        labels[:, j] = positive
    return labels


def answered_units(
    project: Project, codebook: str, reviewers: Iterable[str]
) -> dict[str, set[int]]:
    """Indices of the units `reviewers` answered in review (accept, recode, reject, "no code"),
    per transcript."""
    answered: dict[str, set[int]] = {}
    for reviewer in reviewers:
        for transcript_id, index in project.decided_units(codebook, reviewer):
            answered.setdefault(transcript_id, set()).add(index)
    return answered


def reviewed_coverage(units: Sequence[Unit], answered: set[int], coded: np.ndarray) -> np.ndarray:
    """The units of one transcript a reviewer's coding speaks for: those answered and any the
    reviewer coded otherwise (`coded`, one flag per unit); never the units not shown."""
    return coded | np.fromiter((unit.index in answered for unit in units), bool, len(units))


def _covered(starts: np.ndarray, ends: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Characters of each unit inside the union of the spans (overlapping spans count once)."""
    top = int(max(ends.max(), bounds[:, 1].max()))
    edges = np.zeros(top + 1, dtype=np.int64)
    np.add.at(edges, bounds[:, 0], 1)
    np.add.at(edges, bounds[:, 1], -1)
    inside = np.concatenate([[0], np.cumsum(np.cumsum(edges)[:-1] > 0)])
    return inside[ends] - inside[starts]


def unit_groups(transcript: Transcript, units: Sequence[Unit]) -> list[str]:
    """The participant each unit belongs to (see the module docstring)."""
    return [unit_group(transcript.id, transcript.metadata, unit.speaker) for unit in units]


def unit_group(transcript_id: str, metadata: Mapping[str, Any], speaker: str) -> str:
    """The participant of a unit: its transcript's `participant`, a survey respondent
    (`transcript/speaker`), else the transcript id."""
    participant = metadata.get("participant")
    if isinstance(participant, str) and participant.strip():
        return participant.strip()
    if metadata.get("format") in SURVEY_FORMATS:
        return f"{transcript_id}/{speaker}"
    return transcript_id
