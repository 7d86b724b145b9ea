"""The files `autocode code` leaves for analysis: coded units and a transcript x theme table.

- coded_units.csv / coded_units.parquet: one row per meaning unit: transcript, unit_index,
  speaker, start, end, text, one probability column per theme (`p_<theme id>`, every theme, also
  below its threshold) and `themes`, the predicted theme ids joined by ";".
- transcript_themes.csv: one row per transcript: `units`, then per theme `n_<id>` (units coded
  with it) and `share_<id>` (n / units; 0 for a transcript without participant units).
- report.html (when asked for): autocode.report.html's self-contained page with every unit
  highlighted by its most probable present theme, its probabilities on hover, and units per
  theme per participant. Left out above REPORT_MAX_UNITS units (the page holds every unit).

Probabilities are recomputed from the units stored in the project and their cached embeddings
(no model run), so transcripts coded by an earlier, interrupted run export exactly like the
ones coded now, and memory stays bounded: a chunk of units at a time is in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from autocode.embed import Embedder
from autocode.files import publish, temporary_beside
from autocode.models.batch_model import BatchModel
from autocode.store import Project
from autocode.types import Code, Transcript, Unit

if TYPE_CHECKING:
    from autocode.report.html import UnitView

UNITS_CSV = "coded_units.csv"
UNITS_PARQUET = "coded_units.parquet"
THEMES_CSV = "transcript_themes.csv"
REPORT_HTML = "report.html"
THEME_SEPARATOR = ";"
REPORT_MAX_UNITS = 20_000  # one self-contained page; beyond this a browser struggles


def probability_column(theme_id: str) -> str:
    return f"p_{theme_id}"


def export_coded_units(
    project: Project,
    transcripts: Sequence[Transcript],
    model: BatchModel,
    out_dir: Path,
    new_embedder: Callable[[], Embedder],
    chunk_units: int,
    report: ReportInputs | None = None,
) -> tuple[dict[str, Path], str | None]:
    """Write the files above into `out_dir` (created if missing).

    Returns (name -> path, why the HTML report was left out or None). Each file appears
    complete or not at all: all are written beside their final names, then renamed.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_dir.mkdir(parents=True, exist_ok=True)
    names = [UNITS_CSV, UNITS_PARQUET, THEMES_CSV] + ([REPORT_HTML] if report else [])
    targets = {name: out_dir / name for name in names}
    temporary = {name: temporary_beside(path) for name, path in targets.items()}
    themes = model.theme_ids
    ids = [transcript.id for transcript in transcripts]
    counts: dict[str, np.ndarray] = {tid: np.zeros(len(themes) + 1, int) for tid in ids}
    views: list[UnitView] | None = [] if report else None
    writer: pq.ParquetWriter | None = None
    try:
        for units, proba, chosen in _coded_chunks(project, ids, model, new_embedder, chunk_units):
            frame = unit_frame(units, themes, proba, chosen)
            _count(counts, frame["transcript"].to_numpy(), chosen)
            first = writer is None
            frame.to_csv(
                temporary[UNITS_CSV], mode="w" if first else "a", header=first, index=False
            )
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(temporary[UNITS_PARQUET], table.schema)
            writer.write_table(table)
            if views is not None:
                views.extend(_unit_views(units, themes, proba, chosen))
                if len(views) > REPORT_MAX_UNITS:
                    views = None
        assert writer is not None
        writer.close()
        writer = None
        _theme_table(counts, themes).to_csv(temporary[THEMES_CSV], index=False)
        skipped = None
        if report is not None:
            if views is None:
                skipped = f"more than {REPORT_MAX_UNITS} units: too many for one HTML page"
                del targets[REPORT_HTML]
            else:
                html = report.render(transcripts, views, model.codebook.codes)
                temporary[REPORT_HTML].write_text(html, encoding="utf-8")
        for name, path in targets.items():
            publish(temporary[name], path)
    finally:
        if writer is not None:
            writer.close()
        for path in temporary.values():
            path.unlink(missing_ok=True)
    return targets, skipped


@dataclass(frozen=True)
class ReportInputs:
    """What the HTML report shows besides the coded units: title, settings, input problems."""

    title: str
    subtitle: str
    settings: dict[str, Any]
    problems: list[str]

    def render(
        self, transcripts: Sequence[Transcript], views: Sequence[UnitView], themes: Sequence[Code]
    ) -> str:
        from autocode.report.html import render_report

        return render_report(
            title=self.title,
            subtitle=self.subtitle,
            transcripts=transcripts,
            units=views,
            themes=themes,
            settings=self.settings,
            problems=self.problems,
        )


def _unit_views(
    units: Sequence[Unit], theme_ids: Sequence[str], proba: np.ndarray, chosen: np.ndarray
) -> list[UnitView]:
    from autocode.report.html import UnitView

    views = []
    for i, unit in enumerate(units):
        present = [j for j in np.argsort(-proba[i], kind="stable") if chosen[i, j]]
        views.append(
            UnitView(
                unit=unit,
                themes=tuple(theme_ids[j] for j in present),
                probabilities={t: round(float(proba[i, j]), 3) for j, t in enumerate(theme_ids)},
            )
        )
    return views


def _coded_chunks(
    project: Project,
    transcript_ids: Sequence[str],
    model: BatchModel,
    new_embedder: Callable[[], Embedder],
    chunk_units: int,
) -> Iterator[tuple[list[Unit], np.ndarray, np.ndarray]]:
    """(units, probabilities, 0/1 themes) per chunk; one empty chunk when there are no units."""
    produced = False
    for units in _unit_chunks(project, transcript_ids, chunk_units):
        produced = True
        vectors = new_embedder().encode([unit.text for unit in units])
        proba, chosen = model.classifier.predict_from_vectors(vectors)
        yield units, proba.to_numpy(), chosen.to_numpy()
    if not produced:
        empty = np.zeros((0, len(model.theme_ids)))
        yield [], empty, empty.astype(int)


def unit_frame(
    units: Sequence[Unit], theme_ids: Sequence[str], proba: np.ndarray, chosen: np.ndarray
) -> pd.DataFrame:
    """The coded-units rows of `units` (see the module docstring for the columns)."""
    frame = pd.DataFrame(
        {
            "transcript": pd.Series([u.transcript_id for u in units], dtype="object"),
            "unit_index": pd.Series([u.index for u in units], dtype="int64"),
            "speaker": pd.Series([u.speaker for u in units], dtype="object"),
            "start": pd.Series([u.start for u in units], dtype="int64"),
            "end": pd.Series([u.end for u in units], dtype="int64"),
            "text": pd.Series([u.text for u in units], dtype="object"),
        }
    )
    for j, theme_id in enumerate(theme_ids):
        frame[probability_column(theme_id)] = proba[:, j].astype("float64")
    frame["themes"] = pd.Series(
        [
            THEME_SEPARATOR.join(t for t, on in zip(theme_ids, row, strict=True) if on)
            for row in chosen
        ],
        dtype="object",
    )
    return frame


def _unit_chunks(
    project: Project, transcript_ids: Iterable[str], chunk_units: int
) -> Iterator[list[Unit]]:
    chunk: list[Unit] = []
    for transcript_id in transcript_ids:
        chunk.extend(project.units(transcript_id))
        if len(chunk) >= chunk_units:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _count(counts: dict[str, np.ndarray], transcripts: np.ndarray, chosen: np.ndarray) -> None:
    for transcript_id, row in zip(transcripts, chosen, strict=True):
        tally = counts[str(transcript_id)]
        tally[0] += 1
        tally[1:] += row


def _theme_table(counts: dict[str, np.ndarray], theme_ids: Sequence[str]) -> pd.DataFrame:
    rows = []
    for transcript_id, tally in counts.items():
        units = int(tally[0])
        row: dict[str, object] = {"transcript": transcript_id, "units": units}
        for j, theme_id in enumerate(theme_ids):
            row[f"n_{theme_id}"] = int(tally[j + 1])
        for j, theme_id in enumerate(theme_ids):
            row[f"share_{theme_id}"] = tally[j + 1] / units if units else 0.0
        rows.append(row)
    columns = ["transcript", "units"]
    columns += [f"{kind}_{t}" for kind in ("n", "share") for t in theme_ids]
    return pd.DataFrame(rows, columns=columns)
