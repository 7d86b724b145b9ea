"""Reader for HTML transcripts, noScribe's native format above all.

noScribe wraps each segment in `<a name="ts_<start ms>_<end ms>_<speaker>">`; those anchors
give each turn a timestamp to the millisecond. The visible text is laid out as paragraphs
("\\n\\n" between blocks, "\\n" for <br>) and parsed for speaker labels like a .txt file.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import replace
from pathlib import Path

import lxml.html
from lxml import etree

from autocode.io.decode import read_text
from autocode.io.documents import opening
from autocode.io.noscribe import noscribe_header
from autocode.io.source import make_transcript
from autocode.io.turns import parse_turns
from autocode.types import Transcript

_BLOCKS = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "blockquote",
        "pre",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "nav",
        "aside",
        "figure",
        "figcaption",
        "hr",
        "address",
    ]
)
_SKIPPED = frozenset(["head", "script", "style", "title", "noscript", "template"])
_ANCHOR = re.compile(r"ts_(\d+)_(\d+)_")
_SPACES = re.compile(r"\s+")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


class _Layout:
    """Builds the visible text and remembers where each timestamp anchor starts."""

    def __init__(self) -> None:
        self.text = ""
        self.anchors: list[tuple[int, float]] = []  # (offset, seconds)

    def add(self, fragment: str) -> None:
        fragment = _SPACES.sub(" ", fragment)
        if not self.text or self.text.endswith("\n"):
            fragment = fragment.lstrip(" ")
        self.text += fragment

    def line_break(self) -> None:
        self._trim_end()
        self.text += "\n"

    def block_break(self) -> None:
        self._trim_end()
        if self.text and not self.text.endswith("\n\n"):
            self.text += "\n" if self.text.endswith("\n") else "\n\n"

    def anchor(self, seconds: float) -> None:
        self.anchors.append((len(self.text), seconds))

    def _trim_end(self) -> None:
        self.text = self.text.rstrip(" ")
        self.anchors = [(min(offset, len(self.text)), s) for offset, s in self.anchors]


def read(path: Path) -> Transcript:
    """Read an .html transcript; noScribe anchors give the turns their timestamps."""
    source, encoding = read_text(path)
    with opening(path, "HTML file"):
        root = lxml.html.document_fromstring(_XML_DECLARATION.sub("", source, count=1))
    layout = _Layout()
    body = root.find("body")
    _walk(body if body is not None else root, layout)
    text = layout.text.rstrip()
    header = noscribe_header(text)
    parsed = parse_turns(text, header.body_start if header else 0)
    turns = parsed.turns
    if layout.anchors:
        offsets = [offset for offset, _ in layout.anchors]
        turns = [
            replace(turn, timestamp=layout.anchors[index - 1][1])
            if (index := bisect.bisect_right(offsets, turn.start))
            else turn
            for turn in turns
        ]
    metadata = dict(header.metadata) if header else {}
    title = root.findtext(".//title")
    if title and title.strip():
        metadata["title"] = title.strip()
    return make_transcript(
        path,
        "html",
        text,
        turns,
        encoding=encoding,
        speaker_aliases=parsed.speaker_aliases,
        **metadata,
    )


def _walk(element: etree._Element, layout: _Layout) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _SKIPPED:
        return
    if tag in _BLOCKS:
        layout.block_break()
    elif tag == "br":
        layout.line_break()
    elif tag == "a":
        stamp = _ANCHOR.match(element.get("name") or element.get("id") or "")
        if stamp:
            layout.anchor(int(stamp.group(1)) / 1000)
    if tag:  # comments and processing instructions have no visible text
        layout.add(element.text or "")
    for child in element:
        _walk(child, layout)
        layout.add(child.tail or "")
    if tag in _BLOCKS:
        layout.block_break()
