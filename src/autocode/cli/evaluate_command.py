"""`autocode evaluate`: leave-one-participant-out agreement of the classifier and baselines on a
corpus, or agreement with the human coding a project holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from autocode.cli import model_options
from autocode.cli import project_options as options
from autocode.cli.app import app, user_errors
from autocode.cli.backend_option import BACKEND
from autocode.files import write_text_atomic


@app.command()
@user_errors
def evaluate(
    corpus: str = model_options.CORPUS,
    json_path: Path | None = typer.Option(None, "--json", help="Write the full results as JSON."),
    markdown_path: Path | None = typer.Option(
        None, "--markdown", help="Also write the Markdown report to this file."
    ),
    resamples: int = typer.Option(1000, help="Bootstrap resamples (over participants)."),
    seed: int = typer.Option(0, help="Random seed of the bootstrap."),
    baselines: bool = typer.Option(True, help="Also evaluate the baselines on the same folds."),
    project: Path | None = typer.Option(
        None, "--project", help="Compare with the human coding in this project instead."
    ),
    model: str | None = typer.Option(
        None, "--model", help="Project: the model (name or folder) to compare with the coding."
    ),
    cross_validate: bool = typer.Option(
        False,
        "--cross-validate",
        help="Project: train on the human coding and compare on held-out transcripts.",
    ),
    folds: int = typer.Option(
        10, "--folds", min=2, help="Project: grouped folds when there are over 20 groups."
    ),
    coder: str | None = options.CODER,
    coder_prefix: str | None = options.CODER_PREFIX,
    codebook: str | None = options.CODEBOOK,
    codes: str | None = options.CODES,
    level: str | None = options.LEVEL,
    min_examples: int = options.MIN_EXAMPLES,
    min_overlap: float | None = options.MIN_OVERLAP,
    whole_transcripts: bool = options.WHOLE_TRANSCRIPTS,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress messages."),
    backend: str | None = BACKEND,
) -> None:
    """Cross-validate the classifier by participant and print agreement as Markdown
    (--codebook stages: the seed's lifecycle stages instead of its themes).

    With --project: agreement of a saved --model, or of --cross-validate training, with a
    coder's coding of the project's transcripts, per code at unit and character level.
    """
    status = Console(stderr=True, quiet=quiet)
    if project is not None:
        selection = options.ProjectSelection(
            project,
            coder,
            coder_prefix,
            codebook,
            codes,
            level,
            min_examples,
            min_overlap,
            whole_transcripts,
        )
        from autocode.project.evaluation import evaluate_project
        from autocode.report.evaluation import render_project_markdown as render_markdown

        document = evaluate_project(
            selection, model, cross_validate, folds, baselines, resamples, seed, status
        )
        _write_outputs(document, render_markdown(document), json_path, markdown_path)
        return
    from autocode.corpus import THEMES, load_corpus
    from autocode.embed import Embedder
    from autocode.evaluation import evaluation_document
    from autocode.evaluation.methods import baseline_methods, classifier_method
    from autocode.models import resolve_corpus
    from autocode.report.evaluation import render_markdown

    loaded = load_corpus(resolve_corpus(corpus)).layer(codebook or THEMES)
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
    _write_outputs(document, render_markdown(document), json_path, markdown_path)


def _write_outputs(
    document: dict[str, Any], markdown: str, json_path: Path | None, markdown_path: Path | None
) -> None:
    if json_path is not None:
        write_text_atomic(json_path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    if markdown_path is not None:
        write_text_atomic(markdown_path, markdown)
    typer.echo(markdown)
