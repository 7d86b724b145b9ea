"""Every command's --help: flags show no type (they take no value), valued options show theirs."""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from autocode.cli import app


def _command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = [[]]
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        paths.append([name])
        paths += [[name, sub] for sub in getattr(command, "commands", {})]
    return paths


@pytest.mark.parametrize("path", _command_paths(), ids=lambda path: " ".join(path) or "autocode")
def test_help_shows_no_type_after_a_flag(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert re.search(r"--help\s+Show this message", result.output)


def test_valued_options_keep_their_type() -> None:
    result = CliRunner().invoke(app, ["code", "--help"], env={"COLUMNS": "200"})
    assert re.search(r"--wait\s+<float>", result.output)
