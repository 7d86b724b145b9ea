"""`autocode agreement`: agreement between any coders of a project, humans and models alike."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from autocode.cli.app import app, user_errors
from autocode.cli.values import comma_list
from autocode.errors import InputError
from autocode.files import write_text_atomic


@app.command()
@user_errors
def agreement(
    project: Path = typer.Option(..., "--project", help="Project folder."),
    coders: str = typer.Option(
        ..., "--coders", help="Coders to compare, comma-separated: human:a,human:b[,model:...]."
    ),
    codebook: str | None = typer.Option(
        None, "--codebook", help="The codebook (needed when the project holds several)."
    ),
    level: str = typer.Option(
        "unit", "--level", help="Items compared: unit, character (as NVivo) or document."
    ),
    code_level: str = typer.Option(
        "coded", "--code-level", help="'coded' as coded, 'top' rolls codes up to top level."
    ),
    codes: str | None = typer.Option(
        None, "--codes", help="Only these codes (ids or names, comma-separated)."
    ),
    transcripts: str | None = typer.Option(
        None, "--transcripts", help="Only these transcripts (ids, comma-separated)."
    ),
    all_coders: bool = typer.Option(
        True,
        "--only-coded-by-all/--coded-by-two",
        help="Compare only the items every coder coded (default), or those two or more coded.",
    ),
    coverage: str = typer.Option(
        "auto",
        "--coverage",
        help="What a coder coded: 'unit' (a response with a code; survey tables), 'transcript' "
        "(a transcript with a coding, up to the last one), 'auto' picks by file type.",
    ),
    min_overlap: float = typer.Option(
        0.5, "--min-overlap", min=0.0, max=1.0, help="Unit level: share a coding must cover."
    ),
    whole_transcripts: bool = typer.Option(
        False, "--whole-transcripts", help="Text after a coder's last coding counts as coded."
    ),
    resamples: int = typer.Option(1000, "--resamples", min=0, help="Bootstrap resamples."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the bootstrap."),
    json_path: Path | None = typer.Option(None, "--json", help="Write the results as JSON."),
    html_path: Path | None = typer.Option(
        None, "--html", help="Write an HTML page with the disagreements to discuss."
    ),
    csv_path: Path | None = typer.Option(
        None, "--csv", help="Write the units where coders disagree as CSV."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress messages."),
) -> None:
    """Compare coders per code: Cohen's κ, % agreement and Brennan-Prediger per pair (bootstrap
    intervals), Krippendorff's α and Fleiss' κ across all, and the model as one more coder."""
    from autocode.agreement.coders import compare_coders, segment_coded_transcripts
    from autocode.agreement.disagreements import write_disagreements_csv
    from autocode.agreement.items import COVERAGES, LEVELS
    from autocode.agreement.verdict import model_line, model_note
    from autocode.report.coders import code_rows, codebook_line, scope_line, write_coders_page
    from autocode.store import Project

    status = Console(stderr=True, quiet=quiet)
    for value, allowed, option in (
        (level, LEVELS, "--level"),
        (coverage, COVERAGES, "--coverage"),
        (code_level, ("coded", "top"), "--code-level"),
    ):
        if value not in allowed:
            raise InputError(
                project, f"{option} must be one of {', '.join(allowed)}, not {value!r}"
            )
    names = comma_list(coders)
    with status.status("segmenting the coded transcripts that have no units"):
        segmented = segment_coded_transcripts(project, names)
    if segmented:
        status.print(f"segmented {len(segmented)} transcripts into units (stored)")
    with Project.open(project) as store, status.status("comparing coders"):
        comparison = compare_coders(
            store,
            names,
            codebook,
            level,  # type: ignore[arg-type]
            only_units_coded_by_all=all_coders,
            code_level=code_level,  # type: ignore[arg-type]
            codes=comma_list(codes) or None,
            transcripts=comma_list(transcripts) or None,
            min_overlap=min_overlap,
            whole_transcripts=whole_transcripts,
            coverage=coverage,  # type: ignore[arg-type]
            bootstrap=resamples,
            seed=seed,
        )
    document = comparison.to_json()
    if json_path is not None:
        write_text_atomic(json_path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    if html_path is not None:
        write_coders_page(html_path, comparison)
    if csv_path is not None:
        write_disagreements_csv(csv_path, comparison.disagreements, comparison.code_names)
    out = Console(soft_wrap=True, highlight=False)
    header, rows = code_rows(document)
    table = Table(*header, title=f"Agreement per code ({level} level)")
    for row in rows:
        table.add_row(*row)
    out.print(scope_line(document), markup=False)
    out.print(table)
    out.print(codebook_line(document), markup=False)
    for entry in document["model_as_coder"]:
        out.print(model_line(entry, comparison.code_names[entry["code"]]), markup=False)
    note = model_note(comparison.coders)
    if note:
        out.print(note, markup=False)
    out.print(f"{len(comparison.disagreements)} disagreements", markup=False)
