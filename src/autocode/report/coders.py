"""The coder comparison as one self-contained HTML page: per code the pairs' kappas, the
across-coder statistics, the model-as-coder lines, and the passages where coders disagree.

Every piece of transcript text and every name is escaped; the page links nothing outside itself.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from autocode.agreement.coders import CoderComparison
from autocode.agreement.verdict import model_line
from autocode.files import write_text_atomic
from autocode.numeric import shown, shown_percent

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d1d1f; line-height: 1.45; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccd; padding: 0.25rem 0.5rem; vertical-align: top; }
th { background: #eef1f5; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.text { max-width: 48rem; white-space: pre-wrap; }
.coded { color: #0a6b36; } .uncoded { color: #a3311f; }
"""


_fmt = shown


def _with_interval(value: float | None, interval: list[float | None]) -> str:
    lo, hi = interval
    if value is None or lo is None or hi is None:
        return _fmt(value)
    return f"{_fmt(value)} [{_fmt(lo)}, {_fmt(hi)}]"


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "\n".join(
        "<tr>"
        + "".join(
            f'<td class="number">{escape(c)}</td>' if i >= numeric_from else f"<td>{escape(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def code_rows(document: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-code table (also what the CLI prints)."""
    first = next(iter(document["codes"].values()))
    pairs = [" vs ".join(pair["coders"]) for pair in first["pairs"]]
    header = [
        "code",
        "α (all)",
        "Fleiss κ",
        *(f"{pair}: κ [95% CI], % agree, BP" for pair in pairs),
    ]
    rows = []
    for code in document["codes"].values():
        rows.append(
            [
                code["name"],
                _fmt(code["krippendorff_alpha"]),
                _fmt(code["fleiss_kappa"]),
                *(_pair_cell(p) for p in code["pairs"]),
            ]
        )
    return header, rows


def _pair_cell(pair: dict[str, Any]) -> str:
    agreement = pair["percent_agreement"]
    percent = shown_percent(agreement)
    return (
        f"{_with_interval(pair['cohen_kappa'], pair['ci'])}, {percent}, "
        f"BP {_fmt(pair['brennan_prediger'])}"
    )


def scope_line(document: dict[str, Any]) -> str:
    which = (
        "items every coder coded"
        if document["settings"]["only_units_coded_by_all"]
        else "items two or more coders coded"
    )
    return (
        f"Codebook {document['codebook']}, {document['level']} level: {document['n_items']} "
        f"{which}, from {document['n_groups']} groups (the bootstrap resamples groups)."
    )


def codebook_line(document: dict[str, Any]) -> str:
    book = document["codebook_level"]
    if not book["mutually_exclusive"]:
        return (
            "Codebook level: not computed, some items carry several codes or none "
            "(the codes are not mutually exclusive)."
        )
    return (
        f"Codebook level (codes as categories): Krippendorff's α "
        f"{_fmt(book['krippendorff_alpha_nominal'])}, Fleiss' κ {_fmt(book['fleiss_kappa'])}, "
        f"Brennan-Prediger {_fmt(book['brennan_prediger'])} over {book['n_units']} items."
    )


def coders_page(comparison: CoderComparison) -> str:
    document = comparison.to_json()
    header, rows = code_rows(document)
    title = f"Coder comparison: {', '.join(document['coders'])}"
    parts = [
        f"<h1>{escape(title)}</h1>",
        f"<p>{escape(scope_line(document))}</p>",
        "<h2>Per code</h2>",
        _table(header, rows),
        f"<p>{escape(codebook_line(document))}</p>",
    ]
    if comparison.model_as_coder:
        lines = "".join(
            f"<li>{escape(model_line(entry, comparison.code_names[entry['code']]))}</li>"
            for entry in document["model_as_coder"]
        )
        parts += ["<h2>The model as one more coder</h2>", f"<ul>{lines}</ul>"]
    parts += [f"<h2>Where coders disagree ({len(comparison.disagreements)})</h2>"]
    disagreement_rows = [
        [
            comparison.code_names.get(row.code, row.code),
            row.transcript,
            f"{row.start}-{row.end}",
            ", ".join(row.coded_by),
            ", ".join(row.not_coded_by),
            row.text,
        ]
        for row in comparison.disagreements
    ]
    parts.append(
        _disagreement_table(disagreement_rows)
        if disagreement_rows
        else "<p>The coders agree on every item.</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )


_DISAGREEMENT_HEADER = ("code", "transcript", "offsets", "coded by", "not coded by", "text")


def _disagreement_table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in _DISAGREEMENT_HEADER)
    body = "\n".join(
        f"<tr><td>{escape(code)}</td><td>{escape(transcript)}</td>"
        f'<td class="number">{escape(offsets)}</td><td class="coded">{escape(yes)}</td>'
        f'<td class="uncoded">{escape(no)}</td><td class="text">{escape(text)}</td></tr>'
        for code, transcript, offsets, yes, no, text in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def write_coders_page(path: str | Path, comparison: CoderComparison) -> None:
    write_text_atomic(Path(path), coders_page(comparison))
