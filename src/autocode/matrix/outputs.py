"""A matrix as the files a researcher takes elsewhere: CSV, JSON (and HTML in `page`).

CSV: the first column is the row key (participant, transcript id or code id), then one column per
column key (a code id), cells as the query asked (counts, shares, or `transcript#index` lists
joined by ";"). JSON: the query, what coded the units, the table with both keys and names,
counts, row sizes, shares and the pair tests of a code x code table.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from typing import Any

from autocode import __version__
from autocode.matrix.query import Matrix
from autocode.versions import package_versions


def matrix_csv(matrix: Matrix) -> str:
    frame = matrix.frame()
    if matrix.query.cells == "units":
        frame = frame.map(lambda refs: ";".join(refs))
    buffer = io.StringIO()
    frame.to_csv(buffer, index=True, lineterminator="\n", float_format="%.4f")
    return buffer.getvalue()


def matrix_document(matrix: Matrix) -> dict[str, Any]:
    shares = matrix.frame("share").round(4)
    return {
        "autocode_version": __version__,
        "versions": package_versions(),
        "query": asdict(matrix.query),
        "codebooks": matrix.codebooks,
        "coded_by": matrix.sources,
        "n_units": len(matrix.units),
        "rows": [
            {"key": key, "name": name, "units": int(size)}
            for key, name, size in zip(
                matrix.row_keys, matrix.row_names, matrix.row_sizes, strict=True
            )
        ],
        "columns": [
            {"key": key, "name": name}
            for key, name in zip(matrix.column_keys, matrix.column_names, strict=True)
        ],
        "counts": matrix.counts.tolist(),
        "shares": shares.to_numpy().tolist(),
        "tests": matrix.tests,
    }


def matrix_json(matrix: Matrix) -> str:
    return json.dumps(matrix_document(matrix), indent=2, ensure_ascii=False) + "\n"
