"""The --model and --corpus options: a shipped name or a folder, the same on every command."""

from __future__ import annotations

from typing import Any

import typer

from autocode.models import DEFAULT_CORPUS, DEFAULT_MODEL

MODEL = typer.Option(
    DEFAULT_MODEL,
    "--model",
    help="Theme classifier: a shipped model's name (see `autocode models`) or a model folder.",
)


def _models(repeated: str) -> Any:
    """--model, which may be repeated; `repeated` says what each further model does."""
    return typer.Option(
        [DEFAULT_MODEL],
        "--model",
        help="Classifier: a shipped model's name (see `autocode models`) or a model folder. "
        + repeated,
    )


CODE_MODELS = _models(
    "Repeat it to code with several codebooks (--model seed-themes --model seed-stages); "
    "each codes into its own codebook."
)
SUGGEST_MODELS = _models(
    "Repeat it for more codebooks (--model seed-themes --model seed-stages): the first names "
    "the candidate codes' themes, each other adds its columns to units.csv."
)
CORPUS = typer.Option(
    DEFAULT_CORPUS,
    "--corpus",
    help="Hand-coded corpus: a shipped corpus's name (seed) or a corpus folder.",
)
