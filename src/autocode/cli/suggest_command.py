"""`autocode suggest`: candidate codes and theme suggestions, with evidence, for new transcripts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from autocode.cli import model_options, reading
from autocode.cli.app import app, user_errors
from autocode.cli.backend_option import BACKEND
from autocode.cli.values import comma_list


class _Steps:
    """One rich progress bar per pipeline step; a step ends when the next one starts."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.current: TaskID | None = None

    def __call__(self, name: str, total: int | None) -> Callable[[int], None]:
        self.finish()
        task = self.progress.add_task(name, total=total)
        self.current = task
        return lambda n: self.progress.advance(task, n)

    def finish(self) -> None:
        if self.current is not None:
            task = self.progress.tasks[self.current]
            done = task.completed if task.total is None else task.total
            self.progress.update(self.current, total=max(done, 1), completed=max(done, 1))
            self.current = None


def _command(paths: list[Path], options: dict[str, Any], flags: dict[str, bool]) -> list[str]:
    """The command as it would be typed, from the parsed arguments."""
    command = ["autocode", "suggest", *map(str, paths)]
    for name, value in options.items():
        for one in value if isinstance(value, list) else [value]:
            if one is not None:
                command += [f"--{name}", str(one)]
    return command + [f"--{name}" for name, on in flags.items() if on]


def _summary(out: Path, files: dict[str, Path], counts: dict[str, int], errors: list) -> str:
    document = {
        "out": str(out),
        "files": {name: str(path) for name, path in files.items()},
        "counts": counts,
        "errors": [{"path": e.path, "problem": e.problem} for e in errors],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


@app.command()
@user_errors
def suggest(
    paths: list[Path] = typer.Argument(..., help="Transcript files or folders (searched deeply)."),
    models: list[str] = model_options.SUGGEST_MODELS,
    out: Path = typer.Option(..., "--out", help="Folder for units.csv, codes.csv, report.html."),
    corpus: str | None = typer.Option(
        None,
        "--corpus",
        help="Hand-coded corpus (shipped name or folder) for evidence; default: the excerpts "
        "the model folder carries.",
    ),
    participants: str | None = typer.Option(
        None,
        "--participants",
        help="Comma-separated speakers to code (default: everyone but interviewer roles "
        "such as 'Interviewer', 'Moderator', 'Q').",
    ),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first unreadable file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or messages."),
    backend: str | None = BACKEND,
    json_summary: bool = typer.Option(
        False, "--json", help="Print a machine-readable summary on stdout."
    ),
    seed: int = typer.Option(0, "--seed", help="Recorded with the run (no step is random)."),
    cache: bool = typer.Option(
        True, "--cache/--no-cache", help="Reuse embeddings from the on-disk cache."
    ),
    id_column: str | None = reading.ID_COLUMN,
    text_column: str | None = reading.TEXT_COLUMN,
    sheet: str | None = reading.SHEET,
    language: str | None = reading.LANGUAGE,
    keep_small_talk: bool = typer.Option(
        False,
        "--keep-small-talk",
        help="Cluster small talk and interview logistics like other units (default: list them "
        "apart, in no code).",
    ),
    keep_outliers: bool = typer.Option(
        False,
        "--keep-outliers",
        help="Leave HDBSCAN's outliers unassigned (default: each joins its nearest code when "
        "as close as most of the codes' own members).",
    ),
) -> None:
    """Suggest candidate codes and themes, with the nearest hand-coded excerpts as evidence."""
    from autocode.cluster import ClusterConfig
    from autocode.segment import SegmentConfig
    from autocode.suggest import NothingToCode, SuggestConfig
    from autocode.suggest import suggest as run_suggest
    from autocode.suggest.output import REPORT_FILE, write_suggestions

    command = _command(
        paths,
        {"model": models, "out": out, "corpus": corpus, "participants": participants, "seed": seed},
        {
            "strict": strict,
            "quiet": quiet,
            "json": json_summary,
            "no-cache": not cache,
            "keep-small-talk": keep_small_talk,
            "keep-outliers": keep_outliers,
        },
    )
    console = Console(stderr=True, quiet=quiet)  # progress and the closing line
    problems = Console(stderr=True)  # unreadable files and warnings show even with --quiet
    speakers = tuple(comma_list(participants))
    config = SuggestConfig(
        segment=SegmentConfig(participants=speakers or None),
        cluster=ClusterConfig(small_talk=not keep_small_talk, assign_outliers=not keep_outliers),
        seed=seed,
    )
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, disable=quiet, transient=True) as progress:
            steps = _Steps(progress)
            result = run_suggest(
                paths,
                models[0],
                corpus_dir=corpus,
                config=config,
                strict=strict,
                use_cache=cache,
                progress=steps,
                read_options=reading.read_options(id_column, text_column, sheet, language),
                other_models=list(dict.fromkeys(models[1:])),
            )
            steps("writing", None)
            files = write_suggestions(result, out, command=command)
            steps.finish()
    except NothingToCode as error:
        if json_summary:
            typer.echo(_summary(out, {}, {}, error.errors))
        if len(error.errors) == 1:
            raise error.errors[0] from None  # the one file and its problem, on one line
        for bad in error.errors:
            problems.print(f"skipped {bad}", soft_wrap=True, highlight=False, markup=False)
        raise
    for notice in result.settings.get("notices", []):
        problems.print(f"notice: {notice}", soft_wrap=True, highlight=False, markup=False)
    for warning in result.settings.get("warnings", []):
        problems.print(f"warning: {warning}", soft_wrap=True, highlight=False, markup=False)
    for bad in result.errors:
        problems.print(f"skipped {bad}", soft_wrap=True, highlight=False, markup=False)
    counts = result.settings["counts"] | {"errors": len(result.errors)}
    console.print(
        f"{counts['transcripts']} transcript(s), {counts['units']} units, {counts['codes']} "
        f"candidate codes; report: {files[REPORT_FILE]}",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )
    if json_summary:
        typer.echo(_summary(out, files, counts, result.errors))
