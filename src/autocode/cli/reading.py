"""Options every command that reads transcripts shares: which columns of a survey file to use."""

from __future__ import annotations

from typing import Any

import typer

ID_COLUMN = typer.Option(
    None, "--id-column", help="Survey .csv/.xlsx: the respondent id column (default: guessed)."
)
TEXT_COLUMN = typer.Option(
    None, "--text-column", help="Survey .csv/.xlsx: the answer text column (default: guessed)."
)
SHEET = typer.Option(None, "--sheet", help="Survey .xlsx: sheet name or 0-based index.")


def read_options(
    id_column: str | None, text_column: str | None, sheet: str | None
) -> dict[str, Any]:
    """Reader options for `autocode.io.read_many`; only the ones given."""
    options: dict[str, Any] = {"id_column": id_column, "text_column": text_column}
    if sheet is not None:
        options["sheet"] = int(sheet) if sheet.isdigit() else sheet
    return {key: value for key, value in options.items() if value is not None}
