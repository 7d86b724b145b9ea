"""`autocode import` and `autocode export`: REFI-QDA files and coded CSVs in, REFI-QDA out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from autocode.cli import reading
from autocode.cli.app import app, user_errors
from autocode.errors import InputError

PROJECT_SUFFIXES = (".qdpx", ".qde")
# The REFI reader's hints name its Python arguments; on the command line they are options.
_HINTS = {"allow_missing_sources=True": "--allow-missing-sources", "strict=False": "--lenient"}


@contextmanager
def _option_hints() -> Iterator[None]:
    try:
        yield
    except InputError as error:
        problem = error.problem
        for argument, option in _HINTS.items():
            problem = problem.replace(argument, option)
        raise InputError(error.path, problem, error.row) from None


class _Output:
    """Plain lines on stdout (no wrapping: paths and counts stay greppable), unless quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def print(self, line: str) -> None:
        if not self.quiet:
            typer.echo(line)


@app.command("import")
@user_errors
def import_file(
    file: Path = typer.Argument(
        ..., help="A .qdpx/.qde project, a .qdc codebook or a coded .csv/.xlsx table."
    ),
    project: Path = typer.Option(..., "--project", help="Project folder (created if missing)."),
    codebook: str | None = typer.Option(
        None, "--codebook", help="Store the codebook under this name (default: the file's)."
    ),
    replace_codebook: bool = typer.Option(
        False, "--replace-codebook", help="Update a stored codebook of that name to the file's."
    ),
    allow_missing_sources: bool = typer.Option(
        False, "--allow-missing-sources", help="Import a .qdpx whose source files are missing."
    ),
    lenient: bool = typer.Option(
        False, "--lenient", help="Read REFI files that break the schema when they can be read."
    ),
    text_column: str | None = typer.Option(
        None, "--text-column", help="Coded table: the column of texts (default: the longest text)."
    ),
    codes_column: list[str] = typer.Option(
        [], "--codes-column", help="Coded table: column(s) of codes; repeat it, or use 'Code *'."
    ),
    indicator_columns: list[str] = typer.Option(
        [],
        "--indicator-columns",
        help="Coded table: one 0/1 column per code, headed by the code (as Dedoose exports); "
        "repeat it, or use 'Theme *'.",
    ),
    id_column: str | None = typer.Option(
        None, "--id-column", help="Coded table: the id column (default: one named like ResponseId)."
    ),
    coder: str | None = typer.Option(
        None, "--coder", help="Coded table: who coded it, human:NAME (default: human:<file name>)."
    ),
    coder_columns: list[str] = typer.Option(
        [], "--coder-columns", help="Coded table: CODER=COLUMN, one set per coder (repeatable)."
    ),
    code_separator: str = typer.Option(";", "--code-separator", help="Coded table: between codes."),
    hierarchy_separator: str | None = typer.Option(
        None, "--hierarchy-separator", help="Coded table: between parent and child code, e.g. '->'."
    ),
    transcript_id: str | None = typer.Option(
        None, "--transcript-id", help="Coded table: id of the transcript (default: the file name)."
    ),
    sheet: str | None = reading.SHEET,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing on success."),
) -> None:
    """Import transcripts, a codebook and human codings into a project, in one transaction."""
    from autocode.project.exchange import import_into_project

    out = _Output(quiet)
    suffix = file.suffix.lower()
    if not file.is_file():
        raise InputError(file, "no such file")
    if suffix == ".qdc":
        _import_codebook(file, project, codebook, replace_codebook, lenient, out)
        return
    units = []
    if suffix in PROJECT_SUFFIXES:
        from autocode.io.refi import import_qdpx

        with _option_hints():
            refi = import_qdpx(
                file, allow_missing_sources=allow_missing_sources, strict=not lenient
            )
        merge = False
    elif suffix in (".csv", ".xlsx"):
        from autocode.project.coded_csv import parse_coder_columns, read_coded_csv

        coded = read_coded_csv(
            file,
            codes_columns=codes_column,
            indicator_columns=indicator_columns,
            coder_columns=parse_coder_columns(file, coder_columns),
            text_column=text_column,
            id_column=id_column,
            coder=coder,
            codebook=codebook,
            code_separator=code_separator,
            hierarchy_separator=hierarchy_separator,
            transcript_id=transcript_id,
            **reading.read_options(None, None, sheet),
        )
        refi, units, merge = coded.project, coded.units, True
        out.print(
            f"{coded.rows} responses in column {coded.transcript.metadata['text_column']!r}, "
            f"{coded.coded_rows} of them with a code"
            + (
                " (" + ", ".join(f"{c} {n}" for c, n in coded.coded_rows_by.items()) + ")"
                if len(coded.coded_rows_by) > 1
                else ""
            )
        )
    else:
        raise InputError(file, "cannot import this file type; use .qdpx, .qde, .qdc, .csv or .xlsx")
    counts = import_into_project(
        project,
        refi,
        source=file,
        codebook_name=codebook,
        replace_codebook=replace_codebook,
        merge_codebook=merge,
        units=units,
    )
    transcripts = ", ".join(f"{n} {what}" for what, n in sorted(counts.transcripts.items()))
    coders = ", ".join(f"{coder} {n}" for coder, n in sorted(counts.coders.items())) or "none"
    out.print(
        f"{'created' if counts.created_project else 'updated'} project {project}: "
        f"transcripts {transcripts or 'none'}; codebook {counts.codebook!r} with "
        f"{counts.codes} codes ({counts.new_codes} new); {counts.codings} codings ({coders})"
        + (f", replacing {counts.replaced_codings} earlier" if counts.replaced_codings else "")
        + (f"; {counts.units} units" if counts.units else "")
    )
    for warning in counts.warnings:
        out.print(f"warning: {warning}")


def _import_codebook(
    file: Path,
    project: Path,
    name: str | None,
    replace: bool,
    lenient: bool,
    out: _Output,
) -> None:
    from autocode.io.refi import RefiProject, import_qdc
    from autocode.project.exchange import import_into_project

    with _option_hints():
        codebook = import_qdc(file, strict=not lenient)
    refi = RefiProject(name=codebook.name, transcripts=[], codebook=codebook, codings=[])
    counts = import_into_project(
        project, refi, source=file, codebook_name=name, replace_codebook=replace
    )
    out.print(
        f"{'created' if counts.created_project else 'updated'} project {project}: codebook "
        f"{counts.codebook!r} with {counts.codes} codes ({counts.new_codes} new)"
    )


@app.command("export")
@user_errors
def export_file(
    out_file: Path = typer.Argument(..., help="OUT.qdpx (project) or OUT.qdc (codebook)."),
    project: Path = typer.Option(..., "--project", help="Project folder."),
    codebook: str | None = typer.Option(
        None, "--codebook", help="Which codebook (needed when the project holds several)."
    ),
    coder: list[str] = typer.Option(
        [], "--coder", help="Only codings whose coder starts with this (repeatable): human:, model:"
    ),
    crlf_offsets: bool = typer.Option(
        False, "--crlf-offsets", help="Write CRLF line ends, counted as 2 (NVivo for Windows)."
    ),
    utf16_offsets: bool = typer.Option(
        False, "--utf16-offsets", help="Count emoji as 2 characters (NVivo)."
    ),
    tables: bool = typer.Option(
        True,
        "--tables/--no-tables",
        help="Also write participant x code and code x code tables as CSV in OUT-tables/.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing on success."),
) -> None:
    """Write the project (or its codebook) as a REFI-QDA file for NVivo, ATLAS.ti, MAXQDA, ..."""
    from autocode.agreement.units import choose_codebook
    from autocode.io.refi import export_qdc, export_qdpx
    from autocode.project.exchange import project_as_refi
    from autocode.store import Project

    suffix = out_file.suffix.lower()
    if suffix not in (".qdpx", ".qdc"):
        raise InputError(out_file, "export to a .qdpx project or a .qdc codebook")
    out = _Output(quiet)
    with Project.open(project) as store:
        if suffix == ".qdc":
            name = choose_codebook(store, codebook)
            export_qdc(store.codebook(name), out_file)
            out.print(
                f"wrote {out_file}: codebook {name!r}, {len(store.codebook(name).codes)} codes"
            )
            return
        refi = project_as_refi(store, codebook, coder)
    try:
        export_qdpx(refi, out_file, crlf_offsets=crlf_offsets, utf16_offsets=utf16_offsets)
    except ValueError as error:
        raise InputError(project, f"cannot export: {error}") from None
    users = ", ".join(f"{name} ({coder})" for coder, name in refi.users.items()) or "none"
    out.print(
        f"wrote {out_file}: {len(refi.transcripts)} transcripts, {len(refi.codebook.codes)} "
        f"codes, {len(refi.codings)} codings; users {users}"
    )
    if tables:
        from autocode.matrix import write_tables_beside

        folder = out_file.with_name(f"{out_file.stem}-tables")
        written = write_tables_beside(project, folder)
        if written:
            out.print(
                f"matrix tables (REFI-QDA has no place for them): {len(written)} CSV in {folder}"
            )
