"""The saturation section of an HTML report, and a paragraph that sums a saturation result up.

`saturation_fragment(result, png)` is HTML: the summary paragraph, the figure embedded as a
base64 data URI (self-contained: no file beside it), the table of Guest et al.'s runs, the
per-interview table, the Chao2 estimate and, when given, a verdict. `saturation_section` puts
it under a title in a `<section>`; `saturation_report_section` makes it an extra section of the
HTML report (`autocode.report.html.render_report`); `saturation_page` is a standalone page.
`saturation_summary(result)` is the paragraph in words, for the terminal and methods sections.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from autocode.numeric import shown, shown_percent
from autocode.saturation import SaturationResult

if TYPE_CHECKING:
    from autocode.report.html import ReportSection

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
.autocode-saturation table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
.autocode-saturation th, .autocode-saturation td { border: 1px solid #ccc; padding: 0.2rem 0.5rem;
       text-align: left; vertical-align: top; }
.autocode-saturation td.number { text-align: right; }
.autocode-saturation tr.reached { background: #e6f4e6; }
.autocode-saturation img { max-width: 100%; height: auto; }
"""


_percent = shown_percent


def _number(value: float | None, digits: int = 1) -> str:
    return shown(value, digits)


def _interviews(start: int, end: int) -> str:
    return f"interview {start}" if start == end else f"interviews {start}-{end}"


def saturation_summary(result: SaturationResult, *, order: str = "in the order given") -> str:
    """One paragraph with the numbers of `result`, fit for a methods section.

    `order` says how the interviews were ordered, e.g. "in the order they were conducted".
    """
    p, guest, boot, chao = result.parameters, result.guest, result.bootstrap, result.chao2
    n = len(result.interviews)
    text = [
        f"Saturation was assessed over {n} interviews {order} with the method of "
        f"Guest, Namey & Chen (2020): base size {p.base_size}, runs of {p.run_length} "
        f"({p.run_step}), new-information threshold {p.threshold:.0%}."
    ]
    if p.min_units_per_interview > 1:
        text.append(
            f"A code counted in an interview when at least {p.min_units_per_interview} of the "
            "interview's units carried it."
        )
    if p.min_units_total > 1:
        text.append(f"Codes with fewer than {p.min_units_total} units in all were left out.")
    text.append(f"The first {p.base_size} interviews held {guest.base_codes} distinct codes;")
    reached = next((run for run in guest.runs if run.meets_threshold), None)
    if reached is not None:
        text.append(
            f"saturation was reached at {guest.label}: after {guest.saturation_point} "
            f"interviews, {_interviews(reached.start, reached.end)} added {reached.new_codes} "
            f"new code{'s' if reached.new_codes != 1 else ''} "
            f"({_percent(reached.ratio)} of the base)."
        )
    elif guest.runs:
        last = guest.runs[-1]
        text.append(
            f"saturation was not reached: no run of {p.run_length} "
            f"interview{'s' if p.run_length != 1 else ''} added at most "
            f"{p.threshold:.0%} new codes (the last, {_interviews(last.start, last.end)}, "
            f"added {last.new_codes}, {_percent(last.ratio)} of the base)."
        )
    if boot.n_reached:
        text.append(
            f"Over {boot.n_permutations} random orders of the interviews, saturation was reached "
            f"in {boot.share_reached:.0%}, after a median of {_number(boot.median, 0)} interviews "
            f"(5th-95th percentile {_number(boot.p5, 0)}-{_number(boot.p95, 0)})."
        )
    else:
        text.append(
            f"In none of {boot.n_permutations} random orders of the interviews was saturation "
            "reached."
        )
    text.append(
        f"{chao.observed} distinct codes were observed; the Chao2 estimate of the total is "
        f"{_number(chao.estimate)} ({chao.confidence:.0%} CI {_number(chao.ci_low)}-"
        f"{_number(chao.ci_high)}), so about {_percent(chao.share_observed)} of the codes were "
        "found."
    )
    if result.empty_interviews:
        shown = ", ".join(result.empty_interviews)
        text.append(
            f"{len(result.empty_interviews)} interview(s) had no coded unit ({shown}) and count "
            "as contributing no codes."
        )
    return " ".join(text)


def _table(header: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        css = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(
            f'<td class="number">{escape(c)}</td>'
            if c.replace(".", "", 1).replace("%", "").lstrip("-").isdigit()
            else f"<td>{escape(c)}</td>"
            for c in row
        )
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _png_bytes(png: bytes | str | Path) -> bytes:
    return png if isinstance(png, bytes) else Path(png).read_bytes()


def saturation_fragment(
    result: SaturationResult,
    png: bytes | str | Path,
    *,
    verdict: str | None = None,
    order: str = "in the order given",
    heading_level: int = 3,
) -> str:
    """The section's content without its title: summary, figure, runs, interviews, Chao2."""
    sub = f"h{heading_level}"
    image = base64.b64encode(_png_bytes(png)).decode("ascii")
    p, chao = result.parameters, result.chao2
    runs = _table(
        ["Run", "Interviews", "New codes", "Ratio", f"At or below {p.threshold:.0%}"],
        [
            [
                run.label,
                f"{run.start}-{run.end}: {', '.join(run.interview_ids)}",
                str(run.new_codes),
                _percent(run.ratio),
                "yes" if run.meets_threshold else "no",
            ]
            for run in result.guest.runs
        ],
        ["reached" if run.meets_threshold else "" for run in result.guest.runs],
    )
    interviews = _table(
        ["#", "Interview", "Units", "Codes", "New codes", "Cumulative"],
        [
            [
                str(row.position),
                row.interview_id,
                str(row.units),
                str(row.codes),
                str(row.new_codes),
                str(row.cumulative_codes),
            ]
            for row in result.interviews
        ],
    )
    chao_text = (
        f"Observed {chao.observed} codes over {chao.sampling_units} interviews "
        f"({chao.q1} in exactly one, {chao.q2} in exactly two). Chao2 estimate "
        f"{_number(chao.estimate)} (standard error {_number(chao.std_error)}, "
        f"{chao.confidence:.0%} CI {_number(chao.ci_low)}-{_number(chao.ci_high)}); "
        f"{_percent(chao.share_observed)} of the estimated codes were observed."
    )
    parts = [
        '<div class="autocode-saturation">',
        f"<p>{escape(saturation_summary(result, order=order))}</p>",
        f'<figure><img src="data:image/png;base64,{image}" alt="Code accumulation curve and '
        f'new-information ratio of each run ({escape(result.saturation_label)})">'
        f"<figcaption>Cumulative distinct codes in the given order, with the median and 5-95% "
        f"band over {result.bootstrap.n_permutations} random orders; below, the new-information "
        f"ratio of each run.</figcaption></figure>",
        f"<{sub}>Runs (Guest, Namey &amp; Chen 2020)</{sub}>",
        runs,
        f"<{sub}>Interviews</{sub}>",
        interviews,
        f"<{sub}>Estimated number of codes (Chao2)</{sub}>",
        f"<p>{escape(chao_text)}</p>",
    ]
    if verdict:
        parts += [f"<{sub}>Verdict</{sub}>", f"<p>{escape(verdict)}</p>"]
    parts.append("</div>")
    return "\n".join(parts) + "\n"


def saturation_section(
    result: SaturationResult,
    png: bytes | str | Path,
    *,
    title: str = "Saturation",
    heading_level: int = 2,
    **options: str | None,
) -> str:
    """An HTML `<section id="saturation">` with a title and `saturation_fragment` (same options)."""
    h = f"h{heading_level}"
    body = saturation_fragment(result, png, heading_level=heading_level + 1, **options)
    return (
        f'<section class="autocode-saturation" id="saturation">\n<{h}>{escape(title)}</{h}>\n'
        f"{body}</section>\n"
    )


def saturation_report_section(
    result: SaturationResult,
    png: bytes | str | Path,
    *,
    title: str = "Saturation",
    **options: str | None,
) -> ReportSection:
    """The section for `autocode.report.html.render_report(extra_sections=...)`."""
    from autocode.report.html import ReportSection

    return ReportSection(title, saturation_fragment(result, png, **options), "saturation")


def saturation_page(
    result: SaturationResult,
    png: bytes | str | Path,
    *,
    title: str = "Saturation",
    **options: str | None,
) -> str:
    """A standalone HTML page holding `saturation_section` (options as `saturation_fragment`)."""
    section = saturation_section(result, png, title=title, heading_level=1, **options)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"{section}</body>\n</html>\n"
    )
