"""`autocode status`: how reliable a project's coded corpus is, and whether the review can stop."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from autocode.cli.app import app, user_errors
from autocode.cli.backend_option import BACKEND


@app.command()
@user_errors
def status(
    project: Path = typer.Option(..., "--project", help="Project folder."),
    reviewer: str | None = typer.Option(
        None, "--reviewer", help="Whose review (default: the one reviewer in the project)."
    ),
    codebook: str | None = typer.Option(None, "--codebook", help="Codebook of the review."),
    model: str | None = typer.Option(
        None, "--model", help="The review's model (default: the one that coded the project)."
    ),
    target: float = typer.Option(0.80, "--target", help="The corpus kappa to reach."),
    finish: bool = typer.Option(
        False,
        "--finish",
        help="Also store the model's codes for every unit you did not decide (model codings, "
        "never over a human coding), so that `autocode export` holds the finished corpus.",
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the status as JSON."),
    backend: str | None = BACKEND,
) -> None:
    """The finished corpus's estimated kappa with you, per code, and whether you can stop."""
    from autocode.review.status import review_status

    found = review_status(
        project, reviewer=reviewer, codebook=codebook, model=model, target=target, finish=finish
    )
    if json_output:
        typer.echo(json.dumps(found.to_dict(), indent=2))
        return
    console = Console()
    console.print(found.line, soft_wrap=True, highlight=False)
    rows = found.corpus.get("codes") or []
    if rows:
        table = Table("code", "kappa", "90% interval", "expected errors left")
        for row in rows:
            kappa = "–" if row["kappa"] is None else f"{row['kappa']:.2f}"
            interval = "–" if not row["interval"] else "{:.2f}–{:.2f}".format(*row["interval"])
            table.add_row(
                f"{row['code']} {row['name']}", kappa, interval, str(row["expected_errors"])
            )
        console.print(table)
    if found.finished is not None:
        console.print(
            f"stored {found.finished['codings']} model codings as {found.finished['coder']}",
            highlight=False,
        )
