"""Markdown rendering of an evaluation document (the JSON `autocode evaluate` writes)."""

from __future__ import annotations

from typing import Any

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
    parts = [
        f"# Theme classifier evaluation: {corpus['name']}",
        "",
        f"{corpus['n_theme_coded']} theme-coded utterances from {corpus['n_participants']} "
        f"participants ({corpus['n_rows']} excerpt rows, duplicates merged). "
        f"{protocol['cross_validation']}; {protocol['thresholds']}. "
        f"95% intervals: {protocol['intervals']}.",
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
