"""Which codes were found in which interview, and in how many units: the input of saturation.

`InterviewCodes` is an ordered table interview x code of unit counts (how many meaning units of
the interview carry the code). Counts, not just presence, so that a frequency threshold can decide
when a code "counts" (`InterviewCodes.incidence`). The order of the interviews is the order in
which they were conducted or analysed; it is what the accumulation curve and Guest et al.'s runs
walk along. Interviews without any code are kept: they add nothing new, but they are interviews.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from autocode.errors import AutocodeError

COUNT_COLUMNS = ("count", "units")


class SaturationInputError(AutocodeError, ValueError):
    """Coded data that saturation analysis cannot use; `str(error)` is one line for the CLI."""


@dataclass(frozen=True, eq=False)
class Incidence:
    """Presence of codes in interviews after frequency thresholds (`InterviewCodes.incidence`).

    `present[i, j]` is True when code `code_ids[j]` counts as present in interview
    `interview_ids[i]`. Only codes present somewhere are columns; `dropped_code_ids` are the
    codes the thresholds removed everywhere.
    """

    interview_ids: tuple[str, ...]
    code_ids: tuple[str, ...]
    present: np.ndarray
    dropped_code_ids: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class InterviewCodes:
    """Unit counts per interview (rows, in interview order) and code (columns)."""

    interview_ids: tuple[str, ...]
    code_ids: tuple[str, ...]
    counts: np.ndarray

    def __post_init__(self) -> None:
        interview_ids = tuple(str(i) for i in self.interview_ids)
        code_ids = tuple(str(c) for c in self.code_ids)
        for kind, ids in (("interview", interview_ids), ("code", code_ids)):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                raise SaturationInputError(f"{kind} ids are not unique: {_names(repeated)}")
        counts = _as_unit_counts(self.counts, "counts")
        if counts.shape != (len(interview_ids), len(code_ids)):
            raise SaturationInputError(
                f"counts has shape {counts.shape}, expected "
                f"({len(interview_ids)} interviews, {len(code_ids)} codes)"
            )
        counts.flags.writeable = False
        object.__setattr__(self, "interview_ids", interview_ids)
        object.__setattr__(self, "code_ids", code_ids)
        object.__setattr__(self, "counts", counts)

    # constructors

    @classmethod
    def from_mapping(
        cls,
        mapping: Mapping[Any, Mapping[Any, int] | Iterable[Any]],
        *,
        order: Sequence[Any] | None = None,
        dates: Mapping[Any, Any] | None = None,
    ) -> InterviewCodes:
        """From `{interview_id: {code_id: units}}` in the mapping's order.

        A value may also be a plain collection of code ids, each occurrence one unit.
        `order` (every interview id once) or `dates` (`{interview_id: date}`) reorder them.
        """
        per_interview: dict[str, dict[str, int]] = {}
        for interview, codes in mapping.items():
            if isinstance(codes, Mapping):
                items = [(str(code), units) for code, units in codes.items()]
            else:
                items = [(str(code), 1) for code in codes]
            row = per_interview.setdefault(str(interview), {})
            for code, units in items:
                row[code] = row.get(code, 0) + _unit_count(units, f"interview {interview}")
        return cls._from_rows(per_interview, order=order, dates=dates)

    @classmethod
    def from_long(
        cls,
        frame: pd.DataFrame,
        *,
        interview: str = "interview",
        code: str = "code",
        count: str | None = None,
        date: str | None = None,
        order: Sequence[Any] | None = None,
    ) -> InterviewCodes:
        """From a long table, one row per (interview, code) or per coded unit.

        `count` names the column of unit counts; by default a column called "count" or "units"
        is used when there is one, otherwise every row is one unit. A row with an empty code
        keeps its interview (with no code). Interviews come in order of first appearance, or by
        the earliest date in column `date`, or as listed in `order`.
        """
        if count is None:
            count = next((c for c in COUNT_COLUMNS if c in frame.columns), None)
        wanted = [c for c in (interview, code, count, date) if c is not None]
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise SaturationInputError(
                f"missing column(s) {_names(missing)}; the table has {_names(list(frame.columns))}"
            )
        per_interview: dict[str, dict[str, int]] = {}
        first_dates: dict[str, list[Any]] = {}
        for row_number, row in enumerate(frame.itertuples(index=False), start=1):
            values = dict(zip(frame.columns, row, strict=True))
            interview_id = values[interview]
            if _is_blank(interview_id):
                raise SaturationInputError(f"data row {row_number}: no {interview!r} value")
            codes = per_interview.setdefault(str(interview_id), {})
            if date is not None and not _is_blank(values[date]):
                first_dates.setdefault(str(interview_id), []).append(values[date])
            if _is_blank(values[code]):
                continue
            units = 1 if count is None else _unit_count(values[count], f"data row {row_number}")
            codes[str(values[code])] = codes.get(str(values[code]), 0) + units
        dates = None
        if date is not None:
            dates = {i: _parse_dates(d).min() for i, d in first_dates.items()}
        return cls._from_rows(per_interview, order=order, dates=dates)

    @classmethod
    def from_matrix(
        cls,
        matrix: pd.DataFrame | np.ndarray,
        *,
        interview_ids: Sequence[Any] | None = None,
        code_ids: Sequence[Any] | None = None,
        order: Sequence[Any] | None = None,
        dates: Mapping[Any, Any] | None = None,
    ) -> InterviewCodes:
        """From an interview x code matrix of 0/1 presence or unit counts (missing = 0).

        A DataFrame supplies its index and columns as ids; for an array pass them, or they
        default to "1".."n" and "code_1".."code_k".
        """
        if isinstance(matrix, pd.DataFrame):
            interview_ids = list(matrix.index) if interview_ids is None else interview_ids
            code_ids = list(matrix.columns) if code_ids is None else code_ids
            values = matrix.to_numpy()
        else:
            values = np.asarray(matrix)
        if values.ndim != 2:
            raise SaturationInputError(f"the matrix must be 2-D, got {values.ndim}-D")
        if interview_ids is None:
            interview_ids = [str(i + 1) for i in range(values.shape[0])]
        if code_ids is None:
            code_ids = [f"code_{j + 1}" for j in range(values.shape[1])]
        if values.dtype.kind in "fO":
            cells = pd.DataFrame(values)
            numbers = cells.apply(pd.to_numeric, errors="coerce")
            if (numbers.isna() & cells.notna()).any().any():
                raise SaturationInputError("the matrix has cells that are not numbers of units")
            values = numbers.fillna(0).to_numpy()
        data = cls(tuple(interview_ids), tuple(code_ids), values)
        return data._take(_resolve_order(data.interview_ids, order, dates))

    @classmethod
    def _from_rows(
        cls,
        per_interview: Mapping[str, Mapping[str, int]],
        *,
        order: Sequence[Any] | None,
        dates: Mapping[Any, Any] | None,
    ) -> InterviewCodes:
        interview_ids = tuple(per_interview)
        code_ids = tuple(dict.fromkeys(c for codes in per_interview.values() for c in codes))
        column = {c: j for j, c in enumerate(code_ids)}
        counts = np.zeros((len(interview_ids), len(code_ids)), dtype=np.int64)
        for i, codes in enumerate(per_interview.values()):
            for code, units in codes.items():
                counts[i, column[code]] += units
        data = cls(interview_ids, code_ids, counts)
        return data._take(_resolve_order(interview_ids, order, dates))

    # views

    @property
    def n_interviews(self) -> int:
        return len(self.interview_ids)

    @property
    def empty_interviews(self) -> list[str]:
        """Interviews with no coded unit at all (before any threshold)."""
        totals = self.counts.sum(axis=1)
        return [i for i, total in zip(self.interview_ids, totals, strict=True) if total == 0]

    def reordered(self, order: Sequence[Any]) -> InterviewCodes:
        """The same data with interviews in `order`, a list of every interview id once."""
        return self._take(_resolve_order(self.interview_ids, order, None))

    def _take(self, positions: Sequence[int]) -> InterviewCodes:
        index = np.asarray(positions, dtype=np.intp)
        ids = tuple(self.interview_ids[i] for i in index)
        return InterviewCodes(ids, self.code_ids, self.counts[index])

    def to_mapping(self) -> dict[str, dict[str, int]]:
        """`{interview_id: {code_id: units}}` in interview order; zero counts left out."""
        return {
            interview: {c: int(n) for c, n in zip(self.code_ids, row, strict=True) if n > 0}
            for interview, row in zip(self.interview_ids, self.counts, strict=True)
        }

    def incidence(self, *, min_units_per_interview: int = 1, min_units_total: int = 1) -> Incidence:
        """Which codes count as present in which interview.

        A code is present in an interview when it is in at least `min_units_per_interview` of
        that interview's units, AND (study-wide threshold) its units summed over all interviews
        of this data reach `min_units_total`. The study-wide total uses every unit of the code,
        whether or not the per-interview threshold keeps that interview; it looks at the whole
        data set, so it is a retrospective filter (it can change when interviews are added).
        """
        for name, value in (
            ("min_units_per_interview", min_units_per_interview),
            ("min_units_total", min_units_total),
        ):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise SaturationInputError(f"{name} must be a whole number >= 1, got {value!r}")
        present = self.counts >= min_units_per_interview
        present &= self.counts.sum(axis=0) >= min_units_total
        kept = present.any(axis=0)
        codes = np.asarray(self.code_ids, dtype=object)
        return Incidence(
            interview_ids=self.interview_ids,
            code_ids=tuple(codes[kept]),
            present=present[:, kept],
            dropped_code_ids=tuple(codes[~kept]),
        )


def _resolve_order(
    ids: Sequence[str], order: Sequence[Any] | None, dates: Mapping[Any, Any] | None
) -> list[int]:
    """Row positions putting `ids` in the explicit `order`, or by `dates`, or as they are."""
    if order is not None and dates is not None:
        raise SaturationInputError("give an explicit order or dates, not both")
    position = {interview: i for i, interview in enumerate(ids)}
    if order is not None:
        wanted = [str(i) for i in order]
        unknown = [i for i in wanted if i not in position]
        missing = [i for i in ids if i not in set(wanted)]
        repeated = sorted({i for i in wanted if wanted.count(i) > 1})
        for problem, names in (
            ("names unknown interviews", unknown),
            ("leaves out interviews", missing),
            ("repeats interviews", repeated),
        ):
            if names:
                raise SaturationInputError(f"the interview order {problem}: {_names(names)}")
        return [position[i] for i in wanted]
    if dates is not None:
        given = {str(k): v for k, v in dates.items()}
        undated = [i for i in ids if _is_blank(given.get(i))]
        if undated:
            raise SaturationInputError(f"no readable date for interviews {_names(undated)}")
        parsed = _parse_dates([given[i] for i in ids])
        unreadable = [i for i, d in zip(ids, parsed, strict=True) if pd.isna(d)]
        if unreadable:
            raise SaturationInputError(f"unreadable date for interviews {_names(unreadable)}")
        return [int(i) for i in np.argsort(parsed.to_numpy(), kind="stable")]
    return list(range(len(ids)))


def _parse_dates(values: Sequence[Any]) -> pd.Series:
    """Dates, date strings or timestamps as a datetime Series; unreadable ones become NaT."""
    return pd.to_datetime(pd.Series(list(values), dtype=object), errors="coerce", format="mixed")


def _as_unit_counts(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype == bool:
        return array.astype(np.int64)
    if array.size == 0:
        return array.astype(np.int64).reshape(array.shape)
    if array.dtype.kind not in "iuf" or not np.all(np.isfinite(array)):
        raise SaturationInputError(f"{what} must be numbers of units")
    if np.any(array < 0) or np.any(array != np.round(array)):
        raise SaturationInputError(f"{what} must be whole numbers of units >= 0")
    return array.astype(np.int64)


def _unit_count(value: Any, where: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number) or number < 0 or number != int(number):
        raise SaturationInputError(f"{where}: unit count {value!r} is not a whole number >= 0")
    return int(number)


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return bool(pd.isna(value)) if np.ndim(value) == 0 else False


def _names(names: Sequence[Any], most: int = 5) -> str:
    shown = ", ".join(repr(str(n)) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
