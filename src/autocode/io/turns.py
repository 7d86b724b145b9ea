"""Plain text -> speaker turns, shared by the text, Word, ODT and HTML readers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from autocode.io.labels import find_labels, is_role_like
from autocode.io.overlaps import overlap_segments, trim
from autocode.io.speakers import SpeakerNames, speaker_key
from autocode.types import Turn

_BLANK_LINE_PARAGRAPH = re.compile(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*")
_LINE = re.compile(r"[^\n]*\S[^\n]*")
_SEPARATOR_LINE = re.compile(r"^[ \t]*([-=*_~#])(?:[ \t]*\1){2,}[ \t]*$", re.MULTILINE)


@dataclass
class ParsedTurns:
    turns: list[Turn]
    speaker_aliases: dict[str, list[str]] = field(default_factory=dict)


def parse_turns(text: str, start: int = 0, *, paragraph_per_line: bool = False) -> ParsedTurns:
    """Turns of `text[start:]`: one per speaker label, or one per paragraph without labels.

    A turn runs from after its label to the next label, so unlabelled lines continue the
    current speaker. Text before the first label is one unknown-speaker ("") turn per
    paragraph; paragraphs are blank-line separated, or single lines with
    `paragraph_per_line` (Word and ODT, whose paragraphs are lines). Where separator lines
    ("-----", "***") divide the text, each block between them is one paragraph.
    """
    labels = find_labels(text, start)
    first_label = labels[0].line_start if labels else len(text)
    pieces: list[tuple[str | None, int, int, float | None]] = [
        (None, *span, None) for span in _paragraphs(text, start, first_label, paragraph_per_line)
    ]

    keys = {speaker_key(label.raw) for label in labels}

    def is_speaker(name: str) -> bool:
        return speaker_key(name) in keys or is_role_like(name)

    for index, label in enumerate(labels):
        end = labels[index + 1].line_start if index + 1 < len(labels) else len(text)
        segments = overlap_segments(text, label.content_start, end, is_speaker)
        for number, (speaker, seg_start, seg_end) in enumerate(segments):
            span = trim(text, seg_start, seg_end)
            if span:
                stamp = label.timestamp if number == 0 else None
                pieces.append((speaker or label.raw, *span, stamp))

    names = SpeakerNames()
    for raw, *_ in pieces:
        if raw is not None:
            names.add(raw)
    turns = [
        Turn(names.display(raw) if raw is not None else "", begin, end, stamp)
        for raw, begin, end, stamp in pieces
    ]
    return ParsedTurns(turns, names.aliases())


def _paragraphs(text: str, start: int, end: int, per_line: bool) -> list[tuple[int, int]]:
    separators = list(_SEPARATOR_LINE.finditer(text, start, end))
    if len(separators) >= 2:
        bounds = [start, *(p for sep in separators for p in (sep.start(), sep.end())), end]
        blocks = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
    else:
        paragraph = _LINE if per_line else _BLANK_LINE_PARAGRAPH
        blocks = [match.span() for match in paragraph.finditer(text, start, end)]
    return [span for block in blocks if (span := trim(text, *block))]
