"""Queries over a coded corpus, as researchers run them in every QDA tool: NVivo's matrix coding
query, ATLAS.ti's code-document table and code co-occurrence, MAXQDA's code matrix and code
relations browsers.

    from autocode.matrix import matrix_frame
    matrix_frame("study", rows="participant", codebook="themes")  # a DataFrame

Modules: sources (which codings count: a coder, the model, the finished corpus), query (the
table, co-occurrence on a unit and within a window), association (Fisher / chi-square per pair
of codes), outputs (CSV, JSON), page (the HTML heat map), files (writing them all, or nothing).
"""

from autocode.matrix.files import MatrixFiles, write_matrix, write_tables_beside
from autocode.matrix.query import AXES, CELLS, Matrix, MatrixQuery, matrix_frame, matrix_query
from autocode.matrix.sources import CORPUS, MODEL

__all__ = [
    "AXES",
    "CELLS",
    "CORPUS",
    "MODEL",
    "Matrix",
    "MatrixFiles",
    "MatrixQuery",
    "matrix_frame",
    "matrix_query",
    "write_matrix",
    "write_tables_beside",
]
