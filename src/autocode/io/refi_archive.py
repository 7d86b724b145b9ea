"""Reading the files of a REFI-QDA project: `project.qde` and its sources, from a `.qdpx` zip or
from a bare `.qde` with an optional `Sources/` folder beside it.

Quirks handled: the project member may be called `Project.qde` (ATLAS.ti) or sit in a folder;
the sources folder may be `Sources/` or `sources/` (NVivo for Mac, with a `sources/.root` entry);
`plainTextPath` may be `internal://<file>` (the standard), a bare file name (qc) or
`relative://<file>`.
"""

from __future__ import annotations

import io
import zipfile
from contextlib import ExitStack
from pathlib import Path, PurePosixPath

import docx
from docx.table import Table

from autocode.errors import InputError
from autocode.io.archive_guard import ArchiveBudget, GuardedArchive, check_for_library
from autocode.io.decode import read_bounded
from autocode.io.safe_xml import first_line

_INTERNAL = "internal://"
_RELATIVE = ("relative:///", "relative://")
_EXTERNAL = ("absolute://", "file://", "http://", "https://")
_SNIFF_BYTES = 1024


class ProjectArchive:
    """The project XML of a `.qdpx`/`.qde` file and a way to read the sources it refers to.

    Everything is read through one `ArchiveBudget` (sources and .docx sources inside the
    archive included); use it as a context manager, it keeps the archive open while reading.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.budget = ArchiveBudget(path)
        self._stack = ExitStack()
        self._zip_members: dict[str, str] = {}  # lowercased member name -> member name
        self._zip: GuardedArchive | None = None
        try:
            with path.open("rb") as handle:
                start = handle.read(_SNIFF_BYTES)
            is_zip = zipfile.is_zipfile(path)
        except OSError as error:
            raise InputError(path, f"cannot read the file: {error.strerror or error}") from None
        if is_zip:
            try:
                self._open_zip()
            except BaseException:
                self.close()
                raise
        elif start.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            limit = self.budget.limits.max_text_bytes
            self.project_xml = read_bounded(path, limit, "max_text_mb", "REFI-QDA project XML")
            self.project_member = path.name
            self._base = path.parent
        elif start.startswith(b"PK"):
            raise InputError(path, "damaged zip archive: the .qdpx cannot be opened as a zip")
        else:
            raise InputError(
                path, "not a REFI-QDA project: neither a zip archive (.qdpx) nor XML (.qde)"
            )

    @property
    def is_zip(self) -> bool:
        """A `.qdpx` archive, not a bare `.qde`."""
        return self._zip is not None

    def __enter__(self) -> ProjectArchive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._stack.close()

    def _open_zip(self) -> None:
        archive = self._stack.enter_context(self.budget.open_archive(self.path))
        names = archive.names
        projects = sorted(
            (name for name in names if name.lower().endswith(".qde")),
            key=lambda name: (name.count("/"), name.lower() != "project.qde", name),
        )
        if not projects:
            listing = ", ".join(sorted(names)[:5]) or "nothing"
            raise InputError(
                self.path, f"no project.qde inside the .qdpx archive (it holds {listing})"
            )
        self._zip = archive
        self.project_member = projects[0]
        prefix = str(PurePosixPath(self.project_member).parent)
        self._prefix = "" if prefix == "." else prefix + "/"
        self._zip_members = {name.lower(): name for name in names}
        self.project_xml = archive.read(self.project_member)

    def location(self, reference: str) -> str:
        """Where a source reference points, for messages: `Sources/x.txt` or an external path."""
        name = _file_name(reference)
        if name is None:
            return reference
        return f"Sources/{name}"

    def read(self, reference: str) -> bytes | None:
        """The bytes of the file a `plainTextPath`/`richTextPath` names; None when absent."""
        name = _file_name(reference)
        if name is None:
            return None
        candidates = [f"sources/{name}", name]
        if self._zip is not None:
            for candidate in candidates:
                member = self._zip_members.get((self._prefix + candidate).lower())
                if member is not None:
                    return self._zip.read(member)
            return None
        for candidate in candidates:
            found = _find_case_insensitive(self._base, candidate)
            if found is not None:
                limit = self.budget.limits.max_member_bytes
                data = read_bounded(found, limit, "max_member_mb", "one source of a project")
                self.budget.charge(len(data), candidate)
                return data
        return None


def _file_name(reference: str) -> str | None:
    """The file name inside the sources folder a reference points at; None for external files."""
    lowered = reference.lower()
    if lowered.startswith(_INTERNAL):
        name = reference[len(_INTERNAL) :]
    elif lowered.startswith(_RELATIVE):
        name = reference.split("://", 1)[1].lstrip("/")
    elif lowered.startswith(_EXTERNAL) or reference.startswith("/") or "://" in reference:
        return None
    else:
        name = reference
    name = name.replace("\\", "/").lstrip("/")
    if not name or ".." in PurePosixPath(name).parts:
        return None
    return name


def _find_case_insensitive(base: Path, relative: str) -> Path | None:
    current = base
    for part in PurePosixPath(relative).parts:
        if not current.is_dir():
            return None
        matches = sorted(child for child in current.iterdir() if child.name.lower() == part.lower())
        if not matches:
            return None
        current = matches[0]
    return current if current.is_file() else None


def decode_text(data: bytes, path: Path, where: str) -> str:
    """A source's plain text: UTF-8 (BOM dropped), or UTF-16 when it starts with a UTF-16 BOM."""
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    try:
        return data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as error:
        problem = "starts with a UTF-16 BOM but is not valid UTF-16" if utf16 else "is not UTF-8"
        raise InputError(
            path, f"{where} {problem} (byte {error.start}): REFI-QDA sources must be UTF-8"
        ) from None


def docx_plain_text(data: bytes, budget: ArchiveBudget, where: str) -> str:
    """The text of a .docx, one line per paragraph and per table cell, as NVivo's `.txt` has it.

    `data` is a member of the project's archive: it is checked against the same budget."""
    check_for_library(data, budget, "Word .docx file", inside=where)
    try:
        document = docx.Document(io.BytesIO(data))
        return "\n".join(_docx_lines(document))
    except Exception as error:  # python-docx raises many kinds on a damaged file
        raise InputError(
            budget.path, f"{where} is not a readable .docx: {first_line(error)}"
        ) from None


def _docx_lines(container: object) -> list[str]:
    lines: list[str] = []
    for block in container.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(block, Table):
            for row in block.rows:
                previous = None
                for cell in row.cells:
                    if cell._tc is previous:  # a merged cell repeats in row.cells
                        continue
                    previous = cell._tc
                    lines.extend(_docx_lines(cell))
        else:
            lines.append(block.text)
    return lines
