"""The options of `autocode train --project` and `autocode evaluate --project` that select a
project's human coding (autocode.project.selection turns them into labelled units)."""

from __future__ import annotations

import typer

from autocode.project.selection import ProjectSelection, say

CODER = typer.Option(
    None, "--coder", help="Project: the coder to learn from or compare with, e.g. human:alice."
)
CODER_PREFIX = typer.Option(
    None, "--coder-prefix", help="Project: pool every coder whose name starts with this (human:)."
)
CODEBOOK = typer.Option(
    None,
    "--codebook",
    help="The codebook: of a corpus, themes (default) or stages; of a project, its name "
    "(needed when the project holds several).",
)
CODES = typer.Option(
    None, "--codes", help="Project: only these codes (ids or names, comma-separated)."
)
LEVEL = typer.Option(
    None, "--level", help="Project: 'coded' as coded (default), 'top' rolls codes up to top level."
)
MIN_EXAMPLES = typer.Option(
    5, "--min-examples", min=1, help="Project: skip codes with fewer positive units."
)
MIN_OVERLAP = typer.Option(
    None,
    "--min-overlap",
    min=0.0,
    max=1.0,
    help="Project: share of a unit (or of a coded span) the coding must cover (default 0.5); "
    "0 = any overlap.",
)
WHOLE_TRANSCRIPTS = typer.Option(
    False,
    "--whole-transcripts",
    help="Project: text after a coder's last coding counts as coded with no code.",
)

__all__ = ["ProjectSelection", "say"]
