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


@dataclass
class ParsedTurns:
    turns: list[Turn]
    speaker_aliases: dict[str, list[str]] = field(default_factory=dict)


def parse_turns(text: str, start: int = 0, *, paragraph_per_line: bool = False) -> ParsedTurns:
    """Turns of `text[start:]`: one per speaker label, or one per paragraph without labels.

    A turn runs from after its label to the next label, so unlabelled lines continue the
    current speaker. Text before the first label is one unknown-speaker ("") turn per
    paragraph; paragraphs are blank-line separated, or single lines with
    `paragraph_per_line` (Word and ODT, whose paragraphs are lines).
    """
    paragraph = _LINE if paragraph_per_line else _BLANK_LINE_PARAGRAPH
    labels = find_labels(text, start)
    first_label = labels[0].line_start if labels else len(text)
    pieces: list[tuple[str | None, int, int, float | None]] = []
    for match in paragraph.finditer(text, start, first_label):
        span = trim(text, match.start(), match.end())
        if span:
            pieces.append((None, *span, None))

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
