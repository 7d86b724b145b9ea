"""What the tab-separated and ELAN readers share: (speaker, text) rows -> a transcript.

Both formats hold the transcriber's own units (intonation units, annotations), one per row and
often a few words each. Consecutive rows of one speaker become one turn, written as a paragraph
"SPEAKER: row\\nrow\\n..." so the transcript reads like any other; each row stays on a line of
its own and `metadata["lines_are_units"]` tells segmentation to start a sentence at every line
(the rows carry no punctuation to find sentences by). Offsets are exact: every turn is a slice
of the text that is built here, and every row's text is in it unchanged but for its newlines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autocode.io.source import make_transcript
from autocode.types import Transcript, Turn

_INNER_BREAKS = re.compile(r"\s*\n\s*")


@dataclass(frozen=True)
class Row:
    speaker: str
    text: str
    seconds: float | None = None  # when the row starts in the recording, if known


def rows_transcript(path: Path, fmt: str, rows: Sequence[Row], **metadata: Any) -> Transcript:
    """The transcript of `rows` in order (empty rows dropped); InputError when none is left."""
    parts: list[str] = []
    turns: list[Turn] = []
    length = 0
    run: list[Row] = []

    def close_run() -> None:
        nonlocal length
        if not run:
            return
        head = f"{run[0].speaker}: " if run[0].speaker else ""
        body = "\n".join(_INNER_BREAKS.sub(" ", row.text.strip()) for row in run)
        separator = "\n\n" if parts else ""
        start = length + len(separator) + len(head)
        parts.append(separator + head + body)
        length = start + len(body)
        turns.append(Turn(run[0].speaker, start, length, run[0].seconds))
        run.clear()

    for row in rows:
        if not row.text.strip():
            continue
        if run and row.speaker != run[0].speaker:
            close_run()
        run.append(row)
    close_run()
    return make_transcript(path, fmt, "".join(parts), turns, lines_are_units=True, **metadata)
