"""REFI-QDA selection positions <-> Python string offsets.

REFI-QDA counts positions in "characters" of a source's plain text, but tools disagree on what a
character is. What the files in ../shared/testdata/refi_qda show (tests/test_refi.py checks it):

Share of codings whose start and end fall on word boundaries, per way of counting:

- nvivo12win_vaccine-skepticism_hu.qdpx (UTF-8 with BOM, CRLF, 892 emoji): UTF-16 units with
  CRLF as 2: 300 of 303; code points with CRLF as 2: 49; CRLF as 1: 22-23. So NVivo 12 for
  Windows counts UTF-16 code units (an emoji is 2) and CRLF as 2; the BOM does not count.
- qc132_cs-education-demo.qdpx ("\\n" only, ASCII): "\\n" as 1: 205 of 205 (and all 158
  selections start on the line their name gives); "\\n" as 2: 24. UTF-16 cannot be told apart
  (no characters outside the BMP).
- nvivo15mac_codebook-only.qdpx: 1-byte "\\n" sources, no codings: nothing to measure.
- atlasti84mac_*.qde/.qdpx, atlasti23_*.qdpx: no source texts shipped: nothing to measure.
  QualCoder's importer documents that ATLAS.ti counts CRLF as 1; autocode prefers that for
  ATLAS.ti files when the selections cannot decide.

autocode's `Transcript.text` has "\\n" line endings and its offsets are code points. A
`PositionModel` says how a tool counted; `auto_detect` picks, per source, the model under which
most selections start and end on word boundaries (hand-made selections almost always do), with
ties going to what the tool is known to do.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class PositionModel:
    """How a tool counted positions: `crlf` each line break as two, `utf16` in UTF-16 units."""

    crlf: bool = False
    utf16: bool = False

    def describe(self) -> str:
        unit = "UTF-16 code units" if self.utf16 else "code points"
        breaks = "CRLF counted as 2" if self.crlf else "line break counted as 1"
        return f"{unit}, {breaks}"


class PositionMap:
    """Converts between offsets into `text` ("\\n" line endings) and positions under a model."""

    def __init__(self, text: str, model: PositionModel) -> None:
        self.text = text
        self.model = model
        # Characters that count one extra position, in order.
        wide: list[int] = []
        if model.crlf:
            wide.extend(match.start() for match in re.finditer("\n", text))
        if model.utf16:
            wide.extend(match.start() for match in _ASTRAL_RE.finditer(text))
        wide.sort()
        self._wide = wide
        # Position of the k-th wide character under the model.
        self._wide_positions = [index + k for k, index in enumerate(wide)]
        self.length = self.position(len(text))

    def position(self, offset: int) -> int:
        """The model position of a string offset (0 <= offset <= len(text))."""
        return offset + bisect_left(self._wide, offset)

    def offset(self, position: int, *, is_end: bool) -> int:
        """The string offset of a model position.

        A position that falls inside a wide character (between CR and LF, or between the two
        halves of a surrogate pair) snaps outwards: a start to the character's start, an end to
        its end.
        """
        # Wide characters that end at or before `position` (each spans two positions).
        before = bisect_right(self._wide_positions, position - 2)
        if before < len(self._wide) and self._wide_positions[before] == position - 1:
            inside = self._wide[before]
            return inside + 1 if is_end else inside
        return position - before


def word_boundary(text: str, offset: int) -> bool:
    """True unless `offset` cuts a word (letters or digits on both sides)."""
    if offset <= 0 or offset >= len(text):
        return True
    return not (text[offset - 1].isalnum() and text[offset].isalnum())


def candidate_models(text: str, stored_crlf: bool, prefer_utf16: bool) -> list[PositionModel]:
    """Models worth trying for a source, the most likely first (it wins ties)."""
    crlf_options = [stored_crlf, not stored_crlf] if "\n" in text else [False]
    has_astral = _ASTRAL_RE.search(text) is not None
    utf16_options = [prefer_utf16, not prefer_utf16] if has_astral else [False]
    return [PositionModel(crlf, utf16) for utf16 in utf16_options for crlf in crlf_options]


def auto_detect(
    text: str, spans: Sequence[tuple[int, int]], candidates: Sequence[PositionModel]
) -> PositionModel:
    """The candidate under which most spans fit the text and sit on word boundaries.

    Ties go to the earlier candidate. A candidate under which some span runs past the text loses
    to any under which all fit.
    """
    best = candidates[0]
    best_score = (-1, -1)
    for model in candidates:
        mapping = PositionMap(text, model)
        fits = sum(end <= mapping.length for _, end in spans)
        aligned = 0
        for start, end in spans:
            if end > mapping.length:
                continue
            begin = mapping.offset(start, is_end=False)
            finish = mapping.offset(end, is_end=True)
            aligned += word_boundary(text, begin) and word_boundary(text, finish)
        score = (fits == len(spans), aligned)
        if score > best_score:
            best, best_score = model, score
    return best
