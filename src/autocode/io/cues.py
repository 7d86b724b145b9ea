"""WebVTT and SubRip files -> timed cues (text still carrying its tags)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from autocode.errors import InputError

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s+.*)?$")
_HEADER_FIELD = re.compile(r"^(?P<name>[A-Za-z][\w-]*):\s*(?P<value>.*)$")
_NON_CUE_BLOCKS = re.compile(r"^(NOTE|STYLE|REGION)(\s|$)")


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    lines: tuple[str, ...]


@dataclass
class CueFile:
    cues: list[Cue]
    title: str | None = None
    header: dict[str, str] = field(default_factory=dict)  # "Kind: captions", "Language: en"
    notes: list[str] = field(default_factory=list)


def parse_cues(text: str, path: Path) -> CueFile:
    """Split a .vtt or .srt text into cues; a cue timing that cannot be read is an InputError.

    Accepts what real files do: unpadded Teams times ("0:0:0.210"), SRT commas, YouTube cues
    that follow each other without a blank line, NOTE/STYLE/REGION blocks.
    """
    lines = text.split("\n")
    parsed = CueFile(cues=[])
    index = 0
    if lines and lines[0].lstrip().startswith("WEBVTT"):
        title = lines[0].strip()[len("WEBVTT") :].strip(" -\t")
        parsed.title = title or None
        index = 1
        while index < len(lines) and lines[index].strip():
            header = _HEADER_FIELD.match(lines[index].strip())
            if header and "-->" not in lines[index]:
                parsed.header[header["name"]] = header["value"].strip()
            index += 1
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        block_end = index
        while block_end < len(lines) and lines[block_end].strip():
            block_end += 1
        _read_block(lines, index, block_end, parsed, path)
        index = block_end
    return parsed


def _read_block(lines: list[str], start: int, end: int, parsed: CueFile, path: Path) -> None:
    first = lines[start].strip()
    if _NON_CUE_BLOCKS.match(first):
        if first.startswith("NOTE"):
            note = " ".join(line.strip() for line in lines[start:end])[len("NOTE") :].strip()
            if note:
                parsed.notes.append(note)
        return
    timing_rows = [row for row in range(start, end) if "-->" in lines[row]]
    if not timing_rows:
        raise InputError(path, f"line {start + 1}: expected a cue timing 'start --> end'")
    if timing_rows[0] > start + 1:  # only one identifier line may precede the timing
        raise InputError(path, f"line {start + 1}: text outside a cue: {first[:60]!r}")
    for number, row in enumerate(timing_rows):
        text_end = timing_rows[number + 1] if number + 1 < len(timing_rows) else end
        begin, finish = _timing(lines[row], row + 1, path)
        parsed.cues.append(Cue(begin, finish, tuple(lines[row + 1 : text_end])))


def _timing(line: str, line_number: int, path: Path) -> tuple[float, float]:
    match = _TIMING.match(line)
    problem = f"line {line_number}: cannot read the cue timing {line.strip()[:60]!r}"
    if match is None:
        raise InputError(path, problem)
    groups = match.groups()
    try:
        return _seconds(*groups[:4]), _seconds(*groups[4:])
    except ValueError:
        raise InputError(path, problem) from None


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str | None) -> float:
    if int(minutes) >= 60 or int(seconds) >= 60:
        raise ValueError("minutes and seconds must be below 60")
    whole = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return whole + (float(f"0.{fraction}") if fraction else 0.0)
