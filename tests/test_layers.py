"""The house's rule, checked on the code's own imports: stage packages, shared analyses,
rendering and features import only downward, and no feature package imports another.
docs/img/import-graph.dot is generated from the same imports (scripts/import_graph.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _graph_module():
    spec = importlib.util.spec_from_file_location(
        "import_graph", REPO / "scripts" / "import_graph.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_import_runs_up_a_layer_or_between_features() -> None:
    graph = _graph_module()
    edges = graph.import_edges()
    assert len(edges) > 100  # the reader found the imports
    assert graph.violations(edges) == []


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    graph = _graph_module()
    package = tmp_path / "autocode"
    (package / "io").mkdir(parents=True)
    (package / "review").mkdir()
    (package / "io" / "reader.py").write_text("from autocode.review import session\n")
    (package / "review" / "session.py").write_text("from autocode.suggest import evidence\n")
    edges = graph.import_edges(package)
    problems = graph.violations(edges)
    assert any(p.startswith("io (stages) -> review (features): up a layer") for p in problems)
    assert any(p.startswith("review -> suggest: one feature imports another") for p in problems)


def test_the_import_picture_in_docs_is_generated_from_todays_code() -> None:
    graph = _graph_module()
    committed = (REPO / "docs" / "img" / "import-graph.dot").read_text(encoding="utf-8")
    assert committed == graph.dot(graph.import_edges()), (
        "docs/img/import-graph.dot is stale: run `python scripts/import_graph.py "
        "--dot docs/img/import-graph.dot --svg docs/img/import-graph.png`"
    )
