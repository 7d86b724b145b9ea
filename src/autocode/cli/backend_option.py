"""`--backend`: the one option definition every command that embeds shares."""

from __future__ import annotations

import typer


def _choose(value: str | None) -> str | None:
    from autocode.embed.backends import BACKENDS, use_backend

    if value is not None and value not in BACKENDS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(BACKENDS)}")
    use_backend(value)  # None too: an earlier in-process command's choice does not linger
    return value


BACKEND = typer.Option(
    None,
    "--backend",
    callback=_choose,
    help="Embedding backend: torch (default for English), onnx (same vectors, faster), "
    "onnx-int8 or static (faster, other vectors: need a classifier trained with them), "
    "multilingual (multilingual-e5-small; the default for interviews in other languages).",
)
