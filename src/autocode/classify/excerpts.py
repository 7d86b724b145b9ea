"""The hand-coded excerpts a saved model carries: what it learned from and shows as evidence.

A model folder holds them in `excerpts.json` (a JSON list of objects), so suggestions can show
the nearest human-coded excerpts without the corpus or project the model was trained on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autocode.errors import InputError

FIELDS = ("excerpt_id", "text", "source", "participant", "codes")


@dataclass(frozen=True)
class ModelExcerpt:
    """One hand-coded excerpt: its text, where it comes from, who said it, its codes."""

    excerpt_id: str
    text: str
    source: str
    participant: str
    codes: tuple[str, ...]


def excerpts_to_rows(excerpts: Iterable[ModelExcerpt]) -> list[dict[str, Any]]:
    return [{**asdict(excerpt), "codes": list(excerpt.codes)} for excerpt in excerpts]


def excerpts_from_rows(rows: object, path: Path, code_ids: Sequence[str]) -> list[ModelExcerpt]:
    """Validated excerpts from parsed JSON; InputError naming the entry at the first problem."""
    if not isinstance(rows, list):
        raise InputError(path, "must be a JSON list of excerpts")
    known = set(code_ids)
    excerpts = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or set(row) != set(FIELDS):
            raise InputError(path, f"excerpt {number}: needs the fields {', '.join(FIELDS)}")
        codes = row["codes"]
        strings = [row[name] for name in FIELDS if name != "codes"]
        if not all(isinstance(value, str) for value in strings) or not (
            isinstance(codes, list) and all(isinstance(code, str) for code in codes)
        ):
            raise InputError(path, f"excerpt {number}: fields must be text, codes a list of text")
        unknown = sorted(set(codes) - known)
        if unknown:
            raise InputError(path, f"excerpt {number}: unknown code(s) {', '.join(unknown)}")
        excerpts.append(
            ModelExcerpt(
                row["excerpt_id"], row["text"], row["source"], row["participant"], tuple(codes)
            )
        )
    return excerpts
