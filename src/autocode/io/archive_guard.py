"""The one guard every zip archive autocode reads goes through (.qdpx, .docx, .odt, .xlsx, and
archives inside them, such as a .docx source inside a .qdpx).

    budget = ArchiveBudget(path)                     # one budget per file the user gave
    with budget.open_archive(path) as archive:
        data = archive.read("project.qde")           # streamed, counted, stopped at the limit
        with budget.open_archive(archive.read("Sources/a.docx"), "Sources/a.docx") as inner:
            inner.check_for_library()                # before python-docx opens it itself

Before anything is unpacked the guard checks the archive's table of contents (member count),
and for each member it reads: the compression method, the declared uncompressed size and the
compression ratio. While reading it counts the bytes actually produced, member by member and
for the whole budget, and stops as soon as a limit is passed. Python's zipfile never produces
more than a member's declared size, so a library handed an archive whose declared sizes passed
the checks cannot unpack more either. A file past a limit is one `InputError` naming the file,
the member and the limit (see `autocode.io.limits` for the limits and how to set them).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from autocode.errors import InputError
from autocode.io.limits import ReadLimits, current_limits, limit_hint, megabytes
from autocode.io.safe_xml import PROLOG_SCAN_BYTES, declares_doctype, doctype_refused, first_line

_CHUNK = 1024 * 1024
# A table-of-contents entry is 46 bytes plus its name and extra fields; real ones stay far below.
_DIRECTORY_BYTES_PER_MEMBER = 512
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_XML_MEMBERS = (".xml", ".rels")
# What zipfile and zlib raise on a damaged archive or member.
READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
    struct.error,
)


class ArchiveBudget:
    """What reading one file the user gave may unpack, all archives inside it included."""

    def __init__(self, path: str | Path, limits: ReadLimits | None = None) -> None:
        self.path = Path(path)
        self.limits = limits or current_limits()
        self.unpacked = 0
        self.depth = 0

    def charge(self, count: int, member: str) -> None:
        """Count `count` more unpacked bytes (of `member`) against the budget."""
        self.unpacked += count
        if self.unpacked > self.limits.max_unpacked_bytes:
            raise InputError(
                self.path,
                f"unpacking it takes more than the {megabytes(self.limits.max_unpacked_bytes)} "
                f"limit for one file (passed at member {member}; "
                f"{limit_hint('max_unpacked_mb')})",
            )

    @contextmanager
    def open_archive(
        self, source: Path | bytes, inside: str = "", kind: str = "zip archive"
    ) -> Iterator[GuardedArchive]:
        """The zip archive at `source` (the file itself, or the bytes of a member named
        `inside`), checked; an InputError when it is not a zip (a valid `kind`) or breaks a
        limit."""
        if self.depth >= self.limits.max_depth:
            raise InputError(
                self.path,
                f"member {inside} is an archive nested {self.depth + 1} deep; autocode opens "
                f"archives at most {self.limits.max_depth} deep",
            )
        what = f"member {inside} " if inside else ""
        handle: IO[bytes]
        try:
            handle = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
        except OSError as error:
            raise InputError(self.path, f"cannot be read ({error.strerror or error})") from None
        try:
            if not handle.seek(0, io.SEEK_END):
                raise InputError(self.path, f"{what}is empty" if inside else "the file is empty")
            self._check_directory(handle, inside)
            try:
                archive = zipfile.ZipFile(handle)
            except READ_ERRORS as error:
                raise InputError(
                    self.path, f"{what}is not a valid {kind} ({first_line(error)})"
                ) from None
            guarded = GuardedArchive(self, archive, inside)
            self.depth += 1
            try:
                yield guarded
            finally:
                self.depth -= 1
                archive.close()
        finally:
            handle.close()

    def _check_directory(self, handle: IO[bytes], inside: str) -> None:
        """Refuse a table of contents too long to parse before zipfile parses all of it."""
        end_record = getattr(zipfile, "_EndRecData", None)  # private; skip the check if gone
        if end_record is None:
            return
        try:
            record = end_record(handle)
        except READ_ERRORS:
            return  # zipfile says what is wrong
        if not record:
            return
        entries, directory_size = record[4], record[5]
        limit = self.limits.max_members
        if entries > limit or directory_size > limit * _DIRECTORY_BYTES_PER_MEMBER:
            where = f"member {inside}: its" if inside else "its"
            raise InputError(
                self.path,
                f"{where} table of contents lists {entries} members "
                f"({megabytes(directory_size)}), over the limit of {limit} members "
                f"({limit_hint('max_members')})",
            )


class GuardedArchive:
    """A zip archive whose reads are checked and counted against one `ArchiveBudget`."""

    def __init__(self, budget: ArchiveBudget, archive: zipfile.ZipFile, inside: str) -> None:
        self.budget = budget
        self.archive = archive
        self.inside = inside
        self.prefix = f"{inside} > " if inside else ""
        self.infos = archive.infolist()
        limit = budget.limits.max_members
        if len(self.infos) > limit:
            raise InputError(
                budget.path,
                f"{f'member {inside} ' if inside else ''}holds {len(self.infos)} members, "
                f"over the limit of {limit} ({limit_hint('max_members')})",
            )
        self.names = [info.filename for info in self.infos if not info.is_dir()]

    def read(self, name: str) -> bytes:
        """The bytes of member `name`, streamed and counted; an InputError past a limit."""
        info = self._info(name)
        self.check_member(info)
        parts: list[bytes] = []
        produced = 0
        limit = min(info.file_size, self.budget.limits.max_member_bytes)
        for chunk in self._chunks(info):
            produced += len(chunk)
            if produced > limit:
                raise self._too_large(info, produced)
            self.budget.charge(len(chunk), self._member(info))
            parts.append(chunk)
        return b"".join(parts)

    def check_for_library(self) -> None:
        """Check every member before a library (python-docx, openpyxl) opens the archive and
        unpacks what it likes: sizes, ratios and the budget by the declared sizes (zipfile
        never unpacks more), and no DOCTYPE in any XML part."""
        for info in self.infos:
            if info.is_dir():
                continue
            self.check_member(info)
            self.budget.charge(info.file_size, self._member(info))
        for info in self.infos:
            if info.filename.lower().endswith(_XML_MEMBERS) and not info.is_dir():
                self._check_prolog(info)

    def check_member(self, info: zipfile.ZipInfo) -> None:
        """Refuse a member by what the table of contents says, before unpacking it."""
        limits = self.budget.limits
        member = self._member(info)
        if info.flag_bits & 0x1:
            raise InputError(self.budget.path, f"member {member} is encrypted")
        if info.compress_type not in _METHODS:
            raise InputError(
                self.budget.path,
                f"member {member} uses compression method {info.compress_type}; autocode reads "
                "stored and deflated members (what QDA and office tools write)",
            )
        if info.file_size > limits.max_member_bytes:
            raise self._too_large(info, info.file_size)
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise InputError(
                self.budget.path,
                f"member {member} unpacks to {ratio:.0f} times its packed size, over the limit "
                f"of {limits.max_ratio:g} ({limit_hint('max_ratio')})",
            )

    def _check_prolog(self, info: zipfile.ZipInfo) -> None:
        prefix = b""
        for chunk in self._chunks(info, size=4096):
            self.budget.charge(len(chunk), self._member(info))
            prefix += chunk
            found = declares_doctype(prefix)
            if found is not None or len(prefix) >= PROLOG_SCAN_BYTES:
                break
        else:
            found = False  # the member ends inside its prolog: the parser will say so
        if found is None:
            raise InputError(
                self.budget.path,
                f"member {self._member(info)} has no XML element in its first "
                f"{PROLOG_SCAN_BYTES // 1024} KB",
            )
        if found:
            raise doctype_refused(self.budget.path, f"member {self._member(info)}")

    def _chunks(self, info: zipfile.ZipInfo, size: int = _CHUNK) -> Iterator[bytes]:
        try:
            with self.archive.open(info) as stream:
                while chunk := stream.read(size):
                    yield chunk
        except READ_ERRORS as error:
            raise InputError(
                self.budget.path,
                f"member {self._member(info)} cannot be read ({first_line(error)})",
            ) from None

    def _info(self, name: str) -> zipfile.ZipInfo:
        try:
            return self.archive.getinfo(name)
        except KeyError:
            raise InputError(self.budget.path, f"has no member {self._member(name)}") from None

    def _too_large(self, info: zipfile.ZipInfo, size: int) -> InputError:
        limit = self.budget.limits.max_member_bytes
        if size <= limit:  # more bytes than the table of contents declared
            return InputError(
                self.budget.path,
                f"member {self._member(info)} unpacks to more than its declared "
                f"{info.file_size} bytes",
            )
        return InputError(
            self.budget.path,
            f"member {self._member(info)} unpacks to {megabytes(size)}, over the "
            f"{megabytes(limit)} limit for one member ({limit_hint('max_member_mb')})",
        )

    def _member(self, info: zipfile.ZipInfo | str) -> str:
        return self.prefix + (info if isinstance(info, str) else info.filename)


def check_for_library(
    source: Path | bytes, budget: ArchiveBudget, kind: str, inside: str = ""
) -> None:
    """Check a document's archive (a file, or a member's bytes) before a library opens it
    itself: see `GuardedArchive.check_for_library`."""
    with budget.open_archive(source, inside, kind) as archive:
        archive.check_for_library()
