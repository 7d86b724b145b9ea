"""`autocode saturation`: code saturation over interviews, from transcripts or a coded CSV, and
the check of a new interview against an earlier run.

Three modes, chosen by the options:
- transcripts (PATH... [--codes clusters|themes]): read in order, segment, embed (cached), code
  every unit (candidate codes by clustering all units, or themes the classifier decides);
- coded CSV (--coded FILE): the human codings of a table;
- new interview (--baseline DIR PATH): PATH against the clustered baseline an earlier
  transcripts run saved in DIR.
The first two write DIR/saturation.json, saturation.png and saturation.html (a transcripts run
with candidate codes also writes the baseline: baseline.npz and codes.json). Everything is
computed before the first file is written, so an error leaves nothing behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from autocode.cli import model_options
from autocode.cli.app import app, user_errors
from autocode.cli.backend_option import BACKEND
from autocode.saturation.codes import SaturationInputError


@app.command()
@user_errors
def saturation(
    paths: list[Path] = typer.Argument(
        None,
        help="Transcript files or folders in interview order (a folder's files in natural name "
        "order); with --baseline, the one new interview.",
        show_default=False,
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Folder to write saturation.json, .png and .html (and the baseline)."
    ),
    codes: str = typer.Option(
        "clusters", "--codes", help="clusters: candidate codes; themes: the classifier's themes."
    ),
    model: str = model_options.MODEL,
    embed_model: str | None = typer.Option(
        None, "--embed-model", help="sentence-transformers model for clusters (default: offline)."
    ),
    min_cluster_size: int | None = typer.Option(
        None,
        "--min-cluster-size",
        help="Units a candidate code needs (default: scaled to the units, 21 at 3,500).",
    ),
    cache: Path | None = typer.Option(
        None, "--cache", help="Embedding cache file (default: the user cache folder)."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not keep embeddings on disk."),
    order_by: str | None = typer.Option(
        None,
        "--order-by",
        help="given (as listed / first appearance), name (natural order of ids) or date "
        "(transcript metadata, or --date-column). Default: date with --date-column, else given.",
    ),
    order_file: Path | None = typer.Option(
        None, "--order", help="Text file listing every interview id once, one per line."
    ),
    coded: Path | None = typer.Option(
        None, "--coded", help="Coded CSV: one row per unit and code, or codes joined by ';'."
    ),
    interview_column: str = typer.Option("interview", help="--coded: interview id column."),
    code_column: str = typer.Option("code", help="--coded: code column."),
    count_column: str | None = typer.Option(
        None, help="--coded: units per row (default: a 'count' or 'units' column, else 1)."
    ),
    date_column: str | None = typer.Option(None, help="--coded: interview date column."),
    where: list[str] = typer.Option(
        [],
        "--where",
        help="--coded: keep rows with COLUMN=VALUE (repeat; one column: any value, several "
        "columns: all), e.g. --where role=codings --where coder=PO.",
    ),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="--out folder of an earlier transcripts run with clusters."
    ),
    quantile: float = typer.Option(
        0.95, help="--baseline: within-code distance quantile that counts as 'within a code'."
    ),
    base_size: int = typer.Option(4, help="Guest et al.: interviews in the base."),
    run_length: int = typer.Option(2, help="Guest et al.: interviews per run."),
    threshold: float = typer.Option(0.05, help="Guest et al.: new-information threshold."),
    run_step: str = typer.Option("sliding", help="sliding (runs overlap) or consecutive."),
    permutations: int = typer.Option(1000, help="Random interview orders for the band."),
    seed: int = typer.Option(0, help="Seed of the random orders."),
    min_units: int = typer.Option(1, help="Units a code needs in an interview to count there."),
    min_units_total: int = typer.Option(1, help="Units a code needs in the whole study."),
    report: bool = typer.Option(
        False,
        "--report",
        help="Transcripts only: saturation.html is the full report of the coded transcripts "
        "(units highlighted by code or theme) with the saturation section added.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress messages."),
    backend: str | None = BACKEND,
) -> None:
    """Code saturation (Guest, Namey & Chen 2020) with its curve, band over orders and Chao2."""
    from autocode.saturation.guest import check_guest_parameters

    status = Console(stderr=True, quiet=quiet)
    paths = list(paths or [])
    guest = dict(base_size=base_size, run_length=run_length, threshold=threshold)
    if baseline is not None:
        if coded is not None or len(paths) != 1:
            raise SaturationInputError("--baseline DIR takes exactly one new interview file")
        _new_interview(baseline, paths[0], out, cache, no_cache, quantile, threshold, status)
        return
    if not paths and coded is None:
        raise SaturationInputError("give transcript files or folders, or --coded FILE")
    if out is None:
        raise SaturationInputError("--out DIR is required (where the results are written)")
    from autocode.saturation.transcripts import CODE_SOURCES

    if codes not in CODE_SOURCES:
        raise SaturationInputError(f"--codes must be one of {', '.join(CODE_SOURCES)}")
    # Unusable parameters fail here, before any reading or embedding (n = 10**9 passes the count).
    check_guest_parameters(10**9, base_size, run_length, threshold, run_step)
    order = _read_order(order_file)
    settings: dict[str, Any] = {
        **guest,
        "run_step": run_step,
        "permutations": permutations,
        "seed": seed,
        "min_units_per_interview": min_units,
        "min_units_total": min_units_total,
        "order_by": order_by or ("date" if date_column else "given"),
        "order_file": str(order_file) if order_file else None,
    }
    if coded is not None:
        if paths:
            raise SaturationInputError("give transcripts or --coded FILE, not both")
        if report:
            raise SaturationInputError("--report needs transcripts: it shows their coded units")
        from autocode.saturation.sources import codes_from_csv, parse_where

        data = codes_from_csv(
            coded,
            interview_column=interview_column,
            code_column=code_column,
            count_column=count_column,
            date_column=date_column,
            where=parse_where(where),
            order_by=settings["order_by"],
            order=order,
        )
        inputs: dict[str, Any] = {
            "mode": "coded-csv",
            "coded": str(coded),
            "interview_column": interview_column,
            "code_column": code_column,
            "count_column": count_column,
            "date_column": date_column,
            "where": list(where),
        }
        extra_files: dict[str, bytes] = {}
        report_parts = None
    else:
        if min_cluster_size is not None and min_cluster_size < 2:
            raise SaturationInputError("--min-cluster-size must be at least 2")
        settings["min_cluster_size"] = min_cluster_size
        from autocode.saturation.transcripts import transcript_codes

        coded_transcripts = transcript_codes(
            paths, codes, model, embed_model, settings, order, cache=cache, no_cache=no_cache,
            step=status.status, notify=status.print,
        )  # fmt: skip
        data, inputs = coded_transcripts.data, coded_transcripts.inputs
        extra_files, report_parts = coded_transcripts.files, coded_transcripts.report_parts
    from autocode.saturation.outputs import result_files, write_files

    with status.status(f"assessing saturation over {data.n_interviews} interviews"):
        summary, files = result_files(
            data, settings, inputs, report_parts=report_parts if report else None
        )
    typer.echo(summary)
    write_files(out, {**files, **extra_files})
    status.print(f"wrote {', '.join(str(out / name) for name in sorted({**files, **extra_files}))}")


def _read_order(order_file: Path | None) -> list[str] | None:
    from autocode.saturation.sources import read_order_file

    return read_order_file(order_file) if order_file is not None else None


def _new_interview(
    baseline_dir: Path,
    path: Path,
    out: Path | None,
    cache: Path | None,
    no_cache: bool,
    quantile: float,
    threshold: float,
    status: Console,
) -> None:
    from autocode.saturation.outputs import write_files
    from autocode.saturation.transcripts import check_new_interview

    report, files = check_new_interview(
        baseline_dir, path, quantile=quantile, threshold=threshold, cache=cache,
        no_cache=no_cache, step=status.status,
    )  # fmt: skip
    if out is not None:
        write_files(out, files)
    typer.echo(report.verdict)
    for code in report.new_codes:
        quote = code["exemplars"][0] if code["exemplars"] else ""
        status.print(f"new candidate code {code['id']} ({code['size']} units): {code['label']}")
        status.print(f'  e.g. "{quote[:160]}"', highlight=False)
