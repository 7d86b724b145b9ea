"""Reader for OpenDocument text (.odt): paragraphs, headings and table rows of content.xml."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree

from autocode.errors import InputError
from autocode.io.decode import read_bytes
from autocode.io.documents import document_transcript, opening, table_row_line
from autocode.types import Transcript

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_DC = "http://purl.org/dc/elements/1.1/"
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
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def read(path: Path) -> Transcript:
    """Read an .odt transcript; paragraphs are joined with "\\n", then labels become turns."""
    data = read_bytes(path)
    with opening(path, "OpenDocument .odt file"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "content.xml" not in names:
                raise InputError(path, "is not a valid OpenDocument .odt file (no content.xml)")
            content = etree.fromstring(archive.read("content.xml"), _PARSER)
            meta = (
                etree.fromstring(archive.read("meta.xml"), _PARSER) if "meta.xml" in names else None
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
            parts.append(" " * int(child.get(f"{{{_TEXT}}}c", "1")))
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
