"""Reader for subtitle transcripts (.vtt, .srt): Zoom, Teams, noScribe, YouTube, whisper.cpp.

Speakers come from voice tags (`<v Name>`, Teams and noScribe) or a "Name: text" label at the
start of the cue (Zoom). Consecutive cues of the same speaker become one turn; cues without a
speaker are merged up to the end of a sentence, which also puts whisper.cpp's one-word cues
back together. The transcript text is one "Speaker: text" line per turn (just "text" without
a speaker) and each Turn points at the text after the label.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from autocode.io.cues import Cue, parse_cues
from autocode.io.decode import read_text
from autocode.io.labels import find_labels, is_role_like
from autocode.io.overlaps import overlap_segments
from autocode.io.source import make_transcript
from autocode.io.speakers import SpeakerNames, clean_label, speaker_key
from autocode.types import Transcript, Turn

_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
_INLINE_TIME = re.compile(r"<\d[\d:.]*>")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_ASS_OVERRIDE = re.compile(r"\{\\[^}]*\}")
_SENTENCE_END = re.compile(r"[.?!…][\"'”’)\]]*$")
_PUNCTUATION = re.compile(r"[,.;:!?…]+")
_DIALOGUE_DASH = re.compile(r"^[-–—]\s*")
_ATTACHES_LEFT = re.compile(r"^(?:[,.;:!?%…)\]}]|['’](?:s|t|re|ve|ll|d|m)\b)", re.IGNORECASE)


@dataclass
class _Piece:
    speaker: str | None  # raw label as written; None: unknown
    text: str
    start: float


def read(path: Path) -> Transcript:
    """Read a .vtt or .srt file into turns with timestamps (seconds of the first cue)."""
    source, encoding = read_text(path)
    cue_file = parse_cues(source, path)
    pieces = _pieces(cue_file.cues)
    names = SpeakerNames()
    for piece in pieces:
        if piece.speaker is not None:
            names.add(piece.speaker)
    text, turns = _assemble(_merge(pieces), names)
    return make_transcript(
        path,
        path.suffix.lower().lstrip("."),
        text,
        turns,
        encoding=encoding,
        title=cue_file.title,
        language=cue_file.header.get("Language") or None,
        speaker_aliases=names.aliases(),
        notes=cue_file.notes or None,
    )


def _pieces(cues: list[Cue]) -> list[_Piece]:
    """Each cue's clean text with its speaker; rolling YouTube duplicates removed."""
    rolling = any(_INLINE_TIME.search(line) for cue in cues for line in cue.lines)
    cleaned: list[tuple[Cue, str | None, list[str]]] = []
    previous: list[str] = []
    for cue in cues:
        voice = next((m.group(1) for line in cue.lines if (m := _VOICE.search(line))), None)
        lines = [_clean(line) for line in cue.lines]
        lines = [line for line in lines if line]
        if rolling:
            new = [line for line in lines if line not in previous]
            previous = lines or previous
            lines = new
        if lines:
            cleaned.append((cue, voice, lines))
    labels = _zoom_labels(
        [text for _, voice, lines in cleaned if voice is None for text in _dialogue_lines(lines)]
    )
    known = {speaker_key(v) for _, v, _ in cleaned if v}
    known |= {speaker_key(raw) for raw, _ in labels.values()}

    def is_speaker(name: str) -> bool:
        return speaker_key(name) in known or is_role_like(name)

    pieces: list[_Piece] = []
    for cue, voice, lines in cleaned:
        for text in _dialogue_lines(lines):
            speaker = clean_label(voice) if voice is not None else None
            if voice is None and text in labels:
                speaker, text = labels[text]
            for overlap, start, end in overlap_segments(text, 0, len(text), is_speaker):
                pieces.append(_Piece(overlap or speaker, text[start:end].strip(), cue.start))
    # keep word-level punctuation cues (",", "."); drop decorations such as "---"
    return [p for p in pieces if _has_words(p.text) or _PUNCTUATION.fullmatch(p.text)]


def _dialogue_lines(lines: list[str]) -> list[str]:
    """A cue whose lines all open with a dash holds two speakers' lines: keep them apart."""
    if len(lines) > 1 and all(_DIALOGUE_DASH.match(line) for line in lines):
        return [_DIALOGUE_DASH.sub("", line) for line in lines]
    return [" ".join(lines)]


def _clean(line: str) -> str:
    line = _VOICE.sub("", line)
    line = _INLINE_TIME.sub("", line)
    line = _TAG.sub("", line)
    line = _ASS_OVERRIDE.sub("", line)
    return " ".join(html.unescape(line).split())


def _zoom_labels(texts: list[str]) -> dict[str, tuple[str, str]]:
    """Cue text -> (speaker, text after the label), for cues that open with a "Name:" label."""
    joined = "\n".join(texts)
    found: dict[str, tuple[str, str]] = {}
    line_starts = {}
    offset = 0
    for text in texts:
        line_starts[offset] = text
        offset += len(text) + 1
    for label in find_labels(joined, lines_are_turns=True):
        text = line_starts.get(label.line_start)
        if text is not None:
            found[text] = (label.raw, joined[label.content_start : label.line_start + len(text)])
    return found


def _merge(pieces: list[_Piece]) -> list[_Piece]:
    """Consecutive pieces of one speaker -> one; unknown speakers up to a sentence end."""
    merged: list[_Piece] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        same = last is not None and _same_speaker(last.speaker, piece.speaker)
        if same and last and (last.speaker is not None or not _SENTENCE_END.search(last.text)):
            last.text = _join(last.text, piece.text)
        else:
            merged.append(_Piece(piece.speaker, piece.text, piece.start))
    return [piece for piece in merged if _has_words(piece.text)]


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _same_speaker(first: str | None, second: str | None) -> bool:
    if first is None or second is None:
        return first is second
    return speaker_key(first) == speaker_key(second)


def _join(left: str, right: str) -> str:
    """Join cue texts; word-level cues put punctuation and contractions in cues of their own."""
    return left + right if _ATTACHES_LEFT.match(right) else f"{left} {right}"


def _assemble(pieces: list[_Piece], names: SpeakerNames) -> tuple[str, list[Turn]]:
    parts: list[str] = []
    turns: list[Turn] = []
    offset = 0
    for piece in pieces:
        speaker = names.display(piece.speaker) if piece.speaker is not None else ""
        prefix = f"{speaker}: " if speaker else ""
        start = offset + len(prefix)
        turns.append(Turn(speaker, start, start + len(piece.text), piece.start))
        line = f"{prefix}{piece.text}\n"
        parts.append(line)
        offset += len(line)
    return "".join(parts), turns
