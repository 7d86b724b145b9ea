"""Reader for plain-text transcripts (.txt, .md)."""

from __future__ import annotations

import re
from pathlib import Path

from autocode.io.decode import read_text
from autocode.io.noscribe import noscribe_header
from autocode.io.source import make_transcript
from autocode.io.tsv import looks_tab_separated, tab_separated_transcript
from autocode.io.turns import parse_turns
from autocode.types import Transcript

_MARKDOWN_TITLE = re.compile(r"\s*# (.+)")  # a Markdown "# Title" first line


def read(path: Path) -> Transcript:
    """Read a .txt or .md transcript; speaker labels become turns (see autocode.io.labels).

    A noScribe header, or a Markdown "# Title" first line, becomes metadata, not a turn. A file
    of `speaker<TAB>text` lines is read as a tab-separated transcript (autocode.io.tsv).
    """
    text, encoding = read_text(path)
    if looks_tab_separated(text):
        return tab_separated_transcript(
            path, path.suffix.lower().lstrip("."), text, encoding=encoding
        )
    header = noscribe_header(text)
    metadata = header.metadata if header else {}
    body_start = header.body_start if header else 0
    heading = _MARKDOWN_TITLE.match(text) if path.suffix.lower() == ".md" else None
    if heading:
        metadata = {"title": heading.group(1).strip()}
        body_start = heading.end()
    parsed = parse_turns(text, body_start)
    return make_transcript(
        path,
        path.suffix.lower().lstrip("."),
        text,
        parsed.turns,
        encoding=encoding,
        speaker_aliases=parsed.speaker_aliases,
        **metadata,
    )
