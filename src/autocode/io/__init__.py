"""Read transcripts and survey responses from the files researchers have.

`read(path, **options)` picks the reader by file suffix; `read_many(paths)` reads files and
folders and collects the bad files instead of stopping at the first. Every problem with a
file is an `autocode.errors.InputError` naming that file.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from autocode.errors import InputError
from autocode.io.language import set_language
from autocode.types import Transcript

# suffix -> (module in autocode.io, the options its read() accepts)
_READERS: dict[str, tuple[str, frozenset[str]]] = {
    ".txt": ("text", frozenset()),
    ".md": ("text", frozenset()),
    ".docx": ("docx_file", frozenset()),
    ".odt": ("odt", frozenset()),
    ".html": ("html_file", frozenset()),
    ".htm": ("html_file", frozenset()),
    ".vtt": ("captions", frozenset()),
    ".srt": ("captions", frozenset()),
    ".tsv": ("tsv", frozenset()),
    ".eaf": ("elan", frozenset()),
    ".csv": ("survey", frozenset({"id_column", "text_column"})),
    ".xlsx": ("survey", frozenset({"id_column", "text_column", "sheet"})),
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(sorted(_READERS))
_HINTS = {
    ".pdf": "export the transcript as .docx or .txt first",
    ".doc": "save it as .docx first",
    ".xls": "save it as .xlsx or .csv first",
    ".rtf": "save it as .docx or .txt first",
}


def read(path: str | Path, *, language: str | None = None, **options: Any) -> Transcript:
    """Read one file into a Transcript, with its language in `metadata["language"]`.

    Options go to the reader of that format: `id_column`, `text_column` for .csv and .xlsx,
    plus `sheet` (name or 0-based index) for .xlsx. An option the format does not take is a
    TypeError. `language` (an ISO 639-1 code) overrides the language the file names or the one
    detected (see `set_language`).
    """
    path = Path(path)
    module_name, accepted = _reader_for(path)
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise TypeError(f"{path.suffix} files take no option(s) {', '.join(unknown)}")
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a folder; use read_many() for folders")
    module = importlib.import_module(f"autocode.io.{module_name}")
    return set_language(module.read(path, **options), language)


def read_many(
    paths: Iterable[str | Path],
    *,
    strict: bool = False,
    language: str | None = None,
    **options: Any,
) -> tuple[list[Transcript], list[InputError]]:
    """Read files and folders; returns (transcripts, errors).

    Folders are searched recursively, in sorted order, for supported suffixes (hidden files
    and Word's "~$" lock files are skipped). A file that cannot be read adds an InputError to
    `errors` and the rest are still read; with `strict=True` the first error is raised.
    Options go only to the readers that take them. Two files with the same stem would give
    the same transcript id: the second is reported as an error.
    """
    transcripts: list[Transcript] = []
    errors: list[InputError] = []
    seen: dict[str, Path] = {}
    for path in _expand(paths):
        try:
            accepted = _reader_for(path)[1]
            chosen = {k: v for k, v in options.items() if k in accepted}
            transcript = read(path, language=language, **chosen)
            if transcript.id in seen:
                raise InputError(
                    path,
                    f"gives the same transcript id {transcript.id!r} as {seen[transcript.id]}; "
                    "rename one of them",
                )
        except InputError as error:
            if strict:
                raise
            errors.append(error)
            continue
        seen[transcript.id] = path
        transcripts.append(transcript)
    return transcripts, errors


def _reader_for(path: Path) -> tuple[str, frozenset[str]]:
    suffix = path.suffix.lower()
    if suffix in _READERS:
        return _READERS[suffix]
    hint = _HINTS.get(suffix, f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
    kind = f"file type {suffix!r}" if suffix else "file without a suffix"
    raise InputError(path, f"unsupported {kind} ({hint})")


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    expanded: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            expanded.extend(
                found
                for found in sorted(path.rglob("*"))
                if found.is_file()
                and found.suffix.lower() in _READERS
                and not _hidden(found.relative_to(path))
            )
        else:
            expanded.append(path)
    return expanded


def _hidden(relative: Path) -> bool:
    return any(part.startswith((".", "~$")) for part in relative.parts)


__all__ = ["SUPPORTED_SUFFIXES", "read", "read_many", "set_language"]
