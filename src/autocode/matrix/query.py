"""A matrix query over a coded project: units counted by row and column.

Rows are participants, transcripts or the codes of one codebook; columns are the codes of any
codebook (or participants or transcripts, for the transposed table). A cell counts the units in
its row that carry its column; with codes on both axes that is co-occurrence on the same unit,
and with `window` > 0 a unit of the row code counts when the column code is on it or on one of the
`window` units either side of it in its transcript (NVivo's "near"). `share` divides by the units
in the row; `units` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from autocode.agreement.units import choose_codebook, resolve_codes, unit_group
from autocode.errors import InputError
from autocode.matrix.association import pair_tests
from autocode.matrix.sources import CORPUS, CodedUnits, coded_units, source_problem
from autocode.store import Project
from autocode.store.tables import UnitTable
from autocode.types import Codebook

PARTICIPANT, TRANSCRIPT, CODE = "participant", "transcript", "code"
AXES = (PARTICIPANT, TRANSCRIPT, CODE)
CELLS = ("count", "share", "units")


@dataclass(frozen=True)
class MatrixQuery:
    """What to count; `check()` says what is wrong with it before the project is read."""

    rows: str = PARTICIPANT
    columns: str = CODE
    codebook: str | None = None  # of the column codes (and the row codes unless row_codebook)
    row_codebook: str | None = None
    coder: str = CORPUS  # source of the column codes; see autocode.matrix.sources
    row_coder: str | None = None  # source of the row codes (default: coder)
    model_coder: str | None = None  # corpus: the model whose codes fill undecided units
    cells: str = "count"
    window: int = 0
    codes: tuple[str, ...] = ()  # column codes to keep (ids or names); () keeps all
    row_codes: tuple[str, ...] = ()

    def check(self) -> None:
        for name, axis in (("rows", self.rows), ("columns", self.columns)):
            if axis not in AXES:
                raise InputError(f"--{name}", f"{axis!r} is not one of {', '.join(AXES)}")
        if self.rows == self.columns and self.rows != CODE:
            raise InputError(
                "--rows", f"rows and columns are both {self.rows}s; one of them must be codes"
            )
        if CODE not in (self.rows, self.columns):
            raise InputError("--columns", "rows or columns must be codes")
        if self.cells not in CELLS:
            raise InputError("--cells", f"{self.cells!r} is not one of {', '.join(CELLS)}")
        if self.window < 0:
            raise InputError("--window", f"a window is 0 or more units, not {self.window}")
        if self.window and (self.rows, self.columns) != (CODE, CODE):
            raise InputError("--window", "a window counts codes near codes: rows and columns codes")
        for option, source in (("--coder", self.coder), ("--row-coder", self.row_coder)):
            problem = None if source is None else source_problem(source)
            if problem:
                raise InputError(option, problem)
        if self.model_coder is not None and not self.model_coder.startswith("model:"):
            raise InputError(
                "--model-coder", f"a model coder is model:NAME, not {self.model_coder!r}"
            )


@dataclass
class Matrix:
    """The answer: `frame()` is the table; `units_of(i, j)` the units behind a cell."""

    query: MatrixQuery
    row_axis: str
    column_axis: str
    row_keys: list[str]
    row_names: list[str]
    column_keys: list[str]
    column_names: list[str]
    counts: np.ndarray
    row_sizes: np.ndarray  # units in each row
    units: UnitTable
    sources: dict[str, dict[str, int]]  # codebook -> coder -> units from it
    codebooks: dict[str, str]  # "rows"/"columns" -> codebook name (code axes only)
    tests: list[dict] = field(default_factory=list)
    _rows: sparse.csc_matrix | None = None
    _columns: sparse.csc_matrix | None = None

    def frame(self, cells: str | None = None) -> pd.DataFrame:
        """Rows x columns as a DataFrame: counts, shares of the row's units, or unit lists."""
        kind = cells or self.query.cells
        index = pd.Index(self.row_keys, name=self.row_axis)
        if kind == "share":
            with np.errstate(invalid="ignore", divide="ignore"):
                values = np.where(
                    self.row_sizes[:, None] > 0, self.counts / self.row_sizes[:, None], 0.0
                )
            return pd.DataFrame(values, index=index, columns=self.column_keys)
        if kind == "units":
            data = [
                [self.unit_refs(i, j) for j in range(len(self.column_keys))]
                for i in range(len(self.row_keys))
            ]
            return pd.DataFrame(data, index=index, columns=self.column_keys, dtype=object)
        return pd.DataFrame(self.counts, index=index, columns=self.column_keys)

    def units_of(self, i: int, j: int) -> np.ndarray:
        """Positions (rows of `units`) of the units behind cell (i, j)."""
        assert self._rows is not None and self._columns is not None
        row = self._rows[:, i].toarray().ravel() > 0
        column = self._columns[:, j].toarray().ravel() > 0
        return np.flatnonzero(row & column)

    def unit_refs(self, i: int, j: int) -> list[str]:
        """`transcript#index` of each unit behind cell (i, j)."""
        return [
            f"{self.units.transcript_ids[k]}#{int(self.units.indices[k])}"
            for k in self.units_of(i, j)
        ]


def matrix_query(project_dir: str | Path, query: MatrixQuery) -> Matrix:
    """Run `query` on the project in `project_dir` (read only); InputError for a bad query."""
    query.check()
    with Project.open(project_dir) as project:
        return run_query(project, query)


def matrix_frame(project_dir: str | Path, **query: object) -> pd.DataFrame:
    """`matrix_query(...).frame()`: the table as a DataFrame, from keyword arguments of
    MatrixQuery (rows, columns, codebook, coder, cells, window, codes, ...)."""
    return matrix_query(project_dir, MatrixQuery(**query)).frame()  # type: ignore[arg-type]


def run_query(project: Project, query: MatrixQuery, units: UnitTable | None = None) -> Matrix:
    """`query` on an open project; `units`, the project's unit table when already read."""
    query.check()
    units = project.unit_table() if units is None else units
    if not len(units):
        raise InputError(project.path, "holds no coded units; code it first (autocode code)")
    sources: dict[str, dict[str, int]] = {}
    codebooks: dict[str, str] = {}
    axes = []
    for side in ("rows", "columns"):
        axis = query.rows if side == "rows" else query.columns
        if axis == CODE:
            name = query.codebook if side == "columns" else (query.row_codebook or query.codebook)
            codebook = project.codebook(choose_codebook(project, name))
            source = query.coder if side == "columns" else (query.row_coder or query.coder)
            coded = coded_units(project, units, codebook, source, query.model_coder)
            wanted = query.codes if side == "columns" else query.row_codes
            coded = _keep_codes(coded, wanted)
            sources[codebook.name] = coded.coders
            codebooks[side] = codebook.name
            axes.append(_code_axis(coded))
        else:
            axes.append(_group_axis(project, units, axis))
    (row_keys, row_names, rows), (column_keys, column_names, columns) = axes
    if query.window:
        columns = _near(units, columns, query.window)
    # int32: a product of int8 matrices would count in int8 and wrap past 127 units.
    rows_csc = sparse.csc_matrix(rows, dtype=np.int32)
    columns_csc = sparse.csc_matrix(columns, dtype=np.int32)
    counts = np.asarray((rows_csc.T @ columns_csc).todense(), dtype=np.int64)
    row_sizes = np.asarray(rows.sum(axis=0)).ravel().astype(np.int64)
    matrix = Matrix(
        query,
        query.rows,
        query.columns,
        row_keys,
        row_names,
        column_keys,
        column_names,
        counts,
        row_sizes,
        units,
        sources,
        codebooks,
        _rows=rows_csc,
        _columns=columns_csc,
    )
    if (query.rows, query.columns) == (CODE, CODE):
        column_sizes = np.asarray(columns.sum(axis=0)).ravel().astype(np.int64)
        same = codebooks["rows"] == codebooks["columns"] and not query.window
        matrix.tests = pair_tests(
            row_keys, column_keys, counts, row_sizes, column_sizes, len(units), skip_diagonal=same
        )
    return matrix


def _keep_codes(coded: CodedUnits, wanted: tuple[str, ...]) -> CodedUnits:
    if not wanted:
        return coded
    ids = resolve_codes(coded.codebook, list(wanted), coded.codebook.ids)
    positions = [coded.codebook.ids.index(code) for code in ids]
    codebook = Codebook(coded.codebook.name, [coded.codebook.get(code) for code in ids])
    return CodedUnits(codebook, coded.labels[:, positions], coded.source, coded.coders)


def _code_axis(coded: CodedUnits) -> tuple[list[str], list[str], np.ndarray]:
    codes = coded.codebook.codes
    return [c.id for c in codes], [c.name for c in codes], coded.labels.astype(np.int32)


def _group_axis(
    project: Project, units: UnitTable, axis: str
) -> tuple[list[str], list[str], sparse.csr_matrix]:
    if axis == TRANSCRIPT:
        keys = units.transcript_ids
    else:
        metadata = project.transcript_metadata()
        keys = np.array(
            [
                unit_group(tid, metadata.get(tid, {}), speaker)
                for tid, speaker in zip(units.transcript_ids, units.speakers, strict=True)
            ],
            dtype=object,
        )
    column, names = pd.factorize(keys)  # in the order of first appearance
    membership = sparse.csr_matrix(
        (np.ones(len(keys), dtype=np.int32), (np.arange(len(keys)), column)),
        shape=(len(keys), len(names)),
    )
    labels = [str(name) for name in names]
    return labels, labels, membership


def _near(units: UnitTable, labels: np.ndarray, window: int) -> np.ndarray:
    """Whether each unit has the code itself or within `window` units of it in its transcript."""
    present = np.asarray(labels, dtype=np.int64)
    totals = np.vstack(
        [np.zeros((1, present.shape[1]), dtype=np.int64), np.cumsum(present, axis=0)]
    )
    starts = np.zeros(len(units), dtype=np.int64)
    ends = np.zeros(len(units), dtype=np.int64)
    for first, end in units.transcript_rows.values():
        starts[first:end], ends[first:end] = first, end
    positions = np.arange(len(units))
    low = np.maximum(positions - window, starts)
    high = np.minimum(positions + window + 1, ends)
    return (totals[high] - totals[low]) > 0
