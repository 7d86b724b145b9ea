"""Reader for OpenDocument text (.odt): paragraphs, headings and table rows of content.xml."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from autocode.errors import InputError
from autocode.io.archive_guard import ArchiveBudget
from autocode.io.documents import document_transcript, opening, table_row_line
from autocode.io.safe_xml import parse_xml
from autocode.types import Transcript

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_DC = "http://purl.org/dc/elements/1.1/"
_MAX_SPACES = 1000  # a text:s element's repeat count, as far as it is honoured
_PARAGRAPHS = {f"{{{_TEXT}}}p", f"{{{_TEXT}}}h"}
_ROW = f"{{{_TABLE}}}table-row"
_CELL = f"{{{_TABLE}}}table-cell"
# Footnotes, comments and tracked deletions are not what was said.
_SKIPPED = {
    f"{{{_TEXT}}}note",
    f"{{{_OFFICE}}}annotation",
    f"{{{_TEXT}}}tracked-changes",
    f"{{{_TEXT}}}sequence-decls",
}


def read(path: Path) -> Transcript:
    """Read an .odt transcript; paragraphs are joined with "\\n", then labels become turns."""
    kind = "OpenDocument .odt file"
    with opening(path, kind), ArchiveBudget(path).open_archive(path, kind=kind) as archive:
        if "content.xml" not in archive.names:
            raise InputError(path, f"is not a valid {kind} (no content.xml)")
        content = parse_xml(
            archive.read("content.xml"), path, f"is not a valid {kind}: content.xml"
        )
        meta = (
            parse_xml(archive.read("meta.xml"), path, f"is not a valid {kind}: meta.xml")
            if "meta.xml" in archive.names
            else None
        )
        body = content.find(f"{{{_OFFICE}}}body")
        lines = _lines(body if body is not None else content)
    return document_transcript(
        path, "odt", lines, title=_meta(meta, "title"), language=_meta(meta, "language")
    )


def _lines(element: etree._Element) -> list[str]:
    lines: list[str] = []
    for child in element:
        if child.tag in _SKIPPED:
            continue
        if child.tag in _PARAGRAPHS:
            lines.append(_inline_text(child))
        elif child.tag == _ROW:
            cells = [c for c in child if c.tag == _CELL]
            lines.append(table_row_line(["\n".join(_lines(cell)) for cell in cells]))
        else:
            lines.extend(_lines(child))
    return lines


def _inline_text(element: etree._Element) -> str:
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == f"{{{_TEXT}}}s":
            parts.append(" " * min(int(child.get(f"{{{_TEXT}}}c", "1")), _MAX_SPACES))
        elif tag == f"{{{_TEXT}}}tab":
            parts.append("\t")
        elif tag == f"{{{_TEXT}}}line-break":
            parts.append("\n")
        elif tag not in _SKIPPED:
            parts.append(_inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _meta(meta: etree._Element | None, name: str) -> str | None:
    if meta is None:
        return None
    found = meta.find(f".//{{{_DC}}}{name}")
    return found.text.strip() if found is not None and found.text and found.text.strip() else None
