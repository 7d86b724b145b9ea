"""Options every command that reads transcripts shares: which columns of a survey file to use."""

from __future__ import annotations

import re
from typing import Any

import typer

ID_COLUMN = typer.Option(
    None, "--id-column", help="Survey .csv/.xlsx: the respondent id column (default: guessed)."
)
TEXT_COLUMN = typer.Option(
    None, "--text-column", help="Survey .csv/.xlsx: the answer text column (default: guessed)."
)
SHEET = typer.Option(None, "--sheet", help="Survey .xlsx: sheet name or 0-based index.")
LANGUAGE = typer.Option(
    None,
    "--language",
    help="ISO 639-1 code of the transcripts' language, e.g. de, it, pt (default: the language "
    "each file names, else the one detected).",
)


def read_options(
    id_column: str | None,
    text_column: str | None,
    sheet: str | None,
    language: str | None = None,
) -> dict[str, Any]:
    """Reader options for `autocode.io.read_many`; only the ones given."""
    if language is not None and not re.fullmatch(r"[a-z]{2,3}", language):
        raise typer.BadParameter(f"{language!r} is not an ISO 639-1 code such as de or it")
    options: dict[str, Any] = {
        "id_column": id_column,
        "text_column": text_column,
        "language": language,
    }
    if sheet is not None:
        options["sheet"] = int(sheet) if sheet.isdigit() else sheet
    return {key: value for key, value in options.items() if value is not None}
