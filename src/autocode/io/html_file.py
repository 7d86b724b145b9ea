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

from lxml import etree

from autocode.io.decode import read_text
from autocode.io.documents import opening
from autocode.io.noscribe import noscribe_header
from autocode.io.safe_xml import parse_html
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
        self._parts: list[str] = []
        self._length = 0
        self.anchors: list[tuple[int, float]] = []  # (offset, seconds)

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def add(self, fragment: str) -> None:
        fragment = _SPACES.sub(" ", fragment)
        if self._at_line_start():
            fragment = fragment.lstrip(" ")
        self._append(fragment)

    def line_break(self) -> None:
        self._trim_end()
        self._append("\n")

    def block_break(self) -> None:
        self._trim_end()
        if self._length and not self._ends_with("\n\n"):
            self._append("\n" if self._ends_with("\n") else "\n\n")

    def anchor(self, seconds: float) -> None:
        self.anchors.append((self._length, seconds))

    def _append(self, fragment: str) -> None:
        if fragment:
            self._parts.append(fragment)
            self._length += len(fragment)

    def _at_line_start(self) -> bool:
        return not self._length or self._ends_with("\n")

    def _ends_with(self, suffix: str) -> bool:
        return "".join(self._parts[-len(suffix) :]).endswith(suffix)

    def _trim_end(self) -> None:
        while self._parts and self._parts[-1].endswith(" "):
            trimmed = self._parts[-1].rstrip(" ")
            self._length -= len(self._parts[-1]) - len(trimmed)
            if trimmed:
                self._parts[-1] = trimmed
                break
            self._parts.pop()
        index = len(self.anchors) - 1
        while index >= 0 and self.anchors[index][0] > self._length:
            self.anchors[index] = (self._length, self.anchors[index][1])
            index -= 1


def read(path: Path) -> Transcript:
    """Read an .html transcript; noScribe anchors give the turns their timestamps."""
    source, encoding = read_text(path)
    with opening(path, "HTML file"):
        root = parse_html(_XML_DECLARATION.sub("", source, count=1), path)
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
