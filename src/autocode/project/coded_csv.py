"""A coded table (.csv or .xlsx): one response per row, with the codes a person gave it in one or
more columns.

    coded = read_coded_csv("bopp_test.csv", text_column="why_art", codes_columns=["human_codes"])

The responses become ONE transcript, exactly as `autocode.io.read` reads the same file (each
non-empty response is a turn whose speaker is the row's id, responses joined by a blank line),
so batch-coding the file later finds the same transcript. Each response is also one meaning
unit, and each of its codes one coding spanning the whole response.

Codes are the cells of the codes columns split at `code_separator` (";" by default), trimmed,
with runs of whitespace collapsed; a code given twice for one response counts once. Columns may
be named with shell wildcards ("Code *" picks "Code 1" ... "Code 8"). With
`hierarchy_separator` (e.g. "->"), "parent->child" is the code "child" under the code "parent"
(its id is the whole path; missing parents are added to the codebook). A response without codes
is kept: it is a unit the coder gave no code.

A table may instead hold one 0/1 column per code, as Dedoose and many survey coders export
it (`indicator_columns`, e.g. ["Theme *"]): the column's header is the code, and a cell of 1,
yes, true or x codes the response with it (0, no, false or empty does not; anything else is
refused with the row named).

One file may hold several coders' codes, one column set per coder (`coder_columns`, e.g.
{"human:ana": ["Ana *"], "human:ben": ["Ben *"]}): the responses become one transcript and each
coder's codes their own codings, in one codebook.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from autocode.errors import InputError
from autocode.io.refi import RefiProject, user_display_name
from autocode.io.survey import column_names, header_row, read_rows, responses_transcript
from autocode.types import Code, Codebook, Coding, Transcript, Unit, coder_problem

CODED_TABLE_SUFFIXES = (".csv", ".xlsx")


@dataclass
class CodedResponses:
    """What a coded table holds, ready for the project store."""

    project: RefiProject  # one transcript, the codebook, the codings and their coder
    units: list[Unit]  # one per response
    rows: int  # responses read
    coded_rows: int  # responses with at least one code (by any coder)
    coded_rows_by: dict[str, int]  # coder -> responses that coder gave a code

    @property
    def transcript(self) -> Transcript:
        return self.project.transcripts[0]


def read_coded_csv(
    path: str | Path,
    *,
    codes_columns: list[str] | None = None,
    coder_columns: dict[str, list[str]] | None = None,
    indicator_columns: list[str] | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    coder: str | None = None,
    codebook: str | None = None,
    code_separator: str = ";",
    hierarchy_separator: str | None = None,
    transcript_id: str | None = None,
    sheet: str | int | None = None,
) -> CodedResponses:
    """Read a coded .csv or .xlsx table (see the module docstring).

    `text_column` and `id_column` default as in `autocode.io.survey.read` (longest text; a
    column named like "ResponseId", else the row number); `sheet` picks an .xlsx sheet (name or
    0-based index, default the first). `coder` defaults to `human:<file stem>`, `codebook` and
    `transcript_id` to the file stem. `coder_columns` (coder -> column patterns) replaces
    `codes_columns` and `coder` for a file with one column set per coder.
    """
    path = Path(path)
    if path.suffix.lower() not in CODED_TABLE_SUFFIXES:
        raise InputError(path, "a coded table must be a .csv or .xlsx file")
    if codes_columns and coder_columns:
        raise InputError(path, "give the codes columns of one coder or one set per coder, not both")
    if indicator_columns and (codes_columns or coder_columns):
        raise InputError(path, "give either 0/1 columns per code or columns of code names")
    if coder_columns:
        if coder:
            raise InputError(path, "name each coder with their columns, not also with --coder")
        column_sets = {name.strip(): list(patterns) for name, patterns in coder_columns.items()}
    else:
        column_sets = {
            coder or f"human:{path.stem}": list(codes_columns or indicator_columns or [])
        }
    if not all(column_sets.values()):
        raise InputError(path, "name the column(s) that hold the codes (--codes-column)")
    if not code_separator:
        raise InputError(path, "the code separator must not be empty")
    for name in column_sets:
        problem = coder_problem(name)
        if problem:
            raise InputError(path, problem)
    metadata: dict[str, Any] = {}
    table = read_rows(path, sheet, metadata)
    transcript = responses_transcript(
        path, table, metadata, id_column=id_column, text_column=text_column
    )
    if transcript_id:
        transcript = replace(transcript, id=transcript_id)
    columns, rows = _header_and_body(table)
    text_at = columns.index(transcript.metadata["text_column"])
    id_name = transcript.metadata.get("id_column")
    id_at = columns.index(id_name) if id_name else None
    code_at = {
        name: _code_columns(path, columns, patterns, {text_at})
        for name, patterns in column_sets.items()
    }
    shared = _shared_columns(code_at)
    if shared is not None:
        raise InputError(path, f"column {columns[shared]!r} is in the column sets of two coders")
    cells = [row for row in rows if id_at is None or _cell(row, id_at).strip() != columns[id_at]]
    responses = [row for row in cells if _response(row, text_at)]
    if len(responses) != len(transcript.turns):
        raise InputError(path, "cannot line the codes up with the responses")
    codes: dict[str, Code] = {}
    codings: list[Coding] = []
    units: list[Unit] = []
    coded_rows = 0
    coded_by = dict.fromkeys(column_sets, 0)
    for index, (row, turn) in enumerate(zip(responses, transcript.turns, strict=True)):
        text = transcript.text[turn.start : turn.end]
        if _response(row, text_at) != text:
            raise InputError(path, f"cannot line the codes up with response {turn.speaker}")
        units.append(Unit(transcript.id, index, turn.speaker, turn.start, turn.end, text))
        any_code = False
        for name, at in code_at.items():
            row_codes = (
                _indicated_codes(path, row, at, columns, codes, turn.speaker)
                if indicator_columns
                else _row_codes(row, at, code_separator, hierarchy_separator, codes)
            )
            coded_by[name] += bool(row_codes)
            any_code = any_code or bool(row_codes)
            codings += [
                Coding(transcript.id, turn.start, turn.end, code_id, name, unit_index=index)
                for code_id in row_codes
            ]
        coded_rows += any_code
    name = codebook or path.stem
    project = RefiProject(
        name=name,
        transcripts=[transcript],
        codebook=Codebook(name, list(codes.values())),
        codings=codings,
        users={name: user_display_name(name) for name in column_sets},
        origin="coded CSV",
    )
    return CodedResponses(project, units, len(units), coded_rows, coded_by)


def _shared_columns(code_at: dict[str, list[int]]) -> int | None:
    """A column index two coders' column sets both name, if any."""
    seen: set[int] = set()
    for indices in code_at.values():
        for index in indices:
            if index in seen:
                return index
        seen.update(indices)
    return None


def parse_coder_columns(path: str | Path, specs: list[str]) -> dict[str, list[str]] | None:
    """{"human:a": ["A *"], ...} from "CODER=COLUMN" strings (a coder may appear repeatedly)."""
    sets: dict[str, list[str]] = {}
    for spec in specs:
        coder, equals, column = spec.partition("=")
        if not equals or not coder.strip() or not column.strip():
            raise InputError(Path(path), f"--coder-columns takes CODER=COLUMN, got {spec!r}")
        sets.setdefault(coder.strip(), []).append(column.strip())
    return sets or None


def _header_and_body(table: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """Column names (as the survey reader names them) and the rows below the header."""
    header_at = header_row(table) or 0  # the survey reader already refused a blank table
    return column_names(table[header_at]), table[header_at + 1 :]


def _code_columns(path: Path, columns: list[str], wanted: list[str], taken: set[int]) -> list[int]:
    found: list[int] = []
    for pattern in wanted:
        key = " ".join(pattern.split()).casefold()
        matches = [
            i
            for i, column in enumerate(columns)
            if column.casefold() == key or fnmatch.fnmatchcase(column.casefold(), key)
        ]
        if not matches:
            shown = ", ".join(repr(c) for c in columns[:12]) + (
                ", ..." if len(columns) > 12 else ""
            )
            raise InputError(path, f"has no codes column {pattern!r} (columns: {shown})")
        found += [i for i in matches if i not in found]
    if taken & set(found):
        raise InputError(path, "the text column cannot also be a codes column")
    return found


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


def _response(row: list[str], text_at: int) -> str:
    """The response as the survey reader keeps it: line endings normalised, trimmed."""
    return _cell(row, text_at).replace("\r\n", "\n").replace("\r", "\n").strip()


_CODED = frozenset({"1", "1.0", "yes", "y", "true", "x"})
_NOT_CODED = frozenset({"", "0", "0.0", "no", "n", "false"})


def _indicated_codes(
    path: Path,
    row: list[str],
    code_at: list[int],
    columns: list[str],
    codes: dict[str, Code],
    response: str,
) -> list[str]:
    """The codes whose 0/1 column is set in this response (the column header is the code)."""
    found: list[str] = []
    for index in code_at:
        value = _cell(row, index).strip().casefold()
        if value in _NOT_CODED:
            continue
        if value not in _CODED:
            raise InputError(
                path,
                f"response {response}, column {columns[index]!r}: {value[:40]!r} is not a 0/1 "
                "value (use 1/0, yes/no, true/false or x)",
            )
        code_id = " ".join(columns[index].split())
        codes.setdefault(code_id, Code(code_id, code_id))
        found.append(code_id)
    return found


def _row_codes(
    row: list[str],
    code_at: list[int],
    separator: str,
    hierarchy: str | None,
    codes: dict[str, Code],
) -> list[str]:
    """The code ids of one response in order, adding new codes (and parents) to `codes`."""
    found: list[str] = []
    for index in code_at:
        for part in _cell(row, index).split(separator):
            code = " ".join(part.split())
            if not code:
                continue
            levels = [level.strip() for level in code.split(hierarchy)] if hierarchy else [code]
            levels = [level for level in levels if level]
            parent: str | None = None
            for depth in range(len(levels)):
                code_id = hierarchy.join(levels[: depth + 1]) if hierarchy else code
                codes.setdefault(code_id, Code(code_id, levels[depth], parent_id=parent))
                parent = code_id
            if parent is not None and parent not in found:
                found.append(parent)
    return found
