"""Bytes to text for every text-based format: BOMs, encodings and line endings in one place."""

from __future__ import annotations

import codecs
import os
import re
from pathlib import Path

from autocode.errors import InputError
from autocode.io.limits import ReadLimits, current_limits, limit_hint, megabytes

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# C0 controls other than tab, newline, vertical tab, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Multi-byte UTF-8 characters: a file with several of them that is still not valid UTF-8 was
# pasted together from files in two encodings; read as Windows-1252 it would come out garbled.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
_MIXED_EVIDENCE = 3
_NEWLINES = re.compile(r"\r\n?|\u2028|\u2029|\x85")


def normalise_newlines(text: str) -> str:
    """CRLF, CR and Unicode line/paragraph separators become "\\n"."""
    return _NEWLINES.sub("\n", text)


def decode_bytes(data: bytes, path: str | Path) -> tuple[str, str]:
    """Decode `data` read from `path`; return (text, encoding name).

    Tries a BOM first, then strict UTF-8, then Windows-1252. The BOM is dropped and line
    endings are normalised to "\\n". Raises InputError for binary content.
    """
    if not data:
        raise InputError(path, "the file is empty")
    text, encoding = _decode(data, path)
    if len(_CONTROL.findall(text[:4096])) > 2:
        raise InputError(path, "looks like a binary file, not text")
    return normalise_newlines(text), encoding


def read_text(path: Path) -> tuple[str, str]:
    """Read and decode a text file; (text, encoding)."""
    return decode_bytes(read_bytes(path), path)


def read_bytes(path: Path, limits: ReadLimits | None = None) -> bytes:
    """The bytes of a text file, at most `max_text_mb` of them; missing, unreadable, empty and
    larger files are an InputError."""
    limit = (limits or current_limits()).max_text_bytes
    data = read_bounded(path, limit, "max_text_mb", "text files")
    if not data:
        raise InputError(path, "the file is empty")
    return data


def read_bounded(path: Path, limit: int, limit_name: str, kind: str) -> bytes:
    """The file's bytes, refused (without reading them) past `limit` bytes: `limit_name` is
    the `ReadLimits` field that sets it and `kind` what the limit is for."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = b"" if size > limit else handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a file") from None
    except OSError as error:
        raise InputError(path, f"cannot be read ({error.strerror or error})") from None
    if size > limit or len(data) > limit:
        raise InputError(
            path,
            f"is {megabytes(max(size, len(data)))}, over the {megabytes(limit)} limit for {kind} "
            f"({limit_hint(limit_name)})",
        )
    return data


def _decode(data: bytes, path: str | Path) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.removesuffix("-sig")
            except UnicodeDecodeError:
                raise InputError(path, f"starts with a {encoding} BOM but is not valid") from None
    if b"\x00" in data:
        raise InputError(path, "looks like a binary file, not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        if len(_UTF8_SEQUENCE.findall(data)) >= _MIXED_EVIDENCE:
            raise InputError(
                path,
                f"mixes UTF-8 with another encoding (invalid UTF-8 at byte {error.start}, valid "
                "UTF-8 elsewhere): it cannot be read exactly; save it as UTF-8",
            ) from None
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise InputError(
            path, "cannot be decoded as text (tried UTF-8, UTF-16 and Windows-1252)"
        ) from None
