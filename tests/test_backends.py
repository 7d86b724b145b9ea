"""Embedding backends: each backend's vectors against torch's on real units, ids that never mix,
the build command (ONNX export, int8, a static model on a small vocabulary), and the one-line
refusals: a backend not built, a classifier trained on other vectors, a project of other
vectors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from autocode.classify import ThemeClassifier
from autocode.cli import app
from autocode.embed import Embedder, use_backend
from autocode.embed.loading import load_backend
from autocode.errors import InputError
from autocode.io import read
from autocode.segment import DEFAULT_SEGMENT_CONFIG, segment
from autocode.store import Project

REPO_ROOT = Path(__file__).resolve().parents[1]
SHIPPED_MODEL = REPO_ROOT / "models" / "seed-themes"
EXAMPLES = REPO_ROOT / "examples" / "transcripts"


@pytest.fixture(scope="module")
def units(testdata: Path) -> list[str]:
    """The meaning units batch coding makes of one real interview (162 units)."""
    path = testdata / "coded" / "pdpilot_ml_interviews" / "derived_transcripts_txt" / "P1.txt"
    return [unit.text for unit in segment(read(path), DEFAULT_SEGMENT_CONFIG)]


@pytest.fixture(scope="module")
def built(
    units: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, CliRunner]]:
    """A cache folder holding onnx, onnx-int8 and a static model of the units' tokens only
    (each token's static vector depends on that token alone, so these units get the full
    static model's vectors), built by the real command."""
    cache = tmp_path_factory.mktemp("backend-cache")
    tokens = cache / "units.txt"
    tokens.write_text("\n".join(units), encoding="utf-8")
    runner = CliRunner(env={"AUTOCODE_CACHE_DIR": str(cache)})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTOCODE_CACHE_DIR", str(cache))
        for args in (["onnx", "onnx-int8"], ["static", "--tokens-of", str(tokens)]):
            result = runner.invoke(app, ["backends", "build", *args])
            assert result.exit_code == 0, result.output
        yield cache, runner
        load_backend.cache_clear()
    use_backend(None)


@pytest.fixture(scope="module")
def torch_vectors(units: list[str]) -> np.ndarray:
    return Embedder(backend="torch").encode_uncached(units)


def cosines(backend: str, units: list[str], reference: np.ndarray) -> np.ndarray:
    vectors = Embedder(backend=backend).encode_uncached(units)
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    return (vectors * reference).sum(axis=1)


@pytest.mark.slow
def test_each_backend_against_torch_on_real_units(
    built: tuple[Path, CliRunner], units: list[str], torch_vectors: np.ndarray
) -> None:
    assert cosines("onnx", units, torch_vectors).min() > 0.99999
    int8 = cosines("onnx-int8", units, torch_vectors)
    assert int8.mean() > 0.98 and int8.min() > 0.9
    static = cosines("static", units, torch_vectors)
    assert 0.2 < static.mean() < 0.9  # a related space, not the same one


@pytest.mark.slow
def test_every_backend_has_its_own_cache_id_and_only_onnx_shares_torchs_vectors(
    built: tuple[Path, CliRunner],
) -> None:
    embedders = {name: Embedder(backend=name) for name in ("torch", "onnx", "onnx-int8", "static")}
    cache_ids = {name: e.cache_id for name, e in embedders.items()}
    torch_id = cache_ids["torch"]
    assert torch_id == "all-MiniLM-L6-v2@53aa51172d14"  # unchanged: old caches and cards stay valid
    assert len(set(cache_ids.values())) == 4
    assert all(
        cache_ids[name].startswith(f"{torch_id}+{name}@") for name in cache_ids if name != "torch"
    )
    assert embedders["onnx"].model_id == torch_id
    assert embedders["onnx-int8"].model_id != torch_id != embedders["static"].model_id
    result = built[1].invoke(app, ["backends", "list"])
    assert result.exit_code == 0 and "partial vocabulary" in result.output
    assert cache_ids["static"] in result.output and cache_ids["onnx-int8"] in result.output


@pytest.mark.slow
def test_a_torch_trained_classifier_takes_onnx_vectors_and_refuses_int8_and_static(
    built: tuple[Path, CliRunner], units: list[str]
) -> None:
    try:
        use_backend("onnx")
        onnx = ThemeClassifier.load(SHIPPED_MODEL).predict_proba(units[:40])
        use_backend("torch")
        torch = ThemeClassifier.load(SHIPPED_MODEL).predict_proba(units[:40])
        np.testing.assert_allclose(onnx.to_numpy(), torch.to_numpy(), atol=1e-5)
        for other in ("onnx-int8", "static"):
            use_backend(other)
            with pytest.raises(InputError, match="trained with embedder"):
                ThemeClassifier.load(SHIPPED_MODEL)
    finally:
        use_backend(None)


@pytest.mark.slow
def test_fitting_the_static_vectors_brings_them_closer_to_the_network(
    built: tuple[Path, CliRunner], units: list[str], torch_vectors: np.ndarray, tmp_path: Path
) -> None:
    """Fit on the first half of the units, measure on the second (unseen) half."""
    half = len(units) // 2
    fit_on = tmp_path / "fit.txt"
    fit_on.write_text("\n\n".join(units[:half]), encoding="utf-8")
    plain = cosines("static", units[half:], torch_vectors[half:]).mean()
    tokens = built[0] / "units.txt"
    result = built[1].invoke(
        app, ["backends", "build", "static", "--tokens-of", str(tokens), "--fit-on", str(fit_on)]
    )
    assert result.exit_code == 0, result.output
    load_backend.cache_clear()
    fitted = cosines("static", units[half:], torch_vectors[half:]).mean()
    assert fitted > plain + 0.1


def one_line_error(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in output
    return lines[0]


def _code_in_subprocess(project: Path, cache: Path, backend: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "autocode", "code", str(EXAMPLES), "--project", str(project)]
    env = {**os.environ, "AUTOCODE_CACHE_DIR": str(cache)}
    return subprocess.Popen(
        [*command, "--backend", backend],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _codings(project: Path) -> int:
    with Project.open(project) as store:
        return len(store.codings())


@pytest.mark.slow
def test_onnx_is_built_on_first_use_once_by_two_processes_that_ask_at_once(
    tmp_path: Path,
) -> None:
    """A new machine: an empty cache; two `autocode code --backend onnx` started together."""
    cache = tmp_path / "empty-cache"
    runs = [_code_in_subprocess(tmp_path / f"study-{i}", cache, "onnx") for i in (1, 2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
    builds = sum(err.count("building the onnx backend") for _, err in outputs)
    assert builds == 1, [err for _, err in outputs]
    assert _codings(tmp_path / "study-1") == _codings(tmp_path / "study-2") > 0
    built = cache / "backends" / "all-MiniLM-L6-v2-53aa51172d14"
    assert sorted(p.name for p in built.iterdir() if not p.name.startswith(".")) == ["onnx"]


@pytest.mark.slow
def test_the_shipped_model_codes_with_every_backend_and_trains_once_per_backend(
    tmp_path: Path,
) -> None:
    """`--backend static` with the default model on an empty cache: the static vectors are
    built and the seed classifier trained for them on first use; the second run reuses both."""
    cache = tmp_path / "empty-cache"
    first = _code_in_subprocess(tmp_path / "study-1", cache, "static")
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert "building the static backend" in err and "training the shipped seed-themes" in err
    again = _code_in_subprocess(tmp_path / "study-2", cache, "static")
    _, err_again = again.communicate(timeout=300)
    assert again.returncode == 0 and "building" not in err_again and "training" not in err_again
    assert _codings(tmp_path / "study-1") == _codings(tmp_path / "study-2") > 0


def test_a_broken_backend_folder_is_one_line_and_no_project(tmp_path: Path) -> None:
    """A manifest whose files are gone is not rebuilt behind the user's back."""
    cache = tmp_path / "cache"
    folder = cache / "backends" / "all-MiniLM-L6-v2-53aa51172d14" / "onnx"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(
        '{"files": ["model.onnx"], "source_id": "all-MiniLM-L6-v2@53aa51172d14"}'
    )
    runner = CliRunner(env={"AUTOCODE_CACHE_DIR": str(cache)})
    project = tmp_path / "study"
    args = ["code", str(EXAMPLES), "--model", str(SHIPPED_MODEL), "--project", str(project)]
    result = runner.invoke(app, [*args, "--backend", "onnx"])
    assert result.exit_code == 2
    assert "autocode backends build onnx --force" in one_line_error(result.output)
    assert not project.exists()
    result = runner.invoke(app, [*args, "--backend", "tensorflow"])
    assert result.exit_code == 2 and not project.exists()


@pytest.mark.slow
def test_a_classifier_of_other_vectors_and_a_project_of_other_vectors_are_refused(
    built: tuple[Path, CliRunner], tmp_path: Path
) -> None:
    runner = built[1]
    project = tmp_path / "study"
    args = ["code", str(EXAMPLES), "--model", str(SHIPPED_MODEL), "--project", str(project)]
    result = runner.invoke(app, [*args, "--backend", "static"])
    assert result.exit_code == 2 and "trained with embedder" in one_line_error(result.output)
    assert not project.exists()
    static_id = Embedder(backend="static").cache_id
    with Project.create(project, writer=True) as store:  # an earlier run with static vectors
        run = store.start_run("code", {"fingerprint": f"{static_id}/d93d7ea9abcd/0123456789abcd"})
        store.finish_run(run, "done")
    before = (project / "autocode.sqlite").read_bytes()
    result = runner.invoke(app, [*args, "--backend", "onnx"])
    assert result.exit_code == 2
    assert f"holds codings made with embedder {static_id}" in one_line_error(result.output)
    assert (project / "autocode.sqlite").read_bytes() == before
