"""A matrix as one self-contained HTML page: a heat map whose cells open the units behind them.

Every piece of transcript text, name and key is escaped; the page loads nothing (no script, no
font, no stylesheet from elsewhere). A cell lists at most `MAX_UNITS_PER_CELL` units and the page
at most `MAX_UNITS_SHOWN` in all; it says how many it left out.
"""

from __future__ import annotations

from html import escape

import numpy as np

from autocode.matrix.query import Matrix
from autocode.store import Project

MAX_UNITS_PER_CELL = 100
MAX_UNITS_SHOWN = 20_000

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 6px;vertical-align:top}
th{background:#f4f4f4;text-align:left;font-weight:600}
td details summary{cursor:pointer;font-variant-numeric:tabular-nums}
td ol{margin:.3em 0 0 1.2em;padding:0;max-width:40em;font-size:12px}
td li{margin-bottom:.3em}.where{color:#666;font-size:11px}
caption{text-align:left;margin-bottom:.6em}
"""


def matrix_page(matrix: Matrix, project: Project, title: str) -> str:
    texts: dict[str, str] = {}
    shown = 0
    values = _values(matrix)
    peak = max(float(values.max()), 1e-12) if values.size else 1.0
    header = "".join(
        f'<th title="{escape(name)}">{escape(key)}</th>'
        for key, name in zip(matrix.column_keys, matrix.column_names, strict=True)
    )
    tests = {(t["row"], t["column"]): t for t in matrix.tests}
    body = []
    for i, (key, name) in enumerate(zip(matrix.row_keys, matrix.row_names, strict=True)):
        cells = []
        for j in range(len(matrix.column_keys)):
            value = values[i, j]
            alpha = 0.85 * value / peak
            label = (
                f"{value:.0%}" if matrix.query.cells == "share" else str(int(matrix.counts[i, j]))
            )
            style = f"background:rgba(31,119,180,{alpha:.3f})"
            test = tests.get((key, matrix.column_keys[j]))
            if test is not None and test["p"] is not None:
                note = escape(_test_note(test))
                label += f' <small title="{note}">Holm p={test["p_holm"]:.2g}</small>'
            if matrix.counts[i, j] == 0:
                cells.append(f'<td style="{style}">{label}</td>')
                continue
            positions = matrix.units_of(i, j)
            room = max(0, min(MAX_UNITS_PER_CELL, MAX_UNITS_SHOWN - shown))
            items = [_unit_item(matrix, project, k, texts) for k in positions[:room]]
            shown += len(items)
            more = len(positions) - len(items)
            if more:
                items.append(f"<li>… and {more} more unit(s) not shown</li>")
            cells.append(
                f'<td style="{style}"><details><summary>{label}</summary>'
                f"<ol>{''.join(items)}</ol></details></td>"
            )
        body.append(f'<tr><th title="{escape(name)}">{escape(key)}</th>{"".join(cells)}</tr>')
    coded = "; ".join(
        f"{escape(book)}: "
        + ", ".join(f"{escape(coder)} ({n} units)" for coder, n in coders.items())
        for book, coders in matrix.sources.items()
    )
    window = f", window {matrix.query.window}" if matrix.query.window else ""
    caption = (
        f"{escape(matrix.row_axis)} × {escape(matrix.column_axis)}, cells: "
        f"{escape(matrix.query.cells)}{window}; {len(matrix.units)} units; coded by {coded}. "
        "Open a cell to read its units."
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><table><caption>{caption}</caption>"
        f"<thead><tr><th>{escape(matrix.row_axis)}</th>{header}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></body></html>\n"
    )


def _test_note(test: dict) -> str:
    return (
        f"{test['test']}: {test['both']} units with both, {test['expected']:.1f} expected if "
        f"independent; p {test['p']:.3g}, Holm-adjusted over the table {test['p_holm']:.3g}"
    )


def _values(matrix: Matrix) -> np.ndarray:
    if matrix.query.cells == "share":
        return matrix.frame("share").to_numpy(dtype=float)
    return matrix.counts.astype(float)


def _unit_item(matrix: Matrix, project: Project, k: int, texts: dict[str, str]) -> str:
    units = matrix.units
    transcript_id = str(units.transcript_ids[k])
    if transcript_id not in texts:
        texts[transcript_id] = project.get_transcript(transcript_id).text
    start, end = int(units.starts[k]), int(units.ends[k])
    text = texts[transcript_id][start:end]
    where = (
        f"{transcript_id} #{int(units.indices[k])}, {units.speakers[k]}, characters {start}–{end}"
    )
    return f'<li>{escape(text)}<div class="where">{escape(where)}</div></li>'
