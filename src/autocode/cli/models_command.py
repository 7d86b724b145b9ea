"""`autocode models`: the classifiers autocode can find, with what each was trained on."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from autocode.cli.app import app, user_errors


@app.command()
@user_errors
def models(
    folders: list[Path] = typer.Argument(
        None, help="Folders to search for saved models (besides the shipped ones)."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the list as JSON."),
) -> None:
    """List the shipped models and the saved models in the given folders."""
    from autocode.models import find_models

    found = find_models(list(folders or []))
    if json_output:
        typer.echo(json.dumps([summary.to_dict() for summary in found], indent=2))
        return
    table = Table("model", "codebook and codes", "embedder", "trained on", "LOPO kappa")
    for summary in found:
        name = f"{summary.name} (shipped)" if summary.shipped else str(summary.folder)
        kappa = "" if summary.macro_kappa is None else f"{summary.macro_kappa:.2f}"
        codes = "\n".join([summary.codebook, *(f"  {code}" for code in summary.codes)])
        trained = f"{summary.trained_on}\n{summary.n_excerpts} excerpts as evidence"
        table.add_row(name, codes, summary.embedder, trained, kappa)
    Console().print(table)
