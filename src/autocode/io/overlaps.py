"""Overlapping speech written inline, as noScribe does: "main text //S02: interjection // more"."""

from __future__ import annotations

import re
from collections.abc import Callable

_MARK = re.compile(r"(?<![:/])//(?!/)")  # not the "//" of a URL
_LABEL = re.compile(r"[ \t]*(?P<name>[^\W_][\w.\- ]{0,30}?)[ \t]*:[ \t]+")

Segment = tuple[str | None, int, int]


def overlap_segments(
    text: str, start: int, end: int, is_speaker: Callable[[str], bool]
) -> list[Segment]:
    """Split `text[start:end]` at inline overlap marks.

    Returns (speaker label or None for the turn's own speaker, start, end) pieces, trimmed of
    whitespace, without pieces that hold no letters or digits. Text without a labelled
    overlap comes back as one piece.
    """
    cuts = list(_MARK.finditer(text, start, end))
    if not cuts:
        return [(None, start, end)]
    bounds = [start, *(p for cut in cuts for p in (cut.start(), cut.end())), end]
    pieces: list[Segment] = []
    for index in range(0, len(bounds), 2):
        piece_start, piece_end = bounds[index], bounds[index + 1]
        speaker = None
        label = _LABEL.match(text, piece_start, piece_end) if index else None
        if label and is_speaker(label.group("name")):
            speaker, piece_start = label.group("name"), label.end()
        piece = trim(text, piece_start, piece_end)
        if piece is not None:
            pieces.append((speaker, *piece))
    if all(speaker is None for speaker, _, _ in pieces):
        return [(None, start, end)]
    return pieces


def trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """`(start, end)` without surrounding whitespace; None when no letter or digit is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if not any(ch.isalnum() for ch in text[start:end]):
        return None
    return start, end
