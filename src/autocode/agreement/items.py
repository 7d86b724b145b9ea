"""What several coders of a project said about each item: units, characters or documents.

    items = coder_items(project, ["human:a", "human:b"], "exam", level="unit")

Each coder's codings of the codebook (at the code level "coded", or rolled up to top-level codes
with "top") become 0/1 values per item and code:

- unit: the project's meaning units, labelled by the overlap rule of `autocode.project.training`
  (a unit has a code when the code's spans cover `min_overlap` of it, or a span lies that much
  inside it).
- character: every character of a source, coded where a span of the code covers it, the way
  NVivo's coding comparison counts; runs of characters that every coder coded alike are stored
  as one item weighted by its length.
- document: the code present in the document or not (MAXQDA's first criterion). A document is a
  transcript, or in a survey table (one response per unit) a response.

Which items a coder coded (coverage): a response no coding of a coder touches, in a survey table,
was not coded by that coder, so it is no disagreement ("unit" coverage, the default for .csv/.xlsx
transcripts). In interviews ("transcript" coverage) a coder coded the transcripts with at least
one of their codings, up to the end of the unit holding their last coding (unless
`whole_transcripts`): text nobody reached is not text without codes. A reviewer (`autocode
review`) coded the units they answered, in whatever order the queue showed them, and any unit
they coded otherwise. A model codes every unit of a transcript it coded. With
`only_coded_by_all` the items are those every coder coded; otherwise those two or more coders
coded, and a coder's other items are missing values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from autocode.agreement.characters import character_mask
from autocode.agreement.units import (
    SURVEY_FORMATS,
    Span,
    answered_units,
    code_targets,
    reviewed_coverage,
    unit_groups,
    unit_labels,
)
from autocode.errors import InputError
from autocode.store import Project
from autocode.types import MODEL_PREFIX, Transcript, Unit

Level = Literal["unit", "character", "document"]
LEVELS: tuple[str, ...] = get_args(Level)
Coverage = Literal["auto", "unit", "transcript"]
COVERAGES: tuple[str, ...] = get_args(Coverage)


@dataclass
class CoderItems:
    """The items of one level and each coder's 0/1 coding of them."""

    level: str
    coders: list[str]
    code_ids: list[str]
    values: np.ndarray  # (coders, items, codes) int8
    covered: np.ndarray  # (coders, items) bool: the coder coded the item
    weights: np.ndarray  # (items,) characters of a character-level item, else 1
    groups: list[str]  # the participant (or transcript, or respondent) of each item
    sources: list[str]  # the transcript of each item
    spans: list[Span]  # offsets of each item in its transcript

    def __len__(self) -> int:
        return len(self.groups)


@dataclass(frozen=True)
class _Transcript:
    transcript: Transcript
    units: list[Unit]
    survey: bool


def coder_spans(
    project: Project, coder: str, codebook: str, targets: dict[str, str]
) -> dict[str, dict[str, list[Span]]]:
    """transcript -> code (at the chosen level) -> the coder's spans."""
    spans: dict[str, dict[str, list[Span]]] = {}
    for coding in project.codings(coder=coder, codebook=codebook):
        by_code = spans.setdefault(coding.transcript_id, {})
        by_code.setdefault(targets[coding.code_id], []).append((coding.start, coding.end))
    return spans


def coder_items(
    project: Project,
    coders: Sequence[str],
    codebook: str,
    level: Level = "unit",
    *,
    code_level: Literal["coded", "top"] = "coded",
    code_ids: Sequence[str] | None = None,
    transcripts: Sequence[str] | None = None,
    only_coded_by_all: bool = True,
    min_overlap: float = 0.5,
    whole_transcripts: bool = False,
    coverage: Coverage = "auto",
    completed: dict[str, set[str]] | None = None,
) -> CoderItems:
    """The items of `level` that the coders coded (module docstring), in transcript order.

    `code_ids` are codes of the level (default: every code of it); `completed` gives, per model
    coder, the transcripts it finished without necessarily coding anything in them.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    if coverage not in COVERAGES:
        raise ValueError(f"coverage must be one of {COVERAGES}, got {coverage!r}")
    targets = code_targets(project.codebook(codebook), code_level)
    columns = list(code_ids) if code_ids is not None else list(dict.fromkeys(targets.values()))
    spans = {coder: coder_spans(project, coder, codebook, targets) for coder in coders}
    reviewers = set(project.reviewers(codebook))
    answered = {c: answered_units(project, codebook, [c]) for c in coders if c in reviewers}
    completed = completed or {}
    coded = {
        coder: set(spans[coder]) | set(answered.get(coder, {})) | completed.get(coder, set())
        for coder in coders
    }
    wanted = set(transcripts) if transcripts is not None else None
    parts: list[CoderItems] = []
    for transcript_id in project.transcript_ids():
        if wanted is not None and transcript_id not in wanted:
            continue
        by = [coder for coder in coders if transcript_id in coded[coder]]
        if len(by) < (len(coders) if only_coded_by_all else 2):
            continue
        transcript = project.get_transcript(transcript_id)
        units = project.units(transcript_id)
        if not units:
            raise InputError(project.path, f"transcript {transcript_id} has no units yet")
        survey = coverage == "unit" or (
            coverage == "auto" and transcript.metadata.get("format") in SURVEY_FORMATS
        )
        source = _Transcript(transcript, units, survey)
        coder_spans_here = [spans[c].get(transcript_id, {}) if c in by else None for c in coders]
        answered_here = [answered.get(c, {}).get(transcript_id) for c in coders]
        part = _transcript_items(
            source,
            list(coders),
            coder_spans_here,
            answered_here,
            columns,
            level,
            min_overlap,
            whole_transcripts,
        )
        keep = part.covered.sum(axis=0) >= (len(coders) if only_coded_by_all else 2)
        parts.append(_select(part, keep))
    return _concatenate(parts, level, list(coders), columns)


def _transcript_items(
    source: _Transcript,
    coders: list[str],
    spans: list[dict[str, list[Span]] | None],
    answered: list[set[int] | None],
    columns: list[str],
    level: str,
    min_overlap: float,
    whole_transcripts: bool,
) -> CoderItems:
    units = source.units
    rule = 0.0 if level == "document" else min_overlap
    labels = np.stack(
        [
            unit_labels(units, s or {}, columns, rule)
            if s is not None
            else np.zeros((len(units), len(columns)), dtype=int)
            for s in spans
        ]
    ).astype(np.int8)
    # Coverage counts any coding touching a unit, of every code, not only the codes compared.
    covered = np.stack(
        [
            _unit_coverage(
                source,
                coder,
                s,
                unit_labels(units, s or {}, list(s or {}), 0.0),
                whole_transcripts,
                reviewed,
            )
            for coder, s, reviewed in zip(coders, spans, answered, strict=True)
        ]
    )
    unit_spans = [(unit.start, unit.end) for unit in units]
    groups = unit_groups(source.transcript, units)
    tid = source.transcript.id
    if level == "unit" or (level == "document" and source.survey):
        ones = np.ones(len(units), dtype=np.int64)
        return CoderItems(
            level, coders, columns, labels, covered, ones, groups, [tid] * len(units), unit_spans
        )
    if level == "document":
        values = np.array(
            [[[int(bool(s and s.get(code))) for code in columns]] for s in spans], dtype=np.int8
        )
        whole = np.array([[s is not None] for s in spans])
        return CoderItems(
            level,
            coders,
            columns,
            values,
            whole,
            np.ones(1, dtype=np.int64),
            [_transcript_group(source.transcript)],
            [tid],
            [(0, len(source.transcript.text))],
        )
    return _character_items(source, coders, spans, answered, columns, covered, whole_transcripts)


def _unit_coverage(
    source: _Transcript,
    coder: str,
    spans: dict[str, list[Span]] | None,
    labels: np.ndarray,
    whole_transcripts: bool,
    answered: set[int] | None = None,
) -> np.ndarray:
    """Which units of the transcript the coder coded (module docstring); `answered`: the units
    a reviewer answered in it."""
    n = len(source.units)
    if spans is None:
        return np.zeros(n, dtype=bool)
    if coder.startswith(MODEL_PREFIX):
        return np.ones(n, dtype=bool)
    if answered is not None:
        return reviewed_coverage(source.units, answered, labels.any(axis=1))
    if source.survey:
        return labels.any(axis=1)
    if whole_transcripts:
        return np.ones(n, dtype=bool)
    last = _last_end(spans)
    return np.array([unit.start < last for unit in source.units])


def _last_end(spans: dict[str, list[Span]]) -> int:
    return max((end for code_spans in spans.values() for _, end in code_spans), default=0)


def _character_coverage(
    source: _Transcript,
    coder: str,
    spans: dict[str, list[Span]] | None,
    units_covered: np.ndarray,
    whole_transcripts: bool,
    reviewed: bool = False,
) -> np.ndarray:
    """Which characters the coder coded: those of the units they coded in a survey table or
    answered in review; in a transcript the whole text, or up to the end of the unit holding
    their last coding."""
    text_length = len(source.transcript.text)
    coverage = np.zeros(text_length, dtype=bool)
    if spans is None or not units_covered.any():
        return coverage
    if source.survey or reviewed:
        for unit, yes in zip(source.units, units_covered, strict=True):
            coverage[unit.start : unit.end] = bool(yes)
        return coverage
    if whole_transcripts or coder.startswith(MODEL_PREFIX):
        coverage[:] = True
        return coverage
    last_unit = source.units[int(np.flatnonzero(units_covered)[-1])]
    coverage[: max(last_unit.end, _last_end(spans))] = True
    return coverage


def _character_items(
    source: _Transcript,
    coders: list[str],
    spans: list[dict[str, list[Span]] | None],
    answered: list[set[int] | None],
    columns: list[str],
    units_covered: np.ndarray,
    whole_transcripts: bool,
) -> CoderItems:
    """Runs of characters alike for every coder and code, weighted by their length."""
    text_length = len(source.transcript.text)
    coverage = np.stack(
        [
            _character_coverage(source, coder, own, covered, whole_transcripts, seen is not None)
            for coder, own, covered, seen in zip(
                coders, spans, units_covered, answered, strict=True
            )
        ]
    )
    masks = np.zeros((len(coders), text_length, len(columns)), dtype=np.int8)
    for i, own in enumerate(spans):
        for j, code in enumerate(columns):
            if own and own.get(code):
                masks[i, :, j] = character_mask(own[code], text_length, f"{coders[i]} {code}")
    masks &= coverage[:, :, None].astype(np.int8)
    # One row per character: every coder's codes and coverage; a new item where any changes.
    signature = np.concatenate([masks, coverage[:, :, None].astype(np.int8)], axis=2)
    flat = signature.transpose(1, 0, 2).reshape(text_length, -1)
    changes = np.flatnonzero((flat[1:] != flat[:-1]).any(axis=1)) + 1
    starts = np.concatenate([[0], changes]).astype(np.int64)
    ends = np.append(starts[1:], text_length)
    return CoderItems(
        "character",
        coders,
        columns,
        masks[:, starts, :],
        coverage[:, starts],
        ends - starts,
        _character_groups(source, starts),
        [source.transcript.id] * len(starts),
        list(zip(starts.tolist(), ends.tolist(), strict=True)),
    )


def _character_groups(source: _Transcript, starts: np.ndarray) -> list[str]:
    if not source.survey:
        return [_transcript_group(source.transcript)] * len(starts)
    unit_groups_here = unit_groups(source.transcript, source.units)
    unit_starts = np.array([unit.start for unit in source.units])
    at = np.clip(np.searchsorted(unit_starts, starts, side="right") - 1, 0, len(unit_starts) - 1)
    return [unit_groups_here[i] for i in at]


def _transcript_group(transcript: Transcript) -> str:
    participant = transcript.metadata.get("participant")
    if isinstance(participant, str) and participant.strip():
        return participant.strip()
    return transcript.id


def _select(items: CoderItems, keep: np.ndarray) -> CoderItems:
    index = np.flatnonzero(keep)
    return CoderItems(
        items.level,
        items.coders,
        items.code_ids,
        items.values[:, index, :],
        items.covered[:, index],
        items.weights[index],
        [items.groups[i] for i in index],
        [items.sources[i] for i in index],
        [items.spans[i] for i in index],
    )


def _concatenate(
    parts: list[CoderItems], level: str, coders: list[str], columns: list[str]
) -> CoderItems:
    if not parts:
        return CoderItems(
            level,
            coders,
            columns,
            np.zeros((len(coders), 0, len(columns)), dtype=np.int8),
            np.zeros((len(coders), 0), dtype=bool),
            np.zeros(0, dtype=np.int64),
            [],
            [],
            [],
        )
    return CoderItems(
        level,
        coders,
        columns,
        np.concatenate([p.values for p in parts], axis=1),
        np.concatenate([p.covered for p in parts], axis=1),
        np.concatenate([p.weights for p in parts]),
        [g for p in parts for g in p.groups],
        [s for p in parts for s in p.sources],
        [s for p in parts for s in p.spans],
    )
