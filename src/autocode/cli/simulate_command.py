"""`autocode simulate`: what a review with autocode would have saved on a study already coded."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from autocode.cli.app import app, user_errors
from autocode.cli.backend_option import BACKEND


@app.command()
@user_errors
def simulate(
    project: Path = typer.Option(..., "--project", help="Project folder holding the coding."),
    coder: str = typer.Option(
        ...,
        "--coder",
        help="Whose coding is the oracle, e.g. human:NAME (see `autocode agreement`).",
    ),
    json_path: Path | None = typer.Option(None, "--json", help="Write every run as JSON."),
    codebook: str | None = typer.Option(None, "--codebook", help="Codebook (if several)."),
    seeds: int = typer.Option(5, "--seeds", help="Replays per order (different start examples)."),
    target: float = typer.Option(0.80, "--target", help="The corpus kappa to reach."),
    coverage: str = typer.Option(
        "auto",
        "--coverage",
        help="What the coder coded: 'unit' (a response with a code; survey tables), "
        "'transcript' (every unit up to the last coding: uncoded rows are 'no code applies'), "
        "'auto' picks by file type.",
    ),
    min_overlap: float = typer.Option(
        0.5, "--min-overlap", min=0.0, max=1.0, help="Share of a unit a coding must cover."
    ),
    backend: str | None = BACKEND,
) -> None:
    """Replay a review with a coder's codes as the oracle: decisions to a reliable corpus."""
    from autocode.review.simulation import simulate_project

    status = Console(stderr=True)
    with status.status("replaying the review"):
        result = simulate_project(
            project,
            coder,
            codebook=codebook,
            coverage=coverage,
            min_overlap=min_overlap,
            seeds=seeds,
            target=target,
            notify=lambda line: status.print(line, highlight=False, soft_wrap=True),
        )
    if json_path is not None:
        from autocode.files import write_text_atomic

        write_text_atomic(json_path, json.dumps(result.to_dict(), indent=2) + "\n")
    Console().print(result.line, highlight=False, soft_wrap=True)
