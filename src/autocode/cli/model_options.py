"""The --model and --corpus options: a shipped name or a folder, the same on every command."""

from __future__ import annotations

import typer

from autocode.models import DEFAULT_CORPUS, DEFAULT_MODEL

MODEL = typer.Option(
    DEFAULT_MODEL,
    "--model",
    help="Theme classifier: a shipped model's name (see `autocode models`) or a model folder.",
)
CORPUS = typer.Option(
    DEFAULT_CORPUS,
    "--corpus",
    help="Hand-coded corpus: a shipped corpus's name (seed) or a corpus folder.",
)
