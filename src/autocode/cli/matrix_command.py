"""`autocode matrix`: participants, transcripts or codes against codes, from a coded project; or
the seed study's own tables (--corpus), the authors' beside autocode's."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from autocode.cli.app import app, user_errors
from autocode.cli.values import comma_list
from autocode.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


@app.command()
@user_errors
def matrix(
    project: Path | None = typer.Option(None, "--project", help="Coded project folder."),
    rows: str = typer.Option("participant", "--rows", help="participant, transcript or code."),
    columns: str = typer.Option("code", "--columns", help="code (or participant, transcript)."),
    codebook: str | None = typer.Option(
        None,
        "--codebook",
        help="Codebook of the column codes (needed when the project holds several).",
    ),
    row_codebook: str | None = typer.Option(
        None, "--row-codebook", help="Codebook of the row codes (default: --codebook)."
    ),
    coder: str = typer.Option(
        "corpus",
        "--coder",
        help="Whose codes: corpus (human decisions first, the model's for the rest), model, "
        "human:NAME or model:NAME.",
    ),
    row_coder: str | None = typer.Option(
        None, "--row-coder", help="Whose codes on the rows (default: --coder)."
    ),
    model_coder: str | None = typer.Option(
        None,
        "--model-coder",
        help="corpus: the model:NAME whose codes fill the undecided units, when several coded.",
    ),
    cells: str = typer.Option(
        "count", "--cells", help="count, share (of the row's units) or units."
    ),
    window: int = typer.Option(
        0,
        "--window",
        help="Codes x codes: count a row code's unit when the column code is "
        "within this many units of it (0: on the same unit).",
    ),
    codes: str | None = typer.Option(
        None, "--codes", help="Column codes to keep (ids or names, comma-separated)."
    ),
    row_codes: str | None = typer.Option(None, "--row-codes", help="Row codes to keep."),
    csv_path: Path | None = typer.Option(None, "--csv", help="Write the table as CSV."),
    json_path: Path | None = typer.Option(
        None, "--json", help="Write the table, sources and tests as JSON."
    ),
    html_path: Path | None = typer.Option(
        None, "--html", help="Write a heat map whose cells open their units."
    ),
    corpus: str | None = typer.Option(
        None,
        "--corpus",
        help="Instead of a project: a hand-coded corpus (seed) whose participant x theme and "
        "theme x stage tables are written as its authors coded them and as autocode codes them.",
    ),
    markdown_path: Path | None = typer.Option(
        None, "--markdown", help="--corpus: write the side-by-side tables as Markdown."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print the table."),
) -> None:
    """Count coded units by participant, transcript or code, against codes of any codebook."""
    if corpus is not None:
        if project is not None:
            raise InputError("--corpus", "give a project or a corpus, not both")
        _corpus_tables(corpus, markdown_path, html_path, json_path, quiet)
        return
    if project is None:
        raise InputError("--project", "name the coded project folder (or --corpus for the seed)")
    if markdown_path is not None:
        raise InputError(
            "--markdown", "is for --corpus; a project's table goes to --csv, --json, --html"
        )
    from autocode.matrix import MatrixFiles, MatrixQuery, write_matrix

    query = MatrixQuery(
        rows=rows,
        columns=columns,
        codebook=codebook,
        row_codebook=row_codebook,
        coder=coder,
        row_coder=row_coder,
        model_coder=model_coder,
        cells=cells,
        window=window,
        codes=tuple(comma_list(codes)),
        row_codes=tuple(comma_list(row_codes)),
    )
    result = write_matrix(project, query, MatrixFiles(csv_path, json_path, html_path))
    if not quiet:
        _print(result.frame("share" if cells == "share" else "count"), cells == "share")


def _print(frame: pd.DataFrame, share: bool) -> None:
    table = Table(str(frame.index.name))
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for key, row in frame.iterrows():
        table.add_row(str(key), *(f"{v:.0%}" if share else str(int(v)) for v in row))
    Console(markup=False, highlight=False).print(table)


def _corpus_tables(
    corpus: str,
    markdown_path: Path | None,
    html_path: Path | None,
    json_path: Path | None,
    quiet: bool,
) -> None:
    import json

    from autocode.corpus import load_corpus
    from autocode.embed import Embedder
    from autocode.evaluation.seed_tables import seed_tables
    from autocode.files import write_text_atomic
    from autocode.models import resolve_corpus
    from autocode.report.seed_tables import (
        seed_tables_document,
        seed_tables_html,
        seed_tables_markdown,
    )
    from autocode.versions import package_versions

    loaded = load_corpus(resolve_corpus(corpus))
    status = Console(stderr=True, quiet=quiet)
    embedder = Embedder()
    with status.status("coding every quote, leaving each participant out"):
        tables = seed_tables(loaded, embedder)
    title = f"{loaded.codebook.name}: the authors' tables and autocode's"
    markdown = seed_tables_markdown(tables, title)
    facts = {
        "corpus": str(loaded.directory),
        "embedder": embedder.model_id,
        "versions": package_versions(),
    }
    outputs = {
        markdown_path: markdown,
        html_path: seed_tables_html(tables, title),
        json_path: json.dumps(seed_tables_document(tables, facts), indent=2, ensure_ascii=False)
        + "\n",
    }
    for path, text in outputs.items():
        if path is not None:
            write_text_atomic(path, text)
    if not quiet:
        typer.echo(markdown)
