"""What `autocode saturation` writes: saturation.json, .png and .html, built in memory and then
written together (each file to a temporary name first, then all renamed into place).

saturation.json is `SaturationResult.to_dict()` with the summary paragraph, the codes per
interview, the inputs, the settings and the package versions beside it. saturation.html is the
saturation section as a standalone page or, for transcripts with `--report`, the HTML report of
the coded transcripts (`autocode.report.html.render_report`) with the section added.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autocode import __version__
from autocode.classify import ThemeClassifier
from autocode.cluster import CodeSet
from autocode.files import write_files_together
from autocode.report.html import UnitView, render_report
from autocode.saturation import assess_saturation
from autocode.saturation.codes import InterviewCodes
from autocode.saturation.pipeline import EmbeddedInterviews
from autocode.saturation.plot import plot_saturation
from autocode.saturation.report import (
    saturation_page,
    saturation_report_section,
    saturation_summary,
)
from autocode.types import Code
from autocode.versions import package_versions

RESULT_FORMAT = "autocode-saturation"
RESULT_FORMAT_VERSION = 1


def result_files(
    data: InterviewCodes,
    settings: Mapping[str, Any],
    inputs: Mapping[str, Any],
    *,
    report_parts: Mapping[str, Any] | None = None,
) -> tuple[str, dict[str, bytes]]:
    """The summary paragraph, and saturation.json, .png and .html computed in memory.

    `settings` holds the options of `assess_saturation` under the CLI's names (base_size,
    run_length, threshold, run_step, min_units_per_interview, min_units_total, permutations,
    seed) and the order (order_by, order_file); with `report_parts` (arguments of
    `render_report`) the HTML is the report of the coded transcripts with the saturation
    section, else a standalone page.
    """
    result = assess_saturation(
        data,
        base_size=settings["base_size"],
        run_length=settings["run_length"],
        threshold=settings["threshold"],
        run_step=settings["run_step"],
        min_units_per_interview=settings["min_units_per_interview"],
        min_units_total=settings["min_units_total"],
        n_permutations=settings["permutations"],
        seed=settings["seed"],
    )
    with tempfile.TemporaryDirectory() as folder:
        png = plot_saturation(result, Path(folder) / "saturation.png").read_bytes()
    order = order_words(settings)
    summary = saturation_summary(result, order=order)
    document = {
        "format": RESULT_FORMAT,
        "format_version": RESULT_FORMAT_VERSION,
        "autocode_version": __version__,
        **result.to_dict(),
        "summary": summary,
        "codes_per_interview": data.to_mapping(),
        "inputs": inputs,
        "settings": settings,
        "versions": package_versions(),
    }
    if report_parts is None:
        html = saturation_page(result, png, order=order)
    else:
        html = render_report(
            title="autocode: saturation",
            subtitle=f"{data.n_interviews} interviews coded with {inputs['codes']}. "
            "Suggestions for a researcher to review: nothing here is final coding.",
            **report_parts,
            settings={"inputs": {k: v for k, v in inputs.items() if k != "interviews"}, **settings},
            extra_sections=[saturation_report_section(result, png, order=order)],
        )
    return summary, {
        "saturation.json": json_bytes(document),
        "saturation.png": png,
        "saturation.html": html.encode("utf-8"),
    }


def order_words(settings: Mapping[str, Any]) -> str:
    """How the interviews were ordered, in words for the summary."""
    if settings["order_file"]:
        return f"in the order listed in {Path(settings['order_file']).name}"
    return {
        "given": "in the order given",
        "name": "in natural order of their ids",
        "date": "in order of their dates",
    }[settings["order_by"]]


def cluster_report_parts(embedded: EmbeddedInterviews, code_set: CodeSet) -> dict[str, Any]:
    """`render_report` arguments showing each unit's candidate code."""
    views = [
        UnitView(unit, code_id=code_set.codes[label].id if label >= 0 else None)
        for unit, label in zip(embedded.all_units, code_set.labels.tolist(), strict=True)
    ]
    return {
        "transcripts": embedded.transcripts,
        "units": views,
        "themes": [],
        "codes": code_set.codes,
    }


def theme_report_parts(embedded: EmbeddedInterviews, classifier: ThemeClassifier) -> dict[str, Any]:
    """`render_report` arguments showing each unit's themes and probabilities."""
    proba, decided = classifier.predict_from_vectors(embedded.vectors)
    proba = proba.round(4)
    views = [
        UnitView(
            unit,
            themes=tuple(t for t in decided.columns if decided.iloc[i][t]),
            probabilities=proba.iloc[i].to_dict(),
        )
        for i, unit in enumerate(embedded.all_units)
    ]
    themes = [Code(t, t) for t in classifier.theme_ids_]
    return {"transcripts": embedded.transcripts, "units": views, "themes": themes}


def json_bytes(document: Mapping[str, Any]) -> bytes:
    """Indented UTF-8 JSON with a final newline."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_files(folder: Path, files: Mapping[str, bytes]) -> None:
    """Write every file to a temporary name first, then rename them all into place."""
    write_files_together(folder, files)
