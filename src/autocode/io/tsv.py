"""Reader for tab-separated transcripts: one row per line, `speaker<TAB>text`.

Corpora of spoken language ship their transcripts this way (ParlaTO/KIParla, exports of ELAN
and EXMARaLDA tiers): the speaker code first, the transcribed unit last, with optional columns
between them (start and end times) that are not read. A first row whose first cell is a column
name ("speaker", "sprecher", "parlante", ...) is a header. The same layout in a .txt file is read
by the plain-text reader with this module (`looks_tab_separated`).
"""

from __future__ import annotations

from pathlib import Path

from autocode.errors import InputError
from autocode.io.decode import read_text
from autocode.io.lines import Row, rows_transcript
from autocode.types import Transcript

_HEADER_NAMES = frozenset(
    {
        "speaker", "speaker_code", "spk", "who", "tier", "participant", "sprecher", "sprecherin",
        "parlante", "locutore", "hablante", "locutor", "falante", "spreker", "intervenant",
    }
)  # fmt: skip
_MAX_SPEAKER = 40


def read(path: Path) -> Transcript:
    """Read a .tsv transcript (see the module docstring)."""
    text, encoding = read_text(path)
    return tab_separated_transcript(path, "tsv", text, encoding=encoding)


def looks_tab_separated(text: str) -> bool:
    """Whether most non-empty lines are `speaker<TAB>text` with a short speaker cell."""
    lines = [line for line in text.split("\n")[:2000] if line.strip()]
    if len(lines) < 3:
        return False
    shaped = sum(1 for line in lines if _speaker_cell(line) is not None)
    return shaped >= 0.9 * len(lines)


def tab_separated_transcript(path: Path, fmt: str, text: str, **metadata: object) -> Transcript:
    rows: list[Row] = []
    first = True
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        speaker = _speaker_cell(line)
        if speaker is None:
            raise InputError(
                path,
                f"line {number} is not `speaker<TAB>text` (no tab, or a speaker cell "
                f"over {_MAX_SPEAKER} characters)",
            )
        header, first = first and speaker.casefold() in _HEADER_NAMES, False
        if not header:
            rows.append(Row(speaker, line.split("\t")[-1]))
    return rows_transcript(path, fmt, rows, **metadata)


def _speaker_cell(line: str) -> str | None:
    speaker, tab, _ = line.partition("\t")
    speaker = speaker.strip()
    if not tab or not speaker or len(speaker) > _MAX_SPEAKER:
        return None
    return speaker
