"""The items where coders disagree on a code, with their text, for a team to discuss them.

At character level, neighbouring runs of characters with the same disagreement are one passage.
CSV columns: code, code_name, transcript, start, end, group, coded_by, not_coded_by, text (coders
separated by "; "). Text is the transcript's text at the offsets (a whole transcript, at document
level, is cut to `DOCUMENT_TEXT` characters).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autocode.agreement.items import CoderItems
from autocode.files import write_text_atomic
from autocode.store import Project

DOCUMENT_TEXT = 400
CSV_COLUMNS = (
    "code", "code_name", "transcript", "start", "end", "group", "coded_by", "not_coded_by", "text",
)  # fmt: skip


@dataclass(frozen=True)
class Disagreement:
    code: str
    transcript: str
    start: int
    end: int
    group: str
    coded_by: tuple[str, ...]
    not_coded_by: tuple[str, ...]
    text: str


def find_disagreements(project: Project, items: CoderItems) -> list[Disagreement]:
    """Every (item, code) where some coder who coded the item gave the code and another did not;
    by code (in the items' code order), then transcript order."""
    texts = {tid: project.get_transcript(tid).text for tid in dict.fromkeys(items.sources)}
    coders = np.array(items.coders, dtype=object)
    found: list[Disagreement] = []
    for k, code in enumerate(items.code_ids):
        given = items.values[:, :, k] == 1
        yes = (given & items.covered).any(axis=0)
        no = (~given & items.covered).any(axis=0)
        previous: Disagreement | None = None
        for i in np.flatnonzero(yes & no):
            start, end = items.spans[i]
            coded_by = tuple(coders[given[:, i] & items.covered[:, i]])
            not_coded_by = tuple(coders[~given[:, i] & items.covered[:, i]])
            source = items.sources[i]
            if (
                previous is not None
                and items.level == "character"
                and previous.transcript == source
                and previous.end == start
                and (previous.coded_by, previous.not_coded_by) == (coded_by, not_coded_by)
            ):
                previous = Disagreement(
                    code, source, previous.start, end, previous.group, coded_by,
                    not_coded_by, texts[source][previous.start : end],
                )  # fmt: skip
                found[-1] = previous
                continue
            text = texts[source][start:end]
            if items.level == "document" and len(text) > DOCUMENT_TEXT:
                text = text[: DOCUMENT_TEXT - 1] + "…"
            previous = Disagreement(
                code, source, start, end, items.groups[i], coded_by, not_coded_by, text
            )
            found.append(previous)
    return found


def disagreements_csv(rows: list[Disagreement], code_names: dict[str, str]) -> str:
    """The disagreements as CSV text (module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.code,
                code_names.get(row.code, row.code),
                row.transcript,
                row.start,
                row.end,
                row.group,
                "; ".join(row.coded_by),
                "; ".join(row.not_coded_by),
                row.text,
            ]
        )
    return out.getvalue()


def write_disagreements_csv(
    path: str | Path, rows: list[Disagreement], code_names: dict[str, str]
) -> None:
    write_text_atomic(Path(path), disagreements_csv(rows, code_names))
