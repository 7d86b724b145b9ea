"""Inline style, script and theme colours of the HTML report (no file or URL is ever linked)."""

from __future__ import annotations

import colorsys
from collections.abc import Sequence

# Okabe-Ito and Tableau hues, distinguishable by most colour-blind readers in the first eight.
BASE_COLOURS = (
    "#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2",
    "#D55E00", "#F0E442", "#8C564B", "#7F7F7F", "#17BECF",
)  # fmt: skip
HIGHLIGHT_WHITE_SHARE = 0.55  # highlights are the theme colour mixed with this much white


def theme_colours(count: int, given: Sequence[str | None] = ()) -> list[str]:
    """`count` "#RRGGBB" colours: the codebook's where given, else the palette, then generated."""
    colours = []
    for j in range(count):
        chosen = given[j] if j < len(given) else None
        if chosen and len(chosen) == 7 and chosen.startswith("#"):
            colours.append(chosen.upper())
        elif j < len(BASE_COLOURS):
            colours.append(BASE_COLOURS[j])
        else:
            hue = (j * 0.618033988749895) % 1.0
            r, g, b = colorsys.hls_to_rgb(hue, 0.45, 0.65)
            colours.append(f"#{round(r * 255):02X}{round(g * 255):02X}{round(b * 255):02X}")
    return colours


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def highlight(colour: str) -> str:
    """The light background a unit of this theme gets (solid, so screenshots can find it)."""
    mixed = (round(c + (255 - c) * HIGHLIGHT_WHITE_SHARE) for c in rgb(colour))
    return "#" + "".join(f"{c:02X}" for c in mixed)


def theme_css(colours: Sequence[str]) -> str:
    """Classes t<j> (background of the most probable theme) and s<j> (underline of the second)."""
    lines = []
    for j, colour in enumerate(colours):
        lines.append(f".t{j} {{ background: {highlight(colour)}; }}")
        lines.append(f".s{j} {{ box-shadow: inset 0 -3px 0 {colour}; }}")
        lines.append(f".hide-t{j} .t{j} {{ background: transparent; }}")
        lines.append(f".chip.c{j} {{ background: {colour}; }}")
    return "\n".join(lines)


STYLE = """
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       margin: 0; line-height: 1.5; background: #fafafa; }
header.top { background: #24303f; color: #fff; padding: 1rem 2rem; }
header.top h1 { margin: 0 0 0.25rem; font-size: 1.5rem; }
header.top p { margin: 0; color: #d6dde6; }
nav.sections { background: #e9edf2; padding: 0.4rem 2rem; position: sticky; top: 0; z-index: 2;
       border-bottom: 1px solid #cfd6de; }
nav.sections a { margin-right: 1.1rem; color: #24303f; text-decoration: none; font-weight: 600; }
main { max-width: 78rem; margin: 0 auto; padding: 0 2rem 4rem; }
h2 { border-bottom: 2px solid #24303f; padding-bottom: 0.2rem; margin-top: 2.2rem; }
.legend { display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; margin: 0.6rem 0 1rem; }
.legend label { cursor: pointer; user-select: none; }
.chip { display: inline-block; width: 0.9rem; height: 0.9rem; border-radius: 0.2rem;
        vertical-align: -0.1rem; margin-right: 0.3rem; border: 1px solid rgba(0, 0, 0, 0.25); }
.chip.none { background: #fff; border-style: dashed; }
.muted { color: #6b7280; }
.small { font-size: 0.85rem; }
details.transcript { background: #fff; border: 1px solid #d8dde3; border-radius: 0.4rem;
        margin: 0.8rem 0; padding: 0.4rem 1rem; }
details.transcript > summary { font-weight: 600; cursor: pointer; padding: 0.3rem 0; }
.turn { margin: 0.35rem 0; white-space: pre-wrap; }
.turn .speaker { font-weight: 700; margin-right: 0.4rem; white-space: normal; }
.turn.coded .speaker { color: #0b4f8a; }
.turn.other { color: #6b7280; }
mark.unit { color: inherit; border-radius: 0.2rem; padding: 0.05rem 0.1rem; cursor: help; }
mark.unit.none { background: transparent; border-bottom: 1px dashed #9aa3ad; }
mark.unit:target, mark.unit.selected { outline: 2px solid #24303f; }
a.code-tag { font-size: 0.7rem; vertical-align: super; color: #24303f; text-decoration: none;
        margin: 0 0.15rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; background: #fff; }
th, td { border: 1px solid #d0d6dd; padding: 0.3rem 0.55rem; text-align: left;
         vertical-align: top; }
th { background: #eef1f5; }
table.codes { width: 100%; }
table.codes td:nth-child(2) { width: 15rem; }
table.codes td:last-child { width: 45%; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
blockquote { margin: 0.25rem 0; padding: 0.1rem 0.6rem; border-left: 3px solid #c3cad3;
        color: #374151; }
.badge { display: inline-block; padding: 0.05rem 0.45rem; border-radius: 0.7rem;
        font-size: 0.8rem; font-weight: 600; }
.badge.new { background: #fde68a; color: #6b4b00; border: 1px solid #d9b44a; }
ol.outliers li { margin: 0.2rem 0; }
tr.group-row th { background: #dfe6ee; text-align: left; }
details.group { margin: 0.3rem 0; }
details.group > summary { cursor: pointer; }
details.group ul { margin: 0.2rem 0 0.5rem; }
#panel { position: fixed; right: 1rem; bottom: 1rem; width: 28rem; max-height: 50vh;
        overflow: auto; background: #fff; border: 1px solid #9aa3ad; border-radius: 0.4rem;
        padding: 0.6rem 0.8rem; box-shadow: 0 4px 16px rgba(0, 0, 0, 0.2); white-space: pre-wrap;
        font-size: 0.85rem; display: none; z-index: 3; }
#panel.open { display: block; }
#panel button { float: right; }
"""

SCRIPT = """
(function () {
  var body = document.body;
  document.querySelectorAll('.legend input[data-theme]').forEach(function (box) {
    box.addEventListener('change', function () {
      body.classList.toggle('hide-t' + box.dataset.theme, !box.checked);
    });
  });
  var panel = document.getElementById('panel');
  var text = document.getElementById('panel-text');
  var selected = null;
  document.querySelectorAll('mark.unit').forEach(function (mark) {
    mark.addEventListener('click', function () {
      if (selected) { selected.classList.remove('selected'); }
      selected = mark;
      mark.classList.add('selected');
      text.textContent = mark.getAttribute('title');
      panel.classList.add('open');
    });
  });
  document.getElementById('panel-close').addEventListener('click', function () {
    panel.classList.remove('open');
    if (selected) { selected.classList.remove('selected'); }
  });
})();
"""
