"""`autocode review`: review the model's suggestions in the browser, one card at a time."""

from __future__ import annotations

from pathlib import Path

import typer

from autocode.cli.app import app, user_errors
from autocode.cli.backend_option import BACKEND


@app.command()
@user_errors
def review(
    project: Path = typer.Option(..., "--project", help="Project folder (coded by autocode code)."),
    model: str | None = typer.Option(
        None,
        "--model",
        help="Theme classifier: a shipped name or a folder (default: the one that coded the "
        "project, else seed-themes).",
    ),
    codebook: str | None = typer.Option(
        None, "--codebook", help="Codebook to review (default: the model's, or the only one)."
    ),
    reviewer: str | None = typer.Option(
        None,
        "--reviewer",
        help="Your name: decisions become codings of human:NAME (default: your user name).",
    ),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Port (default: a free one)."),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on; only this machine unless you change it."
    ),
    no_browser: bool = typer.Option(False, "--no-browser", help="Only print the address."),
    order: str = typer.Option(
        "corpus",
        "--order",
        help="Queue order: corpus (the units most likely coded wrong first: the fewest decisions "
        "to a reliable corpus), active (what the model is least sure of), confident, transcript.",
    ),
    retrain_every: int = typer.Option(
        10, "--retrain-every", min=1, help="Retrain after this many decisions."
    ),
    audit_share: float = typer.Option(
        0.10,
        "--audit-share",
        min=0.0,
        max=0.9,
        help="Share of cards that are blind audit cards (a random unit, no suggestion shown): "
        "they check the model on the units you have not seen, for the corpus estimate.",
    ),
    target: float = typer.Option(
        0.80, "--target", help="The corpus kappa at which the review says you can stop."
    ),
    backend: str | None = BACKEND,
) -> None:
    """Accept, reject or recode suggestions by keyboard; autocode retrains as you go."""
    from autocode.reliability import check_target
    from autocode.review.inputs import check_review
    from autocode.review.server import run_review

    check_target(target)
    setup = check_review(project, model=model, codebook=codebook, reviewer=reviewer, order=order)
    run_review(
        setup,
        host=host,
        port=port,
        open_browser=not no_browser,
        announce=lambda line: typer.echo(line, err=False),
        retrain_every=retrain_every,
        audit_share=audit_share,
        target=target,
    )
