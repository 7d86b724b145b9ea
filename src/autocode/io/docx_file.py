"""Reader for Word transcripts (.docx): body paragraphs and table rows, in document order."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import docx
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from autocode.io.archive_guard import ArchiveBudget, check_for_library
from autocode.io.documents import document_transcript, opening, table_row_line
from autocode.types import Transcript


def read(path: Path) -> Transcript:
    """Read a .docx transcript; paragraphs are joined with "\\n", then labels become turns."""
    kind = "Word .docx file"
    check_for_library(path, ArchiveBudget(path), kind)
    with opening(path, kind):
        document = docx.Document(str(path))
        lines = _lines(document.iter_inner_content())
        title, language = document.core_properties.title, document.core_properties.language
    return document_transcript(path, "docx", lines, title=title or None, language=language or None)


def _lines(blocks: Iterable[Paragraph | Table]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            lines.append(block.text)
        else:
            lines.extend(
                table_row_line([_cell_text(cell) for cell in _unique(row.cells)])
                for row in block.rows
            )
    return lines


def _unique(cells: Iterable[_Cell]) -> list[_Cell]:
    """A cell spanning several grid columns is listed once per column: keep it once."""
    kept: list[_Cell] = []
    for cell in cells:
        if not any(cell._tc is other._tc for other in kept):
            kept.append(cell)
    return kept


def _cell_text(cell: _Cell) -> str:
    return "\n".join(paragraph.text for paragraph in cell.paragraphs)
