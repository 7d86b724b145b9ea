"""The files of a suggest run: units.csv, codes.csv, report.html, run.json, and the candidate
codes for QDA tools (candidate-codes.qdpx with the transcripts, candidate-codes.qdc).

All six are built in memory first, then each is written to a temporary file beside its target
and the temporaries are renamed into place only once every one is written, so a failure leaves
no half-written output (and no mix of old and new files, short of a failure between renames).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from autocode.cluster import NO_THEME
from autocode.cluster.refi import refi_files
from autocode.files import write_files_together
from autocode.report.html import ReportSection, UnitView, render_report
from autocode.suggest import Suggestions

UNITS_FILE = "units.csv"
CODES_FILE = "codes.csv"
REPORT_FILE = "report.html"
RUN_FILE = "run.json"
DIGITS = 4  # probabilities and similarities in the CSV files


def units_frame(suggestions: Suggestions) -> pd.DataFrame:
    """One row per unit: where it is, its text, theme probabilities, suggested themes (and each
    other model's probabilities and `suggested_<model>` codes), its
    candidate code ("" when in none), how it belongs there (`membership`: core, assigned,
    unassigned or small_talk), its similarity to the code's centroid (unassigned: the nearest
    code's), the code's parent group, why it is small talk, and the nearest hand-coded excerpts
    as evidence."""
    s = suggestions
    frame = pd.DataFrame(
        {
            "transcript": [u.transcript_id for u in s.units],
            "index": [u.index for u in s.units],
            "speaker": [u.speaker for u in s.units],
            "start": [u.start for u in s.units],
            "end": [u.end for u in s.units],
            "text": [u.text for u in s.units],
        }
    )
    for theme in s.probabilities.columns:
        frame[f"p_{theme}"] = s.probabilities[theme].round(DIGITS).to_numpy()
    frame["suggested"] = [";".join(s.suggested_themes(i)) for i in range(len(s.units))]
    for other in s.other_codebooks:  # e.g. p_<stage> and suggested_seed-stages
        for code in other.probabilities.columns:
            name = f"p_{code}" if f"p_{code}" not in frame.columns else f"p_{other.model}_{code}"
            frame[name] = other.probabilities[code].round(DIGITS).to_numpy()
        frame[f"suggested_{other.model}"] = [
            ";".join(other.suggested_codes(i)) for i in range(len(s.units))
        ]
    frame["code"] = [s.code_of(i) or "" for i in range(len(s.units))]
    codes = s.codes
    frame["membership"] = list(codes.membership)
    frame["code_similarity"] = pd.Series(codes.similarity).round(DIGITS).to_numpy()
    parents = {code.id: code.parent or "" for code in codes.codes}
    frame["code_group"] = frame["code"].map(parents).fillna("")
    frame["small_talk"] = codes.small_talk_reasons
    depth = max((len(found) for found in s.evidence), default=0)
    for k in range(depth):
        found = [row[k] if k < len(row) else None for row in s.evidence]
        prefix = f"evidence_{k + 1}_"
        frame[prefix + "excerpt_id"] = [e.excerpt_id if e else "" for e in found]
        frame[prefix + "participant"] = [e.participant if e else "" for e in found]
        frame[prefix + "themes"] = [";".join(e.themes) if e else "" for e in found]
        frame[prefix + "similarity"] = [round(e.similarity, DIGITS) if e else None for e in found]
        frame[prefix + "text"] = [e.text if e else "" for e in found]
    return frame


def codes_frame(suggestions: Suggestions) -> pd.DataFrame:
    """One row per candidate code (CodeSet.to_frame) plus the theme's name, a possible-new-theme
    flag and the units it holds as "transcript#index" separated by ";"."""
    s = suggestions
    frame = s.codes.to_frame()
    names = {theme.id: theme.name for theme in s.themes}
    frame.insert(frame.columns.get_loc("theme") + 1, "theme_name", frame["theme"].map(names))
    frame["theme_name"] = frame["theme_name"].fillna("")
    frame.insert(
        frame.columns.get_loc("theme_name") + 1, "possible_new_theme", frame["theme"] == NO_THEME
    )
    frame["units"] = [
        ";".join(f"{s.units[i].transcript_id}#{s.units[i].index}" for i in code.unit_indices)
        for code in s.codes.codes
    ]
    for column in ("theme_probability", "runner_up_probability", "reference_similarity"):
        frame[column] = pd.to_numeric(frame[column]).round(DIGITS)
    return frame


def unit_views(suggestions: Suggestions) -> list[UnitView]:
    s = suggestions
    records = s.probabilities.round(DIGITS).to_dict(orient="records")
    return [
        UnitView(
            unit=unit,
            themes=s.suggested_themes(i),
            probabilities=records[i],
            code_id=s.code_of(i),
            evidence=tuple(s.evidence[i]),
        )
        for i, unit in enumerate(s.units)
    ]


def suggestions_report(
    suggestions: Suggestions,
    title: str = "autocode: suggested codes",
    extra_sections: Sequence[ReportSection] = (),
) -> str:
    """report.html of a suggest run (see autocode.report.html.render_report)."""
    s = suggestions
    counts = s.settings.get("counts", {})
    subtitle = (
        f"{counts.get('transcripts', len(s.transcripts))} transcript(s), "
        f"{counts.get('units', len(s.units))} meaning units, {len(s.codes.codes)} candidate "
        f"codes in {len(s.codes.groups)} groups. Suggestions for a researcher to review: "
        "nothing here is final coding."
    )
    settings = {key: value for key, value in s.settings.items() if key != "errors"}
    return render_report(
        title=title,
        subtitle=subtitle,
        transcripts=s.transcripts,
        units=unit_views(s),
        themes=s.themes,
        code_set=s.codes,
        settings=settings,
        problems=[str(error) for error in s.errors],
        extra_sections=extra_sections,
    )


def run_record(suggestions: Suggestions, command: list[str] | None = None) -> dict[str, Any]:
    """run.json: the command, inputs, settings, model, versions, seed, counts and errors."""
    record: dict[str, Any] = {"command": command or []}
    record.update(suggestions.settings)
    record["errors"] = [str(error) for error in suggestions.errors]
    record["created_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return record


def write_suggestions(
    suggestions: Suggestions,
    out_dir: str | Path,
    *,
    command: list[str] | None = None,
    extra_sections: Sequence[ReportSection] = (),
) -> dict[str, Path]:
    """Write units.csv, codes.csv, report.html, run.json, candidate-codes.qdpx and
    candidate-codes.qdc into `out_dir`; returns the paths.
    `extra_sections` are added to the report (e.g. a saturation section)."""
    contents: dict[str, str | bytes] = {
        UNITS_FILE: units_frame(suggestions).to_csv(index=False, lineterminator="\n"),
        CODES_FILE: codes_frame(suggestions).to_csv(index=False, lineterminator="\n"),
        REPORT_FILE: suggestions_report(suggestions, extra_sections=extra_sections),
        RUN_FILE: json.dumps(run_record(suggestions, command), indent=2, ensure_ascii=False) + "\n",
    }
    s = suggestions
    contents.update(refi_files(s.codes, s.units, s.transcripts, "autocode candidate codes"))
    return write_files_together(Path(out_dir), contents)
