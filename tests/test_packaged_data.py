"""The shipped model and corpus are package data, reached by name, equal to their sources."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autocode.classify import EXCERPTS_FILE, ThemeClassifier
from autocode.cli import app
from autocode.errors import InputError
from autocode.models import (
    data_folder,
    find_models,
    load_model,
    resolve_corpus,
    resolve_model,
    shipped_models,
)

ROOT = Path(__file__).resolve().parents[1]


def _same_tree(left: Path, right: Path) -> list[str]:
    """Files that differ or exist on one side only (recursively)."""
    comparison = filecmp.dircmp(left, right, ignore=["__pycache__"])
    problems = [f"only in {left}: {n}" for n in comparison.left_only]
    problems += [f"only in {right}: {n}" for n in comparison.right_only]
    _, mismatch, errors = filecmp.cmpfiles(left, right, comparison.common_files, shallow=False)
    problems += [f"differs: {n}" for n in mismatch + errors]
    for sub in comparison.common_dirs:
        problems += _same_tree(left / sub, right / sub)
    return problems


@pytest.mark.parametrize(
    ("source", "packaged"),
    [
        ("models/seed-themes", "models/seed-themes"),
        ("models/seed-stages", "models/seed-stages"),
        ("corpus/seed", "corpus/seed"),
    ],
)
def test_packaged_copy_equals_its_source(source: str, packaged: str) -> None:
    problems = _same_tree(ROOT / source, data_folder() / packaged)
    assert not problems, f"run `make package-data`: {problems}"


def test_names_resolve_to_package_data_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_model("seed-themes") == resolve_model(None) == shipped_models()["seed-themes"]
    assert resolve_model("seed-themes").is_relative_to(data_folder())
    assert (resolve_corpus("seed") / "excerpts.csv").is_file()
    shipped = r"no shipped model of that name \(seed-stages, seed-themes\)"
    with pytest.raises(InputError, match=shipped):
        resolve_model("seed-theme")
    with pytest.raises(InputError, match="no corpus folder here"):
        resolve_corpus("models/nothing")


def test_shipped_model_carries_its_codebook_and_evidence() -> None:
    model = load_model("seed-themes")
    assert [code.id for code in model.codebook_.codes] == ["T1", "T2", "T3", "T4", "T5"]
    assert model.codebook_.get("T5").name == "Maintenance and retraining"
    assert len(model.excerpts_) == model.training_["n_examples"] == 129
    first = model.excerpts_[0]
    assert first.participant.startswith("P") and first.codes and first.text
    assert all(e.participant not in {"P13", "P14", "P15"} or e.codes for e in model.excerpts_)


def test_a_copied_model_folder_is_all_a_model_needs(tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "my-model"
    shutil.copytree(resolve_model("seed-themes"), copy)
    model = load_model(copy)
    assert len(model.excerpts_) == 129
    assert model.predict(["We retrain the model every month as the data drifts."]).loc[0, "T5"]


def _old_format(tmp_path: Path, corpus: str) -> Path:
    """The shipped model as autocode 0.1 saved it: format 1, no excerpts, a corpus path."""
    folder = tmp_path / "old-model"
    shutil.copytree(resolve_model("seed-themes"), folder)
    (folder / EXCERPTS_FILE).unlink()
    card = json.loads((folder / "model.json").read_text())
    card.update(format_version=1, corpus=corpus)
    (folder / "model.json").write_text(json.dumps(card))
    return folder


def test_old_format_model_finds_its_corpus_where_it_exists(tmp_path: Path) -> None:
    folder = _old_format(tmp_path, str(ROOT / "corpus" / "seed"))
    assert ThemeClassifier.load(folder).excerpts_ is None
    assert len(load_model(folder).excerpts_) == 129


def test_old_format_model_without_its_corpus_says_how_to_retrain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = _old_format(tmp_path, "corpus/seed")
    with pytest.raises(InputError, match="retrain it: autocode train --corpus"):
        load_model(folder)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / EXCERPTS_FILE).unlink(), "missing: the model's hand-coded excerpts"),
        (lambda f: (f / EXCERPTS_FILE).write_text("[{"), "not valid JSON"),
        (
            lambda f: (f / EXCERPTS_FILE).write_text('[{"excerpt_id": "x"}]'),
            "excerpt 1: needs the fields",
        ),
        (lambda f: (f / "model.json").write_text('{"format": "x"}'), "not an autocode model card"),
        (lambda f: (f / "weights.safetensors").write_bytes(b"\0" * 20), "cannot read weights"),
    ],
)
def test_a_damaged_model_folder_is_one_input_error(tmp_path: Path, damage, message: str) -> None:
    folder = tmp_path / "model"
    shutil.copytree(resolve_model("seed-themes"), folder)
    damage(folder)
    with pytest.raises(InputError, match=message):
        load_model(folder)


def test_models_command_lists_shipped_and_given_folders(tmp_path: Path) -> None:
    shutil.copytree(resolve_model("seed-themes"), tmp_path / "mine" / "copy")
    result = CliRunner().invoke(app, ["models", str(tmp_path / "mine"), "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [(m["name"], m["shipped"]) for m in listed] == [
        ("seed-stages", True),
        ("seed-themes", True),
        ("copy", False),
    ]
    stages, themes = listed[0], listed[1]
    assert themes["embedder"].startswith("all-MiniLM-L6-v2@")
    assert themes["n_excerpts"] == 129 and 0 < themes["macro_kappa"] < 1
    assert "corpus seed" in themes["trained_on"]
    assert stages["codebook"] == "Papineni & Lind (2023) ML lifecycle stages"
    assert stages["n_excerpts"] == 32 and 0 < stages["macro_kappa"] < 1
    assert len(find_models([])) == 2
