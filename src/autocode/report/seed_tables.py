"""The seed study's tables, the authors' and autocode's side by side, cells that differ marked:
Markdown for reading, HTML (escaped, self-contained) for a browser, JSON for numbers."""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from autocode.evaluation.seed_tables import SeedTables

DIFFERS = "≠"


def seed_tables_document(tables: SeedTables, facts: dict[str, Any]) -> dict[str, Any]:
    return {
        **facts,
        "agreement": tables.agreement(),
        "participant_theme": {
            "authors": tables.authors_themes.to_dict(orient="index"),
            "autocode": tables.model_themes.to_dict(orient="index"),
        },
        "theme_stage": {
            "participants": tables.link_participants,
            "authors": tables.link_table(tables.authors_links).to_dict(orient="index"),
            "autocode": tables.link_table(tables.model_links).to_dict(orient="index"),
        },
    }


def seed_tables_markdown(tables: SeedTables, title: str) -> str:
    agreement = tables.agreement()
    themes = agreement["participant_theme"]
    links = agreement["participant_stage_theme_links"]
    pairs = agreement["theme_stage_links"]
    authors_links = tables.link_table(tables.authors_links)
    model_links = tables.link_table(tables.model_links)
    lines = [
        f"# {title}",
        "",
        "The authors' tables are their own statements per participant (P13-P15 withheld); "
        "autocode's come from coding every quote with the theme and the stage classifier, each "
        "participant by models trained without them (leave-one-participant-out). A participant "
        "has a theme when one of their quotes is coded with it, and links a theme to a stage when "
        f"one quote is coded with both. Cells where autocode differs are marked {DIFFERS}. The "
        f"stage classifier rests on {tables.stage_quotes} quotes and {tables.stage_paraphrases} "
        "paraphrases.",
        "",
        f"- Participant x theme: {themes['agreeing']} of {themes['cells']} cells agree "
        f"({themes['share_agreeing']:.0%}, κ {_number(themes['kappa'])}).",
        f"- Theme-stage links per participant ({links['n_participants']} participants the paper "
        f"gives links for): {links['agreeing']} of {links['cells']} agree "
        f"({links['share_agreeing']:.0%}, κ {_number(links['kappa'])}).",
        f"- Theme x stage pairs linked by anyone: {pairs['agreeing']} of {pairs['cells']} agree "
        f"({pairs['share_agreeing']:.0%}, κ {_number(pairs['kappa'])}).",
        "",
        "## Participant x theme",
        "",
        _side_by_side(tables.authors_themes, tables.model_themes, tables.names, marks=True),
        "",
        f"## Theme x stage (participants linking them, of {len(tables.link_participants)})",
        "",
        _side_by_side(authors_links, model_links, tables.names, marks=False),
    ]
    return "\n".join(lines) + "\n"


def _side_by_side(
    authors: pd.DataFrame, model: pd.DataFrame, names: dict[str, str], *, marks: bool
) -> str:
    columns = list(authors.columns)
    header = "| | " + " | ".join(f"{names.get(c, c)} (authors / autocode)" for c in columns) + " |"
    lines = [header, "|---" * (len(columns) + 1) + "|"]
    for key in authors.index:
        cells = []
        for column in columns:
            a, m = int(authors.loc[key, column]), int(model.loc[key, column])
            shown = (_mark(a), _mark(m)) if marks else (str(a), str(m))
            cells.append(f"{shown[0]} / {shown[1]}" + (f" {DIFFERS}" if a != m else ""))
        lines.append(f"| {names.get(str(key), key)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def seed_tables_html(tables: SeedTables, title: str) -> str:
    authors_links = tables.link_table(tables.authors_links)
    model_links = tables.link_table(tables.model_links)
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>{escape(title)}</title><style>body{{font:14px system-ui,sans-serif;"
        "margin:1.5em}table{border-collapse:collapse;margin:0 2em 1em 0;display:inline-table}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:center}"
        "td.differs{background:#fde2c8;font-weight:700}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        "<h2>Participant × theme</h2>",
        _html_table("authors", tables.authors_themes, tables.model_themes, tables.names, True),
        _html_table("autocode", tables.model_themes, tables.authors_themes, tables.names, True),
        f"<h2>Theme × stage (participants linking them, of {len(tables.link_participants)})</h2>",
        _html_table("authors", authors_links, model_links, tables.names, False),
        _html_table("autocode", model_links, authors_links, tables.names, False),
        "</body></html>\n",
    ]
    return "".join(parts)


def _html_table(
    caption: str, shown: pd.DataFrame, other: pd.DataFrame, names: dict[str, str], marks: bool
) -> str:
    head = "".join(f'<th title="{escape(names.get(c, c))}">{escape(c)}</th>' for c in shown.columns)
    rows = []
    for key in shown.index:
        cells = []
        for column in shown.columns:
            value = int(shown.loc[key, column])
            differs = value != int(other.loc[key, column])
            text = _mark(value) if marks else str(value)
            cells.append(f'<td class="differs">{text}</td>' if differs else f"<td>{text}</td>")
        rows.append(f"<tr><th>{escape(str(key))}</th>{''.join(cells)}</tr>")
    return (
        f"<table><caption>{escape(caption)}</caption><tr><th></th>{head}</tr>"
        f"{''.join(rows)}</table>"
    )


def _mark(value: int) -> str:
    return "✓" if value else "·"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
