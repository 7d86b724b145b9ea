"""Installed as a wheel, autocode works from any folder with its shipped defaults.

The wheel is built from this checkout and installed into a fresh folder outside it (its
dependencies come from the test environment); every command then runs from an empty temporary
folder on copies of real transcripts, with no path to the repository anywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Build the wheel, install it into a fresh folder; the environment to run it with."""
    build = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(build), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    wheel = next(build.glob("autocode-*.whl"))
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "COV_")) and key != "PYTHONPATH"
    }
    env.update(PYTHONPATH=str(target), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env["AUTOCODE_BIN"] = str(target / "bin" / "autocode")
    return env


def _run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [env["AUTOCODE_BIN"], *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    """An empty folder holding copies of real interviews, nothing else."""
    shutil.copytree(ROOT / "examples" / "transcripts", tmp_path / "interviews")
    return tmp_path


def test_the_installed_package_is_the_wheel(installed: dict[str, str], workdir: Path) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", "import autocode, autocode.models as m; print(autocode.__file__);"
         "print(m.resolve_model())"],
        cwd=workdir, env=installed, capture_output=True, text=True, check=True,
    )  # fmt: skip
    package, model = probe.stdout.split()
    assert package.startswith(installed["PYTHONPATH"]) and model.startswith(installed["PYTHONPATH"])
    assert str(ROOT) not in probe.stdout


def test_every_job_runs_from_an_empty_folder(installed: dict[str, str], workdir: Path) -> None:
    suggested = _run(installed, workdir, "suggest", "interviews/P1_interview.txt", "--out", "out")
    assert suggested.returncode == 0, suggested.stderr
    assert (workdir / "out" / "report.html").is_file() and (workdir / "out" / "units.csv").is_file()

    coded = _run(installed, workdir, "code", "interviews", "--project", "study", "-q")
    assert coded.returncode == 0, coded.stderr
    assert (workdir / "study" / "autocode.sqlite").is_file()

    saturation = _run(
        installed, workdir, "saturation", "interviews", "--codes", "themes", "--base-size", "3",
        "--out", "sat",
    )  # fmt: skip
    assert saturation.returncode == 0, saturation.stderr
    assert (workdir / "sat" / "saturation.json").is_file()

    evaluated = _run(
        installed, workdir, "evaluate", "--corpus", "seed", "--resamples", "20",
        "--no-baselines", "-q",
    )  # fmt: skip
    assert evaluated.returncode == 0, evaluated.stderr
    assert "| macro |" in evaluated.stdout


def test_a_folder_with_only_a_copied_model_works(installed: dict[str, str], workdir: Path) -> None:
    located = subprocess.run(
        [sys.executable, "-c", "import autocode.models as m; print(m.resolve_model())"],
        cwd=workdir, env=installed, capture_output=True, text=True, check=True,
    )  # fmt: skip
    shutil.copytree(located.stdout.strip(), workdir / "their-model")
    for args in (
        ("suggest", "interviews/P3_interview.txt", "--model", "their-model", "--out", "out"),
        ("code", "interviews/P3_interview.txt", "--model", "their-model", "--project", "p", "-q"),
    ):
        result = _run(installed, workdir, *args)
        assert result.returncode == 0, result.stderr
    unknown = _run(installed, workdir, "suggest", "interviews", "--model", "nope", "--out", "o")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert "no shipped model of that name (seed-stages, seed-themes)" in unknown.stderr
