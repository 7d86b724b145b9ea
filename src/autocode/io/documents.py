"""What the Word and ODT readers share: paragraphs and table rows -> transcript."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autocode.errors import InputError
from autocode.io.source import make_transcript
from autocode.io.turns import parse_turns
from autocode.types import Transcript

_MAX_LABEL_CELL = 40


def table_row_line(cells: list[str]) -> str:
    """One line for a table row; "Speaker | text" rows become "Speaker: text".

    Transcription services deliver tables with a speaker (and maybe a time) column before the
    text column; any row whose cells before the last are short turns into a labelled line.
    """
    cells = [cell.strip() for cell in cells if cell.strip()]
    if len(cells) >= 2 and all(
        len(cell) <= _MAX_LABEL_CELL and "\n" not in cell for cell in cells[:-1]
    ):
        return f"{' '.join(cells[:-1])}: {cells[-1]}"
    return "\n".join(cells)


def document_transcript(path: Path, fmt: str, paragraphs: list[str], **metadata: Any) -> Transcript:
    """Join paragraphs with "\\n" and find the turns; each paragraph is one line."""
    text = "\n".join(paragraphs)
    parsed = parse_turns(text, paragraph_per_line=True)
    return make_transcript(
        path, fmt, text, parsed.turns, speaker_aliases=parsed.speaker_aliases, **metadata
    )


@contextmanager
def opening(path: Path, kind: str) -> Iterator[None]:
    """Turn whatever a document library raises on a broken file into one InputError line."""
    try:
        yield
    except InputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        raise InputError(path, f"is not a valid {kind} (not a zip archive: {error})") from None
    except Exception as error:  # python-docx and lxml raise many types on broken files
        detail = error.args[0] if isinstance(error, KeyError) and error.args else error
        reason = (str(detail).splitlines() or [type(error).__name__])[0][:200]
        raise InputError(path, f"is not a valid {kind} ({reason})") from None
