"""`autocode evaluate`: leave-one-participant-out agreement of the classifier and baselines."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from autocode.cli.app import app, user_errors
from autocode.cli.output import write_text_atomic


@app.command()
@user_errors
def evaluate(
    corpus: Path = typer.Option(
        Path("corpus/seed"), "--corpus", help="Corpus folder (excerpts.csv, codebook.yaml, ...)."
    ),
    json_path: Path | None = typer.Option(None, "--json", help="Write the full results as JSON."),
    markdown_path: Path | None = typer.Option(
        None, "--markdown", help="Also write the Markdown report to this file."
    ),
    resamples: int = typer.Option(1000, help="Bootstrap resamples (over participants)."),
    seed: int = typer.Option(0, help="Random seed of the bootstrap."),
    baselines: bool = typer.Option(True, help="Also evaluate the baselines on the same folds."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress messages."),
) -> None:
    """Cross-validate the theme classifier by participant and print agreement as Markdown."""
    from autocode.corpus import load_corpus
    from autocode.embed import Embedder
    from autocode.evaluate import evaluation_document
    from autocode.methods import baseline_methods, classifier_method
    from autocode.report.evaluation import render_markdown

    status = Console(stderr=True, quiet=quiet)
    loaded = load_corpus(corpus)
    embedder = Embedder()
    methods = [classifier_method(loaded, embedder)]
    if baselines:
        methods += baseline_methods(loaded, embedder)
    with status.status("evaluating") as spinner:
        document = evaluation_document(
            loaded,
            methods,
            n_resamples=resamples,
            seed=seed,
            on_method=lambda name: spinner.update(f"cross-validating {name}"),
        )
    markdown = render_markdown(document)
    if json_path is not None:
        write_text_atomic(json_path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    if markdown_path is not None:
        write_text_atomic(markdown_path, markdown)
    typer.echo(markdown)
