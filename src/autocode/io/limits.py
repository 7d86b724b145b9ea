"""How much a file from someone else may make autocode unpack or read: limits far above any real
transcript, project or survey, so that a zip bomb or a runaway file is refused in a moment
instead of exhausting memory.

Each limit can be set in the environment (the variable names are in `ENVIRONMENT`), e.g.
`AUTOCODE_MAX_MEMBER_MB=512 autocode import big.qdpx --project p`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from autocode.errors import InputError

MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """Limits on reading one file the user gave (archives inside it share its budget).

    The largest real files in the test data reach 30 members, an 18 MB member (the text of an
    NVivo project's .docx source), a compression ratio of 35, a 350 KB text file and a sheet
    of 20,000 cells; the defaults are 7 to 330 times that.
    """

    max_members: int = 10_000  # members of one archive
    max_member_mb: float = 128  # uncompressed size of one member
    max_unpacked_mb: float = 256  # everything unpacked for one file, nested archives included
    max_ratio: float = 500  # uncompressed / compressed size of a member...
    ratio_floor_mb: float = 1  # ...counted only for members larger than this
    max_depth: int = 2  # an archive (1) holding archives (2), not deeper
    max_text_mb: float = 32  # a text file (.txt, .md, .vtt, .srt, .html, .csv, .qde, .qdc)
    max_cells: int = 5_000_000  # cells (and empty rows) of one .xlsx sheet

    @property
    def max_member_bytes(self) -> int:
        return int(self.max_member_mb * MB)

    @property
    def max_unpacked_bytes(self) -> int:
        return int(self.max_unpacked_mb * MB)

    @property
    def ratio_floor_bytes(self) -> int:
        return int(self.ratio_floor_mb * MB)

    @property
    def max_text_bytes(self) -> int:
        return int(self.max_text_mb * MB)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ReadLimits:
        """The defaults, with any limit set in the environment (see `ENVIRONMENT`)."""
        environ = os.environ if environ is None else environ
        changes: dict[str, float | int] = {}
        for name, variable in ENVIRONMENT.items():
            value = environ.get(variable)
            if value is None or not value.strip():
                continue
            kind = _TYPES[name]
            try:
                number = kind(value)
            except ValueError:
                number = 0
            if not number > 0:
                raise InputError(variable, f"must be a positive {kind.__name__}, not {value!r}")
            changes[name] = number
        return replace(cls(), **changes)


_TYPES = {field.name: (int if field.type == "int" else float) for field in fields(ReadLimits)}
ENVIRONMENT = {name: f"AUTOCODE_{name.upper()}" for name in _TYPES}


def current_limits() -> ReadLimits:
    """The limits in force now (the environment is read on every call, so tests can set it)."""
    return ReadLimits.from_environment()


def limit_hint(name: str) -> str:
    """How to raise a limit, for messages: "set AUTOCODE_MAX_MEMBER_MB to raise it"."""
    return f"set {ENVIRONMENT[name]} to raise it"


def megabytes(count: int) -> str:
    """A byte count for messages: "300 MB", "0.5 MB"."""
    return f"{count / MB:,.0f} MB" if count >= 10 * MB else f"{count / MB:,.1f} MB"
