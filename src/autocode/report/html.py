"""One self-contained HTML report of coded transcripts: inline style and script, no URL at all,
so it opens offline from the file and can be mailed or archived as it is.

`render_report` shows each transcript with its units highlighted by theme (one colour per theme,
a legend that toggles them; hovering or clicking a unit shows its probabilities and evidence),
the candidate codes when there are any, units per theme per participant, the outliers, extra
sections given by the caller (e.g. saturation), input problems and the run's settings. Every
piece of user text is escaped: transcripts are user data.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from autocode.cluster import CandidateCode, CodeSet
from autocode.models.evidence import Excerpt
from autocode.report import candidate_codes
from autocode.report.candidate_codes import shorten
from autocode.report.html_assets import SCRIPT, STYLE, rgb, theme_colours, theme_css
from autocode.types import Code, Transcript, Turn, Unit

TITLE_EVIDENCE_CHARS = 220
MAX_TABLE_PARTICIPANTS = 300
OPEN_TRANSCRIPTS_UP_TO_UNITS = 400


@dataclass(frozen=True)
class UnitView:
    """A unit as the report shows it.

    `themes` are the suggested (or assigned) theme ids, most probable first; `probabilities`
    maps theme ids to the model's probability (empty for human coding); `code_id` is the
    candidate code the unit belongs to (None: an outlier, or no clustering was done).
    """

    unit: Unit
    themes: tuple[str, ...] = ()
    probabilities: Mapping[str, float] = field(default_factory=dict)
    code_id: str | None = None
    evidence: tuple[Excerpt, ...] = ()


@dataclass(frozen=True)
class ReportSection:
    """An extra section from another module: `html` is trusted markup (escape user text in it)."""

    title: str
    html: str
    anchor: str = ""


def render_report(
    *,
    title: str,
    transcripts: Sequence[Transcript],
    units: Sequence[UnitView],
    themes: Sequence[Code],
    codes: Sequence[CandidateCode] | None = None,
    settings: Mapping[str, Any] | None = None,
    problems: Sequence[str] = (),
    extra_sections: Sequence[ReportSection] = (),
    subtitle: str = "",
    code_set: CodeSet | None = None,
) -> str:
    """The whole report as one HTML document.

    `codes` index `units` (their `unit_indices` and `exemplars` are positions in `units`, as
    `find_candidate_codes` returns them); None leaves out the codes and outliers sections.
    `extra_sections` are appended after the built-in sections, before problems and settings.
    `code_set` (the CodeSet the codes come from; its codes are used when `codes` is None) adds
    the code groups, each unit's membership, the unassigned units and the small talk.
    """
    if codes is None and code_set is not None:
        codes = code_set.codes
    page = _Page(transcripts, units, themes, codes, code_set)
    sections: list[ReportSection] = [
        ReportSection("Transcripts", page.transcripts_html(), "transcripts"),
    ]
    if code_set is not None and code_set.groups:
        sections.append(
            ReportSection("Code groups", candidate_codes.groups_html(code_set), "code-groups")
        )
    if codes is not None:
        sections.append(ReportSection("Candidate codes", page.codes_html(), "codes"))
    sections.append(
        ReportSection("Themes by participant", page.participant_table_html(), "participants")
    )
    if codes is not None:
        unassigned = candidate_codes.unassigned_html(page)
        sections.append(ReportSection("Outliers: unassigned units", unassigned, "outliers"))
    if code_set is not None and code_set.small_talk_reasons:
        talk = candidate_codes.small_talk_html(page)
        sections.append(ReportSection("Small talk", talk, "small-talk"))
    sections.extend(extra_sections)
    if problems:
        items = "".join(f"<li>{escape(problem)}</li>" for problem in problems)
        sections.append(ReportSection("Files not read", f"<ul>{items}</ul>", "problems"))
    if settings:
        sections.append(ReportSection("Settings", _settings_html(settings), "settings"))
    return _document(title, subtitle, page, sections)


def _document(title: str, subtitle: str, page: _Page, sections: list[ReportSection]) -> str:
    anchors = [section.anchor or f"section-{k + 1}" for k, section in enumerate(sections)]
    nav = "".join(
        f'<a href="#{escape(anchor)}">{escape(section.title)}</a>'
        for anchor, section in zip(anchors, sections, strict=True)
    )
    body = "".join(
        f'<section id="{escape(anchor)}"><h2>{escape(section.title)}</h2>{section.html}</section>'
        for anchor, section in zip(anchors, sections, strict=True)
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f"<style>{STYLE}\n{theme_css(page.colours)}</style></head>\n<body>"
        f'<header class="top"><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>'
        f'<nav class="sections">{nav}</nav><main>{page.summary_html()}{body}</main>'
        '<div id="panel" role="dialog"><button id="panel-close" type="button">close</button>'
        '<div id="panel-text"></div></div>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )


class _Page:
    """What the sections share: theme colours and names, participants, code labels."""

    def __init__(
        self,
        transcripts: Sequence[Transcript],
        units: Sequence[UnitView],
        themes: Sequence[Code],
        codes: Sequence[CandidateCode] | None,
        code_set: CodeSet | None = None,
    ) -> None:
        self.transcripts = list(transcripts)
        self.units = list(units)
        self.themes = list(themes)
        self.codes = list(codes) if codes is not None else None
        self.code_set = code_set
        self.has_membership = code_set is not None and len(code_set.membership) == len(units)
        self.theme_index = {theme.id: j for j, theme in enumerate(self.themes)}
        self.colours = theme_colours(len(self.themes), [theme.color for theme in self.themes])
        self.code_labels = {code.id: code.label for code in self.codes or []}
        self.participants = participant_labels(self.transcripts, [v.unit for v in self.units])

    # -- pieces ----------------------------------------------------------------------------
    def theme_chip(self, theme_id: str) -> str:
        j = self.theme_index.get(theme_id)
        name = self.themes[j].name if j is not None else theme_id
        chip = f'<span class="chip c{j}"></span>' if j is not None else ""
        return f"{chip}{escape(theme_id)} {escape(name)}"

    def unit_title(self, view: UnitView, position: int | None = None) -> str:
        names = {theme.id: theme.name for theme in self.themes}
        lines = []
        if view.themes:
            suggested = ", ".join(f"{t} {names.get(t, '')}".strip() for t in view.themes)
            lines.append(f"Suggested: {suggested}")
        else:
            lines.append("Suggested: no theme")
        if view.probabilities:
            ordered = sorted(view.probabilities.items(), key=lambda item: -item[1])
            lines.append("Probabilities: " + " · ".join(f"{t} {p:.2f}" for t, p in ordered))
        if position is not None and self.has_membership:
            lines.append(candidate_codes.membership_line(self.code_set, position, self.code_labels))
        elif self.codes is not None:
            code = view.code_id
            lines.append(
                f"Candidate code: {code} {self.code_labels.get(code, '')}".rstrip()
                if code
                else "Candidate code: none (outlier)"
            )
        for excerpt in view.evidence:
            text = shorten(excerpt.text, TITLE_EVIDENCE_CHARS)
            coded = ", ".join(excerpt.themes) or "no theme"
            lines.append(
                f"Nearest hand-coded excerpt {excerpt.excerpt_id} ({excerpt.participant}; "
                f"{coded}), similarity {excerpt.similarity:.2f}: “{text}”"
            )
        lines.append(f"{view.unit.transcript_id} #{view.unit.index}, speaker {view.unit.speaker}")
        return "\n".join(lines)

    def mark(self, position: int, view: UnitView) -> str:
        classes = ["unit"]
        known = [self.theme_index[t] for t in view.themes if t in self.theme_index]
        if known:
            classes.append(f"t{known[0]}")
            if len(known) > 1:
                classes.append(f"s{known[1]}")
        else:
            classes.append("none")
        tag = ""
        if view.code_id:
            code = escape(view.code_id)
            tag = f'<a class="code-tag" href="#code-{code}">{code}</a>'
        return (
            f'<mark id="u{position}" class="{" ".join(classes)}" '
            f'title="{escape(self.unit_title(view, position))}">'
            f"{escape(view.unit.text)}</mark>{tag}"
        )

    def unit_link(self, position: int) -> str:
        unit = self.units[position].unit
        return f'<a href="#u{position}">{escape(unit.transcript_id)} #{unit.index}</a>'

    # -- sections --------------------------------------------------------------------------
    def summary_html(self) -> str:
        counts = Counter(view.themes[0] for view in self.units if view.themes)
        none = sum(1 for view in self.units if not view.themes)
        legend = "".join(
            f'<label><input type="checkbox" checked data-theme="{j}"> '
            f"{self.theme_chip(theme.id)} <span class='muted'>({counts.get(theme.id, 0)})</span>"
            "</label>"
            for j, theme in enumerate(self.themes)
        )
        legend += (
            f'<span><span class="chip none"></span>no theme <span class="muted">({none})</span>'
            "</span>"
        )
        facts = [
            f"{len(self.transcripts)} transcript(s)",
            f"{len(self.units)} meaning unit(s)",
            f"{len(set(self.participants.values()))} participant(s)",
        ]
        if self.codes is not None:
            facts.append(f"{len(self.codes)} candidate code(s)")
            if self.code_set is not None and self.has_membership:
                facts.append(f"{len(self.code_set.unassigned)} unassigned unit(s)")
                facts.append(f"{len(self.code_set.small_talk)} small-talk unit(s)")
            else:
                facts.append(f"{sum(1 for v in self.units if v.code_id is None)} outlier unit(s)")
        return (
            f"<p>{escape(', '.join(facts))}. Highlight colour: the most probable suggested theme; "
            "an underline: the second. Hover over or click a unit for its probabilities and the "
            "nearest hand-coded excerpt. Untick a theme to hide its highlight.</p>"
            f'<div class="legend">{legend}</div>'
        )

    def transcripts_html(self) -> str:
        by_transcript: dict[str, list[int]] = {}
        for position, view in enumerate(self.units):
            by_transcript.setdefault(view.unit.transcript_id, []).append(position)
        parts = []
        for k, transcript in enumerate(self.transcripts):
            positions = by_transcript.get(transcript.id, [])
            source = transcript.metadata.get("source", "")
            # a long report opens only the first transcript, so the codes are not far away
            shown = " open" if k == 0 or len(self.units) <= OPEN_TRANSCRIPTS_UP_TO_UNITS else ""
            parts.append(
                f'<details class="transcript"{shown}><summary>{escape(transcript.id)} '
                f'<span class="muted small">{len(positions)} unit(s) · {escape(str(source))}'
                f"</span></summary>{self.turns_html(transcript, positions)}</details>"
            )
        return "".join(parts) or "<p>No transcripts.</p>"

    def turns_html(self, transcript: Transcript, positions: list[int]) -> str:
        """Each turn as a paragraph with its units marked; a unit outside every turn (not
        something `segment` makes) is shown after them rather than lost."""
        text = transcript.text
        turns = sorted(transcript.turns or [Turn("", 0, len(text))], key=lambda t: t.start)
        pending = sorted(positions, key=lambda p: self.units[p].unit.start)
        coded = {self.units[p].unit.speaker for p in positions}
        out, left_out, cursor, next_unit = [], [], 0, 0
        for turn in turns:
            start, end = max(turn.start, cursor), max(turn.end, cursor)
            if start >= end:
                continue
            pieces, at = [], start
            while next_unit < len(pending) and self.units[pending[next_unit]].unit.start < end:
                position = pending[next_unit]
                unit = self.units[position].unit
                if unit.start >= at:
                    pieces.append(escape(text[at : unit.start]))
                    pieces.append(self.mark(position, self.units[position]))
                    at = unit.end
                else:
                    left_out.append(position)
                next_unit += 1
            pieces.append(escape(text[at:end]))
            kind = "coded" if turn.speaker in coded else "other"
            speaker = escape(turn.speaker) if turn.speaker else "&nbsp;"
            out.append(
                f'<p class="turn {kind}"><span class="speaker">{speaker}</span>'
                f"{''.join(pieces)}</p>"
            )
            cursor = max(cursor, end, at)
        left_out.extend(pending[next_unit:])
        if left_out:
            marks = " … ".join(self.mark(p, self.units[p]) for p in left_out)
            out.append(
                f'<p class="turn coded"><span class="speaker">(outside turns)</span>{marks}</p>'
            )
        return "".join(out)

    def codes_html(self) -> str:
        return candidate_codes.codes_html(self, self.codes or [])

    def participant_table_html(self) -> str:
        counts: dict[str, Counter[str]] = {}
        for view in self.units:
            key = self.participants[(view.unit.transcript_id, view.unit.speaker)]
            row = counts.setdefault(key, Counter())
            row["__units__"] += 1
            for theme in view.themes or ("__none__",):
                row[theme] += 1
        if not counts:
            return "<p>No units.</p>"
        theme_ids = [theme.id for theme in self.themes]
        top = max((row[t] for row in counts.values() for t in theme_ids), default=0) or 1
        header = "".join(f"<th class='number'>{self.theme_chip(t)}</th>" for t in theme_ids)
        rows = []
        for participant, row in list(counts.items())[:MAX_TABLE_PARTICIPANTS]:
            cells = []
            for j, theme_id in enumerate(theme_ids):
                red, green, blue = rgb(self.colours[j])
                alpha = 0.85 * row[theme_id] / top
                cells.append(
                    f'<td class="number" style="background: rgba({red}, {green}, {blue}, '
                    f'{alpha:.2f})">{row[theme_id]}</td>'
                )
            rows.append(
                f"<tr><td>{escape(participant)}</td>{''.join(cells)}"
                f'<td class="number">{row["__none__"]}</td>'
                f'<td class="number">{row["__units__"]}</td></tr>'
            )
        more = len(counts) - MAX_TABLE_PARTICIPANTS
        note = f"<p class='muted'>{more} more participant(s) not shown.</p>" if more > 0 else ""
        return (
            "<p>Units per suggested theme per participant (a unit with two themes counts for "
            "both).</p>"
            f"<table><tr><th>Participant</th>{header}<th class='number'>no theme</th>"
            f"<th class='number'>units</th></tr>{''.join(rows)}</table>{note}"
        )


def participant_labels(
    transcripts: Sequence[Transcript], units: Sequence[Unit]
) -> dict[tuple[str, str], str]:
    """(transcript id, speaker) -> participant label: the transcript's `participant` metadata or
    id when one speaker is coded in it, else "<transcript>: <speaker>" (focus groups, surveys)."""
    speakers: dict[str, list[str]] = {}
    for unit in units:
        names = speakers.setdefault(unit.transcript_id, [])
        if unit.speaker not in names:
            names.append(unit.speaker)
    metadata = {transcript.id: transcript.metadata for transcript in transcripts}
    labels = {}
    for transcript_id, names in speakers.items():
        for speaker in names:
            if len(names) == 1:
                label = str(metadata.get(transcript_id, {}).get("participant") or transcript_id)
            else:
                label = f"{transcript_id}: {speaker or '(no speaker)'}"
            labels[(transcript_id, speaker)] = label
    return labels


def _settings_html(settings: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{escape(key)}</th><td>{escape(value)}</td></tr>"
        for key, value in _flatten(settings)
    )
    count = rows.count("<tr>")
    return f"<details><summary>{count} settings</summary><table>{rows}</table></details>"


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, Mapping) and value:
        rows = []
        for key, item in value.items():
            rows.extend(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if isinstance(value, str):
        return [(prefix, value)]
    return [(prefix, json.dumps(value, ensure_ascii=False, default=str))]
