"""What every reader does with the file it is given: id, checks, metadata."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autocode.errors import InputError
from autocode.types import Transcript, Turn


def transcript_id(path: Path) -> str:
    """The file stem: stable across runs and machines."""
    return path.stem


def make_transcript(
    path: Path, fmt: str, text: str, turns: list[Turn], **metadata: Any
) -> Transcript:
    """A Transcript with the standard metadata; an InputError when nothing was said in it."""
    if not turns:
        raise InputError(path, f"no transcript text found in this {fmt} file")
    meta: dict[str, Any] = {"source": str(path), "format": fmt}
    meta.update({key: value for key, value in metadata.items() if value is not None})
    return Transcript(id=transcript_id(path), text=text, turns=turns, metadata=meta)
