"""Errors a user can act on. The CLI prints them as one line and exits non-zero, no traceback."""

from __future__ import annotations

from pathlib import Path


class AutocodeError(Exception):
    """Base class: `str(error)` is the one line shown to the user."""

    exit_code = 2


class InputError(AutocodeError):
    """A file the user gave cannot be used: names the file, the row if any, and the problem."""

    def __init__(self, path: str | Path, problem: str, row: int | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.row = row
        where = f"{self.path}, row {row}" if row is not None else self.path
        super().__init__(f"{where}: {problem}")


class Terminated(KeyboardInterrupt):
    """SIGTERM (a `kill`, a scheduler's time limit), raised like Ctrl-C so that cleanup runs."""
