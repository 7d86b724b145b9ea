"""`autocode code`: batch-code transcripts with a saved classifier into a project, resumably."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from autocode.cli import model_options, reading
from autocode.cli.app import app, user_errors
from autocode.cli.backend_option import BACKEND
from autocode.types import Transcript

if TYPE_CHECKING:
    from autocode.batch import BatchResult


class _ProgressBar:
    """Files, units, units/s and an ETA (from the characters still to code) on stderr."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None
        self.files = 0
        self.units = 0
        self.began = time.perf_counter()

    def started(self, pending: Sequence[Transcript], skipped: int) -> None:
        self.began = time.perf_counter()
        self.task = self.progress.add_task(
            "coding",
            total=sum(len(t.text) for t in pending) or 1,
            files=f"0/{len(pending)}",
            units=0,
            rate=0.0,
        )
        self.pending = len(pending)
        if skipped:
            self.progress.console.print(f"{skipped} transcript(s) already coded: skipped")

    def committed(self, transcript: Transcript, units: int) -> None:
        assert self.task is not None
        self.files += 1
        self.units += units
        elapsed = max(time.perf_counter() - self.began, 1e-9)
        self.progress.update(
            self.task,
            advance=len(transcript.text),
            files=f"{self.files}/{self.pending}",
            units=self.units,
            rate=self.units / elapsed,
        )


@app.command()
@user_errors
def code(
    paths: list[Path] = typer.Argument(..., help="Transcript files or folders."),
    models: list[str] = model_options.CODE_MODELS,
    project: Path = typer.Option(..., "--project", help="Project folder (created if missing)."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for the exports (default: PROJECT/exports)."
    ),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first unreadable file."),
    wait: float = typer.Option(
        0.0, "--wait", help="Seconds to wait for another run to release the project."
    ),
    batch_units: int | None = typer.Option(
        None, "--batch-units", min=1, help="Units embedded and classified together (1024)."
    ),
    coherence: bool | None = typer.Option(
        None,
        "--coherence/--no-coherence",
        help="Merge sentences into units by embedding similarity (about 1.5x slower; off by "
        "default).",
    ),
    report: bool = typer.Option(True, help="Also write report.html (up to 20,000 units)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    backend: str | None = BACKEND,
    cluster: str | None = typer.Option(
        None,
        "--cluster",
        help="Code on Dask: local (one worker per 2 cores), local:N, or tcp://HOST:PORT of a "
        "running scheduler. Needs the distributed extra.",
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
    id_column: str | None = reading.ID_COLUMN,
    text_column: str | None = reading.TEXT_COLUMN,
    sheet: str | None = reading.SHEET,
    language: str | None = reading.LANGUAGE,
) -> None:
    """Code every transcript with a saved classifier; re-running resumes where a run stopped."""
    from autocode.batch import DEFAULT_BATCH_UNITS, DEFAULT_SEGMENT_CONFIG, code_transcripts

    status = Console(stderr=True, quiet=quiet, markup=False, highlight=False)  # user text
    config = DEFAULT_SEGMENT_CONFIG
    if coherence is not None:
        config = dataclasses.replace(config, coherence=coherence)
    columns = (
        TextColumn("{task.fields[files]} files"),
        BarColumn(),
        TextColumn("{task.fields[units]} units, {task.fields[rate]:.0f} units/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    names = list(dict.fromkeys(models))
    results = []
    for model in names:
        model_out = out
        if len(names) > 1:  # one export folder per codebook
            model_out = (out or project / "exports") / Path(model).name
        with Progress(*columns, console=status, transient=True, disable=quiet) as progress:
            results.append(
                code_transcripts(
                    paths,
                    model,
                    project,
                    out_dir=model_out,
                    segment_config=config,
                    batch_units=batch_units or DEFAULT_BATCH_UNITS,
                    strict=strict,
                    wait=wait,
                    report=report,
                    progress=_ProgressBar(progress),
                    read_options=reading.read_options(id_column, text_column, sheet, language),
                    backend=backend,
                    cluster=cluster,
                )
            )
    if json_output:
        documents = [result.to_dict() for result in results]
        typer.echo(
            json.dumps(
                documents[0] if len(documents) == 1 else documents, indent=2, ensure_ascii=False
            )
        )
    for result in results:
        _say_done(result, status)


def _say_done(result: BatchResult, status: Console) -> None:
    if not result.coded:
        status.print(
            f"nothing new to code: {len(result.skipped)} transcript(s) already coded "
            f"by {result.coder}",
            soft_wrap=True,
        )
    else:
        rate = f", {result.units / result.seconds:.0f} units/s" if result.seconds else ""
        status.print(
            f"coded {len(result.coded)} transcript(s), {result.units} units, "
            f"{result.codings} codings by {result.coder}{rate}; "
            f"{len(result.skipped)} already coded",
            soft_wrap=True,
        )
    warnings = Console(stderr=True, markup=False, highlight=False)  # listed even with --quiet
    for error in result.errors:
        warnings.print(f"not coded: {error}", soft_wrap=True)
    if result.exports:
        status.print(f"exports in {next(iter(result.exports.values())).parent}")
    if result.report_skipped:
        status.print(f"no report.html: {result.report_skipped}")
