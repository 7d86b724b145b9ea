"""Where the codes of a saturation analysis come from: the three kinds of input, as InterviewCodes.

- Human codings in a coded CSV (`codes_from_csv`): one row per coded unit and code (long
  format), or one row per unit with its codes joined by ";" in one cell; both can be mixed.
  Rows can be filtered first (`where`, e.g. `{"role": {"codings"}, "coder": {"PO"}}`), which is
  how one picks a single coder, or the moderated coding, out of a table that holds several.
- Candidate codes (`codes_from_unit_labels` with cluster labels): each unit carries the code of
  its cluster; outliers (-1) carry no code.
- Themes predicted by the classifier (`codes_from_unit_themes` with its 0/1 decisions): each
  unit carries every theme decided for it.

In all three, the count of a code in an interview is the number of its units that carry the code,
so the frequency thresholds of `InterviewCodes.incidence` apply alike. The interview order is the
order the analysis walks; `ordered_ids` puts interview ids in order: as given, by name (natural
order, so "P2" comes before "P10"), by date, or by an explicit list (`read_order_file`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autocode.corpus import read_csv_strict
from autocode.errors import InputError
from autocode.saturation.codes import InterviewCodes, SaturationInputError
from autocode.types import Unit

ORDER_BY = ("given", "name", "date")
CODE_SEPARATOR = ";"
_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[Any, ...]:
    """Sort key that compares digit runs as numbers: "P2" < "P10", "Interview_9" < "_10"."""
    parts = _DIGITS.split(name.casefold())
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts))


def ordered_ids(
    ids: Sequence[str],
    *,
    order_by: str = "given",
    order: Sequence[str] | None = None,
    dates: Mapping[str, Any] | None = None,
) -> list[str]:
    """`ids` in analysis order: an explicit `order` wins; else as given, by name or by `dates`.

    Raises SaturationInputError when `order` does not list every id exactly once, or when
    ordering by date and an id has no readable date.
    """
    if order_by not in ORDER_BY:
        raise SaturationInputError(f"order must be one of {', '.join(ORDER_BY)}, got {order_by!r}")
    if order is None and order_by == "name":
        order = sorted(ids, key=natural_key)
    if order is None and order_by == "date":
        if dates is None:
            raise SaturationInputError("ordering by date needs a date for every interview")
        return list(InterviewCodes.from_mapping({i: [] for i in ids}, dates=dates).interview_ids)
    # from_mapping checks that the order names every interview once, with a clear message.
    return list(InterviewCodes.from_mapping({i: [] for i in ids}, order=order).interview_ids)


def read_order_file(path: str | Path) -> list[str]:
    """Interview ids, one per line; blank lines and lines starting with "#" are ignored."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text") from None
    ids = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not ids:
        raise InputError(path, "lists no interview id (one id per line)")
    return ids


def parse_where(conditions: Sequence[str]) -> dict[str, set[str]]:
    """`["role=codings", "coder=PO", "coder=Rached"]` -> `{"role": {...}, "coder": {...}}`.

    Conditions on one column are alternatives (OR); conditions on different columns all hold
    (AND). Values are compared as text, after trimming spaces.
    """
    parsed: dict[str, set[str]] = {}
    for condition in conditions:
        column, equals, value = condition.partition("=")
        if not equals or not column.strip():
            raise SaturationInputError(
                f"--where {condition!r}: write it as COLUMN=VALUE, e.g. role=codings"
            )
        parsed.setdefault(column.strip(), set()).add(value.strip())
    return parsed


def codes_from_csv(
    path: str | Path,
    *,
    interview_column: str,
    code_column: str,
    count_column: str | None = None,
    date_column: str | None = None,
    where: Mapping[str, set[str]] | None = None,
    order_by: str = "given",
    order: Sequence[str] | None = None,
    separator: str = CODE_SEPARATOR,
) -> InterviewCodes:
    """Human codings of a coded CSV as InterviewCodes (the module docstring has the formats).

    A code cell may hold several codes joined by `separator`; each is one unit of that code, or
    `count_column` units. A row without a code keeps its interview (an interview nobody coded
    anything in still counts as an interview). `order_by="given"` keeps the order of first
    appearance, "name" sorts ids naturally, "date" uses the earliest `date_column` value of each
    interview; `order` lists the ids explicitly. Every problem is an InputError naming the file.
    """
    path = Path(path)
    wanted = [interview_column, code_column, count_column, date_column, *(where or {})]
    columns = tuple(dict.fromkeys(c for c in wanted if c is not None))
    frame = read_csv_strict(path, columns)
    try:
        frame = _filtered(frame, where or {})
        long = _one_code_per_row(frame, code_column, separator)
        data = InterviewCodes.from_long(
            long, interview=interview_column, code=code_column, count=count_column
        )
        dates = None
        if order_by == "date" and order is None:
            if date_column is None:
                raise SaturationInputError("ordering by date needs --date-column")
            dates = _earliest_dates(long, interview_column, date_column)
        return data.reordered(
            ordered_ids(data.interview_ids, order_by=order_by, order=order, dates=dates)
        )
    except SaturationInputError as error:
        raise InputError(path, str(error)) from None


def _filtered(frame: pd.DataFrame, where: Mapping[str, set[str]]) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    for column, values in where.items():
        keep &= frame[column].str.strip().isin(values).to_numpy()
    if where and not keep.any():
        shown = "; ".join(f"{c} in {sorted(v)}" for c, v in where.items())
        raise SaturationInputError(f"no row matches the filter ({shown})")
    return frame[keep].reset_index(drop=True)


def _one_code_per_row(frame: pd.DataFrame, code_column: str, separator: str) -> pd.DataFrame:
    """Split joined code cells into one row per code; rows without a code keep one empty code."""
    split = frame[code_column].map(
        lambda cell: [c.strip() for c in str(cell).split(separator) if c.strip()] or [""]
    )
    return frame.assign(**{code_column: split}).explode(code_column, ignore_index=True)


def _earliest_dates(frame: pd.DataFrame, interview: str, date: str) -> dict[str, Any]:
    cells = frame[date].where(frame[date].str.strip() != "")
    parsed = pd.to_datetime(cells, format="mixed", errors="coerce")
    return parsed.groupby(frame[interview].astype(str), sort=False).min().to_dict()


def codes_from_unit_codes(
    interview_ids: Sequence[str],
    units: Sequence[Sequence[Unit]],
    unit_codes: Sequence[Sequence[str]],
) -> InterviewCodes:
    """InterviewCodes from the codes of each unit; `unit_codes` runs over all units in order.

    `units[i]` are the units of interview `interview_ids[i]`; an interview without units (or
    whose units carry no code) stays in, contributing no code.
    """
    total = sum(len(u) for u in units)
    if len(interview_ids) != len(units) or total != len(unit_codes):
        raise ValueError(
            f"{len(interview_ids)} interviews, {len(units)} unit lists, {total} units and "
            f"{len(unit_codes)} unit code lists do not line up"
        )
    per_interview: dict[str, list[str]] = {}
    position = 0
    for interview, interview_units in zip(interview_ids, units, strict=True):
        codes = per_interview.setdefault(str(interview), [])
        for _ in interview_units:
            codes.extend(unit_codes[position])
            position += 1
    return InterviewCodes.from_mapping(per_interview)


def codes_from_unit_labels(
    interview_ids: Sequence[str],
    units: Sequence[Sequence[Unit]],
    labels: Sequence[int] | np.ndarray,
    code_ids: Sequence[str],
) -> InterviewCodes:
    """Candidate codes: unit i is in code `code_ids[labels[i]]`, or in none when the label is -1."""
    labels = np.asarray(labels, dtype=int)
    if labels.size and (labels.min() < -1 or labels.max() >= len(code_ids)):
        raise ValueError(f"cluster labels must lie in -1..{len(code_ids) - 1}")
    unit_codes = [[code_ids[label]] if label >= 0 else [] for label in labels.tolist()]
    return codes_from_unit_codes(interview_ids, units, unit_codes)


def codes_from_unit_themes(
    interview_ids: Sequence[str], units: Sequence[Sequence[Unit]], decided: pd.DataFrame
) -> InterviewCodes:
    """Themes: `decided` is the classifier's 0/1 frame, one row per unit, one column per theme."""
    values = decided.to_numpy() != 0
    themes = [str(c) for c in decided.columns]
    unit_codes = [[t for t, on in zip(themes, row, strict=True) if on] for row in values]
    return codes_from_unit_codes(interview_ids, units, unit_codes)
