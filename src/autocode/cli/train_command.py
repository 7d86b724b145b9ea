"""`autocode train`: fit the theme classifier on a hand-coded corpus, or on the human coding a
project holds, and save it."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from autocode.cli import model_options
from autocode.cli import project_options as options
from autocode.cli.app import app, user_errors
from autocode.cli.backend_option import BACKEND
from autocode.errors import InputError


@app.command()
@user_errors
def train(
    corpus: str = model_options.CORPUS,
    out: Path = typer.Option(..., "--out", help="Folder to save the model in."),
    evaluation: Path | None = typer.Option(
        None, "--evaluation", help="JSON from `autocode evaluate` to record in the model card."
    ),
    project: Path | None = typer.Option(
        None, "--project", help="Train on the human coding in this project instead of a corpus."
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
    """Train the shipped classifier configuration on the whole corpus (or project coding)."""
    status = Console(stderr=True, quiet=quiet)
    if project is not None:
        if evaluation is not None:
            raise InputError(evaluation, "--evaluation records a corpus evaluation only")
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
        _train_on_project(selection, out, status)
        return
    from autocode.corpus import THEMES
    from autocode.embed import Embedder
    from autocode.evaluation.methods import SHIPPED
    from autocode.models import train_on_corpus
    from autocode.models.modelcard import card_metrics

    with status.status("training"):
        model = train_on_corpus(corpus, Embedder(), codebook or THEMES)
    metrics = card_metrics(evaluation, model.training_["data_sha256"]) if evaluation else {}
    model.save(
        out,
        metrics=metrics,
        corpus=str(corpus),
        corpus_codebook=codebook or THEMES,
        settings=SHIPPED.__dict__,
    )
    status.print(f"saved {out}")


def _train_on_project(selection: options.ProjectSelection, out: Path, status: Console) -> None:
    from autocode.evaluation.methods import SHIPPED
    from autocode.project.training import card_sections, fit_classifier, model_excerpts

    with selection.open() as (store, embedder):
        examples = selection.examples(store, embedder, status)
        with status.status(f"training on {len(examples.units)} units"):
            model = fit_classifier(examples, embedder)
        model.describe(examples.codebook, model_excerpts(examples))
        model.save(out, settings=SHIPPED.__dict__, **card_sections(examples, store))
    positives = ", ".join(f"{examples.name(c)} {n}" for c, n in examples.positives().items())
    options.say(
        status,
        f"saved {out}: {len(examples.code_ids)} codes from {len(examples.units)} units of "
        f"{len(examples.transcript_ids)} transcripts ({len(set(examples.groups))} groups); "
        f"positive units: {positives}",
    )
