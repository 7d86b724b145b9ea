"""Reader for plain-text transcripts (.txt, .md)."""

from __future__ import annotations

from pathlib import Path

from autocode.io.decode import read_text
from autocode.io.noscribe import noscribe_header
from autocode.io.source import make_transcript
from autocode.io.turns import parse_turns
from autocode.types import Transcript


def read(path: Path) -> Transcript:
    """Read a .txt or .md transcript; speaker labels become turns (see autocode.io.labels)."""
    text, encoding = read_text(path)
    header = noscribe_header(text)
    parsed = parse_turns(text, header.body_start if header else 0)
    return make_transcript(
        path,
        path.suffix.lower().lstrip("."),
        text,
        parsed.turns,
        encoding=encoding,
        speaker_aliases=parsed.speaker_aliases,
        **(header.metadata if header else {}),
    )
