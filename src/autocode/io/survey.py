"""Reader for open-ended survey responses (.csv, .xlsx): one response per row.

Each non-empty response is one Turn whose speaker is the row's id. The responses are joined
with a blank line between them into the transcript text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from autocode.errors import InputError
from autocode.io.archive_guard import ArchiveBudget, check_for_library
from autocode.io.decode import read_text
from autocode.io.documents import opening
from autocode.io.limits import current_limits, limit_hint
from autocode.io.source import make_transcript
from autocode.types import Transcript, Turn

# Normalised header names that hold a respondent id, most specific first.
ID_COLUMN_NAMES = (
    "responseid",
    "respondentid",
    "participantid",
    "participant",
    "respondent",
    "caseid",
    "recordid",
    "userid",
    "uid",
    "id",
)
_DELIMITERS = (",", ";", "\t", "|")


def read(
    path: Path,
    *,
    id_column: str | None = None,
    text_column: str | None = None,
    sheet: str | int | None = None,
) -> Transcript:
    """Read a .csv or .xlsx file of responses.

    `text_column` defaults to the column with the longest average text (in words), `id_column` to a
    column named like "ResponseId"/"id" (else the row number is the id); `sheet` (xlsx
    only) is a sheet name or 0-based index, default the first. The choices are recorded in
    the metadata.
    """
    metadata: dict[str, Any] = {}
    rows = read_rows(path, sheet, metadata)
    return responses_transcript(path, rows, metadata, id_column=id_column, text_column=text_column)


def read_rows(
    path: Path, sheet: str | int | None = None, metadata: dict[str, Any] | None = None
) -> list[list[str]]:
    """Every row of a .csv or of one .xlsx sheet as strings; how it was read goes to `metadata`."""
    metadata = {} if metadata is None else metadata
    if path.suffix.lower() == ".xlsx":
        return _xlsx_rows(path, sheet, metadata)
    text, metadata["encoding"] = read_text(path)
    return _csv_rows(text, path, metadata)


def _csv_rows(text: str, path: Path, metadata: dict[str, Any]) -> list[list[str]]:
    first_line = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first_line.count) if first_line else ","
    metadata["delimiter"] = delimiter
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return _bounded(reader, path, "it")
    except csv.Error as error:
        raise InputError(path, f"is not a readable CSV file ({error})") from None


def _xlsx_rows(path: Path, sheet: str | int | None, metadata: dict[str, Any]) -> list[list[str]]:
    import openpyxl

    kind = "Excel .xlsx file"
    check_for_library(path, ArchiveBudget(path), kind)
    with opening(path, kind):
        # data_only: Google Sheets exports wrap values in formulas; take the cached values
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            worksheet = _worksheet(workbook, sheet, path)
            metadata["sheet"] = worksheet.title
            return _sheet_rows(worksheet, path)
        finally:
            workbook.close()


def _sheet_rows(worksheet: Any, path: Path) -> list[list[str]]:
    """The sheet's rows as strings, padded to the widest row; bounded by `max_cells`.

    The sheet's declared dimension is ignored: openpyxl pads every row to it, so a few KB
    declaring A1:XFD1048576 would make billions of cells.
    """
    worksheet.reset_dimensions()
    rows = ([_cell_text(value) for value in row] for row in worksheet.iter_rows(values_only=True))
    padded = _bounded(rows, path, f"sheet {worksheet.title!r}")
    width = max((len(row) for row in padded), default=0)
    return [row + [""] * (width - len(row)) for row in padded]


def _bounded(rows: Iterable[list[str]], path: Path, what: str) -> list[list[str]]:
    """`rows` as a list, refused once they hold more than `max_cells` cells (or empty rows)."""
    limit = current_limits().max_cells
    kept: list[list[str]] = []
    cells = 0
    for row in rows:
        cells += max(1, len(row))
        if cells > limit:
            raise InputError(
                path,
                f"{what} has more than {limit:,} cells, over the limit for one table "
                f"({limit_hint('max_cells')})",
            )
        kept.append(row)
    return kept


def _worksheet(workbook: Any, sheet: str | int | None, path: Path) -> Any:
    names = workbook.sheetnames
    if sheet is None:
        return workbook.worksheets[0]
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise InputError(path, f"has no sheet number {sheet} (it has {len(names)})")
        return workbook.worksheets[sheet]
    if sheet not in names:
        raise InputError(path, f"has no sheet {sheet!r} (sheets: {', '.join(names)})")
    return workbook[sheet]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def responses_transcript(
    path: Path,
    rows: list[list[str]],
    metadata: dict[str, Any],
    *,
    id_column: str | None = None,
    text_column: str | None = None,
) -> Transcript:
    """The transcript of `rows` from `read_rows` (see `read`); `metadata` is what it recorded."""
    header_index = header_row(rows)
    if header_index is None:
        raise InputError(path, "has no rows")
    columns = column_names(rows[header_index])
    body = [(number + 1, row) for number, row in enumerate(rows) if number > header_index]
    id_at = _id_column(path, columns, id_column, metadata)
    if id_at is not None:  # a second header row repeats the id column's name: skip it
        subheaders = [row for _, row in body if _cell(row, id_at).strip() == columns[id_at]]
        body = [(n, row) for n, row in body if _cell(row, id_at).strip() != columns[id_at]]
    else:
        subheaders = []
    text_at = _text_column(path, columns, text_column, id_at, [row for _, row in body], metadata)
    question = next((_cell(r, text_at).strip() for r in subheaders if _cell(r, text_at)), None)
    metadata["question"] = question or columns[text_at]

    parts: list[str] = []
    turns: list[Turn] = []
    offset = 0
    for row_number, row in body:
        response = re.sub(r"\r\n?", "\n", _cell(row, text_at)).strip()
        if not response:
            continue
        speaker = _cell(row, id_at).strip() if id_at is not None else ""
        turns.append(Turn(speaker or str(row_number), offset, offset + len(response)))
        parts.append(response)
        offset += len(response) + 2
    if not turns:
        raise InputError(path, f"column {columns[text_at]!r} has no responses")
    metadata["responses"] = len(turns)
    return make_transcript(
        path, path.suffix.lower().lstrip("."), "\n\n".join(parts), turns, **metadata
    )


def header_row(rows: list[list[str]]) -> int | None:
    """Index of the first row with a non-blank cell: the header (None: every row is blank)."""
    return next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row)), None)


def column_names(header: list[str]) -> list[str]:
    """Header cells as column names: whitespace collapsed, blanks and repeats made unique."""
    names: list[str] = []
    taken: set[str] = set()
    for position, cell in enumerate(header, start=1):
        name = " ".join(cell.split()) or f"column {position}"
        while name in taken:
            name = f"{name} ({position})"
        names.append(name)
        taken.add(name)
    return names


def _cell(row: list[str], index: int | None) -> str:
    return row[index] if index is not None and index < len(row) else ""


def _find_column(path: Path, columns: list[str], wanted: str, role: str) -> int:
    for matches in (lambda c: c == wanted, lambda c: c.casefold() == wanted.strip().casefold()):
        for index, column in enumerate(columns):
            if matches(column):
                return index
    shown = ", ".join(repr(c) for c in columns[:12]) + (", ..." if len(columns) > 12 else "")
    raise InputError(path, f"has no {role} column {wanted!r} (columns: {shown})")


def _id_column(
    path: Path, columns: list[str], wanted: str | None, metadata: dict[str, Any]
) -> int | None:
    if wanted is not None:
        index = _find_column(path, columns, wanted, "id")
        metadata.update(id_column=columns[index], id_column_choice="given")
        return index
    normalised = [re.sub(r"[\s_\-.]", "", c.casefold()) for c in columns]
    for name in ID_COLUMN_NAMES:
        if name in normalised:
            index = normalised.index(name)
            metadata.update(id_column=columns[index], id_column_choice="by name")
            return index
    metadata.update(id_column=None, id_column_choice="none: the row number is the id")
    return None


def _text_column(
    path: Path,
    columns: list[str],
    wanted: str | None,
    id_at: int | None,
    body: list[list[str]],
    metadata: dict[str, Any],
) -> int:
    if wanted is not None:
        index = _find_column(path, columns, wanted, "text")
        metadata.update(text_column=columns[index], text_column_choice="given")
        return index
    candidates = [i for i in range(len(columns)) if i != id_at]
    words = {i: sum(len(_cell(row, i).split()) for row in body) for i in candidates}
    if not body or not any(words.values()):
        raise InputError(path, "has no text in any column")
    index = max(candidates, key=lambda i: (words[i], -i))
    metadata.update(text_column=columns[index], text_column_choice="longest average text")
    return index
