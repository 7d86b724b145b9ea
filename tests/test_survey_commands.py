"""Survey files through the commands: --id-column / --text-column choose what is coded."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from autocode.cli import app

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "seed-themes"


def _survey(tmp_path: Path) -> Path:
    path = tmp_path / "survey.csv"
    pd.DataFrame(
        {
            "respondent": ["R1", "R2", "R3"],
            "note": ["x", "y", "z"],
            "answer": [
                "We retrain the model every month because the data drifts.",
                "The client expected perfect accuracy, which was unrealistic.",
                "Getting access to clean, labelled data was the hardest part.",
            ],
        }
    ).to_csv(path, index=False)
    return path


def test_code_uses_the_chosen_survey_columns(tmp_path: Path) -> None:
    survey = _survey(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "code",
            str(survey),
            "--model",
            str(MODEL),
            "--project",
            str(tmp_path / "p"),
            "--id-column",
            "respondent",
            "--text-column",
            "answer",
            "-q",
            "--no-report",
        ],
    )
    assert result.exit_code == 0, result.output
    units = pd.read_csv(tmp_path / "p" / "exports" / "coded_units.csv")
    assert list(units["speaker"]) == ["R1", "R2", "R3"]
    assert units["text"].str.contains("retrain").iloc[0]
    assert units.loc[0, "themes"].split(";")[0] == "T5"


def test_suggest_rejects_a_text_column_the_file_lacks(tmp_path: Path) -> None:
    survey = _survey(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "suggest",
            str(survey),
            "--model",
            str(MODEL),
            "--out",
            str(tmp_path / "s"),
            "--text-column",
            "missing",
            "-q",
        ],
    )
    assert result.exit_code == 2
    assert "missing" in result.output
    assert not (tmp_path / "s").exists()
