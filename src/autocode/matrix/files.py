"""Run a matrix query and write the files asked for: every check first, then each file whole."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from autocode.errors import InputError
from autocode.files import write_files_together, write_text_atomic
from autocode.matrix.outputs import matrix_csv, matrix_json
from autocode.matrix.page import matrix_page
from autocode.matrix.query import Matrix, MatrixQuery, run_query
from autocode.store import Project


@dataclass(frozen=True)
class MatrixFiles:
    csv: Path | None = None
    json: Path | None = None
    html: Path | None = None

    def check(self) -> None:
        chosen = [path for path in (self.csv, self.json, self.html) if path is not None]
        if len(set(map(Path.resolve, chosen))) < len(chosen):
            raise InputError("--csv/--json/--html", "two outputs name the same file")
        for path in chosen:
            if path.is_dir():
                raise InputError(path, "is a folder; name a file")
            if not path.parent.is_dir():
                raise InputError(path.parent, "does not exist; make the folder first")


def write_matrix(project_dir: str | Path, query: MatrixQuery, files: MatrixFiles) -> Matrix:
    """Query the project and write the files; on any bad input nothing is written."""
    query.check()
    files.check()
    with Project.open(project_dir) as project:
        matrix = run_query(project, query)
        contents: dict[Path, str] = {}
        if files.csv is not None:
            contents[files.csv] = matrix_csv(matrix)
        if files.json is not None:
            contents[files.json] = matrix_json(matrix)
        if files.html is not None:
            title = f"{matrix.row_axis} × {matrix.column_axis}: {Path(project_dir).name}"
            contents[files.html] = matrix_page(matrix, project, title)
    for path, text in contents.items():
        write_text_atomic(path, text)
    return matrix


def write_tables_beside(project_dir: str | Path, folder: Path) -> list[Path]:
    """The tables a REFI-QDA file has no room for, as CSV in `folder`: participant x code for
    every codebook, and code x code for every pair of codebooks, each from the finished corpus."""
    with Project.open(project_dir) as project:
        names = project.codebooks()
        units = project.unit_table()
        if not len(units):
            return []
        queries = {f"participant-x-{_slug(name)}.csv": MatrixQuery(codebook=name) for name in names}
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                queries[f"{_slug(first)}-x-{_slug(second)}.csv"] = MatrixQuery(
                    rows="code", row_codebook=first, codebook=second
                )
        contents = {
            file: matrix_csv(run_query(project, query, units)) for file, query in queries.items()
        }
    return list(write_files_together(folder, contents).values())


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:60] or "codebook"
