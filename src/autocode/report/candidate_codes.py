"""The report's candidate-code sections: code groups, the codes table (by group), the unassigned
units and the small talk. All user text is escaped here; `page` is report.html's `_Page`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import Protocol

import numpy as np

from autocode.cluster import NO_THEME, CandidateCode, CodeSet

EXEMPLAR_CHARS = 320
LIST_TEXT_CHARS = 240


class Page(Protocol):
    units: Sequence  # UnitView
    code_set: CodeSet | None

    def theme_chip(self, theme_id: str) -> str: ...
    def unit_link(self, position: int) -> str: ...


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def membership_line(code_set: CodeSet, position: int, labels: dict[str, str]) -> str:
    """How a unit belongs to its candidate code, for its hover text."""
    kind = code_set.membership[position]
    similarity = code_set.similarity[position]
    label = int(code_set.labels[position])
    if label >= 0:
        code = code_set.codes[label]
        how = "core member" if kind == "core" else "assigned after clustering"
        name = f"{code.id} {labels.get(code.id, '')}".strip()
        return f"Candidate code: {name} ({how}, similarity {similarity:.2f})"
    if kind == "small_talk":
        return f"Small talk: {code_set.small_talk_reasons[position]}"
    if np.isfinite(similarity):
        return f"Candidate code: none (unassigned; nearest code at similarity {similarity:.2f})"
    return "Candidate code: none (outlier)"


def groups_html(code_set: CodeSet) -> str:
    if not code_set.groups:
        return "<p>Too few candidate codes to group.</p>"
    by_id = {code.id: code for code in code_set.codes}
    parts = []
    for group in code_set.groups:
        items = "".join(
            f'<li><a href="#code-{escape(code_id)}">{escape(code_id)}</a> '
            f"{escape(by_id[code_id].label)} <span class='muted'>({by_id[code_id].size})</span>"
            "</li>"
            for code_id in group.code_ids
        )
        phrases = escape("; ".join(group.phrases))
        parts.append(
            f'<details class="group" id="group-{escape(group.id)}" open><summary>'
            f"<strong>{escape(group.id)} {escape(group.label)}</strong> "
            f"<span class='muted small'>{len(group.code_ids)} code(s), {group.size} units · "
            f"{phrases}</span></summary><ul>{items}</ul></details>"
        )
    return (
        "<p>Parent codes: candidate codes whose centres are close, grouped by agglomerative "
        "clustering (about five codes to a group). Close a group to collapse its codes.</p>"
        + "".join(parts)
    )


def _theme_cell(page: Page, code: CandidateCode) -> str:
    if code.theme is not None:
        return f"{page.theme_chip(code.theme)} ({code.theme_probability:.2f})"
    if code.runner_up is not None:
        return (
            f'<span class="badge new">{escape(NO_THEME)}</span><br>'
            f'<span class="muted small">nearest: {escape(code.runner_up)} '
            f"({code.runner_up_probability:.2f})</span>"
        )
    return ""


def _code_row(page: Page, code: CandidateCode) -> str:
    exemplars = "".join(
        f"<blockquote>{escape(shorten(text, EXEMPLAR_CHARS))} "
        f"<span class='small'>{page.unit_link(position)}</span></blockquote>"
        for position, text in zip(code.exemplars, code.exemplar_texts, strict=True)
    )
    phrases = ", ".join(code.phrases[1:])
    also = f'<br><span class="small">also: {escape(phrases)}</span>' if phrases else ""
    units = f"{code.size}"
    if code.assigned:
        units += f'<br><span class="muted small">{code.assigned} assigned</span>'
    return (
        f'<tr id="code-{escape(code.id)}"><td>{escape(code.id)}</td>'
        f"<td><strong>{escape(code.label)}</strong>{also}<br>"
        f'<span class="muted small">keywords: {escape(", ".join(code.keywords))}</span></td>'
        f'<td class="number">{units}</td><td class="number">{code.transcripts}</td>'
        f'<td class="number">{code.participants}</td><td>{_theme_cell(page, code)}</td>'
        f"<td>{exemplars}</td></tr>"
    )


def codes_html(page: Page, codes: Sequence[CandidateCode]) -> str:
    if not codes:
        return "<p>No candidate codes: too few similar units to form one.</p>"
    code_set = page.code_set
    groups = code_set.groups if code_set is not None else []
    by_id = {code.id: code for code in codes}
    rows = []
    if groups:
        for group in groups:
            rows.append(
                f'<tr class="group-row"><th colspan="7"><a href="#group-{escape(group.id)}">'
                f"{escape(group.id)}</a> {escape(group.label)}</th></tr>"
            )
            rows.extend(_code_row(page, by_id[code_id]) for code_id in group.code_ids)
    else:
        rows = [_code_row(page, code) for code in codes]
    header = (
        "<tr><th>Code</th><th>Label and keywords</th><th class='number'>Units</th>"
        "<th class='number'>Transcripts</th><th class='number'>Participants</th>"
        "<th>Theme</th><th>Exemplar quotes</th></tr>"
    )
    threshold = ""
    if code_set is not None and code_set.assign_threshold is not None:
        threshold = (
            " Units HDBSCAN left out joined their nearest code when their similarity to its "
            f"centre reached {code_set.assign_threshold:.2f} (as close as nine in ten of the "
            "codes' own members); they are counted as assigned."
        )
    return (
        "<p>Clusters of similar meaning units: codes to adopt, rename or reject. The label is "
        "the phrase of the code's own units closest to its centre; a code's theme is the one "
        f"the classifier gives the mean probabilities of its units.{escape(threshold)}</p>"
        f'<table class="codes">{header}{"".join(rows)}</table>'
    )


def _unit_items(page: Page, positions: list[int], note: Callable[[int], str]) -> str:
    return "".join(
        f"<li>{page.unit_link(p)} <span class='muted'>{escape(page.units[p].unit.speaker)}"
        f"</span> {escape(shorten(page.units[p].unit.text, LIST_TEXT_CHARS))} "
        f"<span class='muted small'>{escape(note(p))}</span></li>"
        for p in positions
    )


def unassigned_html(page: Page) -> str:
    code_set = page.code_set
    if code_set is None:
        outliers = [p for p, view in enumerate(page.units) if view.code_id is None]
        note: Callable[[int], str] = lambda p: ""  # noqa: E731
    else:
        outliers = code_set.unassigned
        codes = code_set.codes

        def note(p: int) -> str:
            nearest = int(code_set.nearest_code[p])
            if nearest < 0:
                return ""
            return f"nearest: {codes[nearest].id} ({code_set.similarity[p]:.2f})"

    if not outliers:
        return "<p>Every unit that is not small talk belongs to a candidate code.</p>"
    return (
        "<p>Units in no candidate code: too far from every code's centre. Read them: a new "
        "idea often starts as one, and the rest is noise.</p>"
        f'<details><summary>{len(outliers)} unassigned unit(s)</summary><ol class="outliers">'
        f"{_unit_items(page, outliers, note)}</ol></details>"
    )


def small_talk_html(page: Page) -> str:
    code_set = page.code_set
    if code_set is None or not code_set.small_talk:
        return "<p>No unit was taken for small talk.</p>"
    positions = code_set.small_talk
    return (
        "<p>Greetings, thanks, backchannels and call logistics, kept out of the candidate codes "
        "(each with the rule that matched; <code>--keep-small-talk</code> clusters them like "
        "other units).</p>"
        f'<details><summary>{len(positions)} small-talk unit(s)</summary><ol class="outliers">'
        f"{_unit_items(page, positions, lambda p: code_set.small_talk_reasons[p])}</ol></details>"
    )
