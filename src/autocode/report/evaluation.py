"""Markdown rendering of the evaluation documents `autocode evaluate` writes: a corpus's
leave-one-participant-out evaluation (`render_markdown`) and the agreement with a project's
human coding (`render_project_markdown`)."""

from __future__ import annotations

from typing import Any

from autocode.bootstrap import MACRO
from autocode.numeric import shown

_number = shown


def _with_interval(row: dict[str, Any]) -> str:
    estimate = _number(row["estimate"])
    if row["lo"] is None or row["hi"] is None:
        return estimate
    return f"{estimate} [{_number(row['lo'])}, {_number(row['hi'])}]"


def _rows(summary: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["label"], row["metric"]): row for row in summary["excerpt_level"]}


def summary_table(document: dict[str, Any]) -> str:
    """One line per method: macro kappa, alpha and F1 with intervals, per-theme kappa."""
    themes = document["corpus"]["theme_ids"]
    header = ["method", "macro κ [95% CI]", "macro α", "macro F1 [95% CI]"]
    header += [f"{t} κ" for t in themes] + ["participant-level κ", "seconds"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for summary in document["methods"]:
        rows = _rows(summary)
        participant = summary.get("participant_level") or {}
        pooled = (participant.get("pooled") or {}).get("kappa")
        cells = [
            summary["method"],
            _with_interval(rows[("macro", "kappa")]),
            _number(rows[("macro", "alpha")]["estimate"]),
            _with_interval(rows[("macro", "f1")]),
            *(_number(rows[(t, "kappa")]["estimate"]) for t in themes),
            _number(pooled),
            f"{summary['wall_seconds']:.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def method_table(document: dict[str, Any], summary: dict[str, Any]) -> str:
    """Per theme: support, kappa, alpha and F1 with intervals, precision, recall, agreement."""
    names = {theme["id"]: theme["name"] for theme in document["corpus"]["themes"]}
    header = ["theme", "n+", "κ [95% CI]", "α [95% CI]", "F1 [95% CI]", "P", "R", "% agree"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    rows = _rows(summary)
    for label in [*document["corpus"]["theme_ids"], "macro"]:
        title = f"{label} {names[label]}" if label in names else "macro"
        lines.append(
            "| "
            + " | ".join(
                [
                    title,
                    str(rows[(label, "kappa")]["support"]),
                    _with_interval(rows[(label, "kappa")]),
                    _with_interval(rows[(label, "alpha")]),
                    _with_interval(rows[(label, "f1")]),
                    _number(rows[(label, "precision")]["estimate"]),
                    _number(rows[(label, "recall")]["estimate"]),
                    _number(rows[(label, "percent_agreement")]["estimate"]),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def participant_table(document: dict[str, Any], summary: dict[str, Any]) -> str:
    """Themes stated by the coders vs predicted from the participant's excerpts."""
    level = summary.get("participant_level")
    if not level:
        return "_No participant-level coding in this corpus._"
    themes = document["corpus"]["theme_ids"]
    lines = ["| participant | " + " | ".join(themes) + " |", "|" + "---|" * (len(themes) + 1)]
    marks = {(1, 1): "✓", (0, 0): "·", (1, 0): "missed", (0, 1): "extra"}
    for participant in level["participants"]:
        stated, predicted = level["stated"][participant], level["predicted"][participant]
        cells = [marks[(stated[t], predicted[t])] for t in themes]
        lines.append(f"| {participant} | " + " | ".join(cells) + " |")
    pooled = level["pooled"]
    lines.append("")
    lines.append(
        f"Pooled over {len(level['participants'])} participants x {len(themes)} themes: "
        f"κ = {_number(pooled['kappa'])}, agreement = {_number(pooled['percent_agreement'])} "
        "(✓ both present, · both absent, missed = stated but not predicted, "
        "extra = predicted but not stated)."
    )
    return "\n".join(lines)


def render_markdown(document: dict[str, Any]) -> str:
    corpus, protocol = document["corpus"], document["protocol"]
    kind = "stage" if corpus.get("codebook") == "stages" else "theme"
    parts = [
        f"# {kind.capitalize()} classifier evaluation: {corpus['name']}",
        "",
        f"{corpus['n_theme_coded']} {kind}-coded utterances from {corpus['n_participants']} "
        f"participants ({corpus['n_rows']} excerpt rows, duplicates merged). "
        f"{protocol['cross_validation']}; {protocol['thresholds']}. "
        f"95% intervals: {protocol['intervals']}."
        + (
            f" The {kind} layer rests on {corpus['n_theme_coded']} quotes and "
            f"{corpus.get('n_paraphrases_coded', 0)} researcher paraphrases (weak examples): "
            "read its numbers as rough."
            if kind == "stage"
            else ""
        ),
        "",
        "## Summary",
        "",
        summary_table(document),
    ]
    for summary in document["methods"]:
        parts += [
            "",
            f"## {summary['method']}",
            "",
            summary["description"],
            "",
            method_table(document, summary),
            "",
            "Participant level:",
            "",
            participant_table(document, summary),
        ]
    return "\n".join(parts) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _cell(text: str, width: int = 48) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= width else text[: width - 1] + "…"


def code_table(document: dict[str, Any], summary: dict[str, Any]) -> str:
    """Per code: positives, unit-level κ, α, F1 with intervals, and character-level κ, %."""
    names = {code["id"]: code["name"] for code in document["examples"]["codes"]}
    rows = {(row["label"], row["metric"]): row for row in summary["unit_level"]}
    characters = summary["character_level"]["per_code"]
    header = [
        "code", "human n+", "model n+", "unit κ [95% CI]", "unit α [95% CI]", "unit F1 [95% CI]",
        "% agree", "char κ", "char % agree",
    ]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    predicted = summary["predicted_positives"]
    for code in [*names, MACRO]:
        cells = [
            _cell(names.get(code, "macro")),
            str(rows[(code, "kappa")]["support"]),
            str(sum(predicted.values()) if code == MACRO else predicted[code]),
            _with_interval(rows[(code, "kappa")]),
            _with_interval(rows[(code, "alpha")]),
            _with_interval(rows[(code, "f1")]),
            _number(rows[(code, "percent_agreement")]["estimate"]),
            _number(characters[code]["kappa"]),
            _number(characters[code]["percent_agreement"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def project_summary_table(document: dict[str, Any]) -> str:
    """One line per method of a project evaluation: macro κ, α, F1 and character-level κ."""
    header = ["method", "macro κ [95% CI]", "macro α", "macro F1 [95% CI]", "char κ", "seconds"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for summary in document["methods"]:
        rows = {(row["label"], row["metric"]): row for row in summary["unit_level"]}
        cells = [
            summary["method"],
            _with_interval(rows[(MACRO, "kappa")]),
            _number(rows[(MACRO, "alpha")]["estimate"]),
            _with_interval(rows[(MACRO, "f1")]),
            _number(summary["character_level"]["per_code"][MACRO]["kappa"]),
            f"{summary['wall_seconds']:.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_project_markdown(document: dict[str, Any]) -> str:
    """A project evaluation (`autocode evaluate --project`) as Markdown: a summary (several
    methods), then a table per method."""
    examples, protocol = document["examples"], document["protocol"]
    selection = examples["selection"]
    coders = selection["coder"] or f"{selection['coder_prefix']}*"
    units = _count(examples["n_units"], "unit")
    transcripts = _count(examples["n_transcripts"], "transcript")
    groups = _count(examples["n_groups"], "group")
    parts = [
        f"# Agreement with {coders}: codebook {selection['codebook']}",
        "",
        f"{units} of {transcripts} ({groups}), level {selection['level']}. "
        f"{protocol['evaluation']}. "
        f"Unit labels: {protocol['unit_labels']}. 95% intervals: {protocol['intervals']}. "
        f"Character level: {protocol['character_level']}.",
    ]
    if len(document["methods"]) > 1:
        parts += ["", "## Summary", "", project_summary_table(document)]
    for summary in document["methods"]:
        parts += [
            "",
            f"## {summary['method']}",
            "",
            summary["description"],
            "",
            code_table(document, summary),
        ]
    if document["notes"]:
        parts += ["", "Notes:", "", *(f"- {note}" for note in document["notes"])]
    return "\n".join(parts) + "\n"
