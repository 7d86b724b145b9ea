"""`autocode train`: fit the theme classifier on a hand-coded corpus and save it."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from autocode.cli.app import app, user_errors


@app.command()
@user_errors
def train(
    corpus: Path = typer.Option(Path("corpus/seed"), "--corpus", help="Corpus folder."),
    out: Path = typer.Option(..., "--out", help="Folder to save the model in."),
    evaluation: Path | None = typer.Option(
        None, "--evaluation", help="JSON from `autocode evaluate` to record in the model card."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress messages."),
) -> None:
    """Train the shipped classifier configuration on the whole corpus."""
    from autocode.corpus import load_corpus
    from autocode.embed import Embedder
    from autocode.methods import SHIPPED, train_classifier
    from autocode.modelcard import card_metrics

    status = Console(stderr=True, quiet=quiet)
    loaded = load_corpus(corpus)
    with status.status("training"):
        model = train_classifier(loaded, Embedder())
    metrics = card_metrics(evaluation, model.training_["data_sha256"]) if evaluation else {}
    model.save(out, metrics=metrics, corpus=str(corpus), settings=SHIPPED.__dict__)
    status.print(f"saved {out}")
