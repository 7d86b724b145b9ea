"""notebooks/01-seed-study.ipynb runs from top to bottom without an error and shows its results.

The kernel is this interpreter (`sys.executable`), whatever kernelspecs the machine has, so the
notebook sees the same installed autocode as the tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from jupyter_client.kernelspec import KernelSpec  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01-seed-study.ipynb"
MATRIX_NOTEBOOK = NOTEBOOK.with_name("02-matrix.ipynb")
ML = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "coded" / "ml_quality_interviews"


class ThisPythonKernelManager(KernelManager):
    """Starts ipykernel with the interpreter running the tests."""

    @property
    def kernel_spec(self) -> KernelSpec:
        if self._kernel_spec is None:
            self._kernel_spec = KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python ({sys.executable})",
                language="python",
            )
        return self._kernel_spec


def outputs(notebook: nbformat.NotebookNode, tag: str) -> tuple[str, list[str]]:
    """Text printed or displayed by the cell tagged `tag`, and the MIME types it displayed."""
    cell = next(c for c in notebook.cells if tag in c.metadata.get("tags", []))
    text, kinds = [], []
    for output in cell.outputs:
        assert output.output_type != "error", output
        text.append(output.get("text", ""))
        data = output.get("data", {})
        kinds.extend(data)
        text.append(data.get("text/plain", ""))
    return "\n".join(text), kinds


def executed(path: Path) -> nbformat.NotebookNode:
    """The notebook at `path`, run top to bottom in its own folder."""
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=900,
        km=ThisPythonKernelManager(),
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return notebook


@pytest.mark.parametrize("path", [NOTEBOOK, MATRIX_NOTEBOOK], ids=lambda path: path.stem)
def test_stored_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.slow
def test_notebook_runs_and_shows_its_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOCODE_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("AUTOCODE_NOTEBOOK_ML_INTERVIEWS", "6")  # enough for base 4 + run 2
    notebook = executed(NOTEBOOK)

    text, _ = outputs(notebook, "corpus")
    assert "from 13 participants" in text
    text, kinds = outputs(notebook, "evaluation")
    assert "13 folds" in text and "text/html" in kinds and "macro" in text
    text, kinds = outputs(notebook, "participants")
    assert "P12" in text and "kappa" in text
    text, kinds = outputs(notebook, "seed-saturation")
    assert "Saturation was assessed over 15 interviews" in text and "image/png" in kinds
    assert (tmp_path / "seed-saturation.png").stat().st_size > 10_000
    text, _ = outputs(notebook, "paper-saturation")
    assert "over 12 interviews" in text
    text, kinds = outputs(notebook, "ml-saturation")
    if ML.is_dir():
        assert "Saturation was assessed over 6 interviews" in text and "image/png" in kinds
        assert (tmp_path / "ml-saturation.png").is_file()
    else:
        assert "Skipped" in text


@pytest.mark.slow
def test_matrix_notebook_runs_and_plots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOCODE_NOTEBOOK_OUT", str(tmp_path))
    notebook = executed(MATRIX_NOTEBOOK)
    text, kinds = outputs(notebook, "participant-theme")
    assert "pdpilot_P1" in text and "T5" in text and "text/html" in kinds
    _, kinds = outputs(notebook, "heatmap")
    assert "image/png" in kinds and (tmp_path / "participant-theme.png").stat().st_size > 5_000
    text, _ = outputs(notebook, "theme-stage")
    assert "requirement_analysis" in text and "p_holm" in text
