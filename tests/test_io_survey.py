"""Open-ended survey responses in .csv and .xlsx: one turn per non-empty row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from autocode.errors import InputError
from autocode.io import read
from autocode.types import Transcript

FIXTURES = Path(__file__).parent / "fixtures" / "io"


def said(transcript: Transcript) -> list[tuple[str, str]]:
    return [(t.speaker, transcript.text[t.start : t.end]) for t in transcript.turns]


def test_csv_with_bom_semicolons_and_multiline_cells(
    check_transcript: Callable[[Transcript], None],
) -> None:
    transcript = read(FIXTURES / "synthetic_survey_semicolon.csv")
    check_transcript(transcript)
    assert said(transcript) == [
        ("P1", "The app reminded me to take my pills."),
        ("P3", "It was confusing; too many menus,\nand the font was small."),
    ]
    meta = transcript.metadata
    assert (meta["encoding"], meta["delimiter"]) == ("utf-8", ";")
    assert (meta["id_column"], meta["id_column_choice"]) == ("Participant", "by name")
    assert (meta["text_column"], meta["text_column_choice"]) == ("Answer", "longest average text")
    assert meta["responses"] == 2


def test_without_an_id_column_the_row_number_is_the_speaker(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("age,comment\n30,Loved it\n41,\n25,Too hard for me\n", encoding="utf-8")
    transcript = read(path)
    assert said(transcript) == [("2", "Loved it"), ("4", "Too hard for me")]
    assert transcript.metadata["id_column_choice"] == "none: the row number is the id"


def test_windows_1252_csv_and_given_columns() -> None:
    transcript = read(FIXTURES / "synthetic_survey_cp1252.csv")
    assert transcript.metadata["encoding"] == "cp1252"
    assert said(transcript) == [("1", "It cost €20 – too much"), ("2", "I didn’t mind")]
    assert transcript.metadata["id_column"] == "id"
    no_id = read(FIXTURES / "synthetic_survey_cp1252.csv", id_column="comment", text_column="id")
    assert said(no_id) == [("It cost €20 – too much", "1"), ("I didn’t mind", "2")]
    assert no_id.metadata["text_column_choice"] == "given"


def test_given_columns_match_case_insensitively_and_missing_ones_are_named(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("Respondent,Comment,Notes\nr1,Too long,x\nr2,Fine,y\n", encoding="utf-8")
    assert said(read(path, text_column="comment", id_column="respondent"))[0] == ("r1", "Too long")
    with pytest.raises(InputError) as caught:
        read(path, text_column="Answer")
    message = str(caught.value)
    assert message.startswith(f"{path}: has no text column 'Answer'")
    assert "'Comment'" in message


def test_xlsx_second_header_row_sheet_choice_and_numbers(
    tmp_path: Path, check_transcript: Callable[[Transcript], None]
) -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "All"
    first.append(["ResponseId", "Q1", "Q2"])
    first.append(["ResponseId", "Which subject?", "Why did you use proctoring software?"])
    first.append(["R_1", "Math", "Students were cheating in online exams last year."])
    first.append(["R_2", "Art", None])
    first.append([None, None, None])
    first.append(["R_3", "History", "It was required by my department."])
    second = workbook.create_sheet("Scores")
    second.append(["id", "score", "comment"])
    second.append([7, 3.0, "ok"])
    path = tmp_path / "survey.xlsx"
    workbook.save(path)

    transcript = read(path)
    check_transcript(transcript)
    assert said(transcript) == [
        ("R_1", "Students were cheating in online exams last year."),
        ("R_3", "It was required by my department."),
    ]
    assert transcript.metadata["sheet"] == "All"
    assert transcript.metadata["text_column"] == "Q2"
    assert transcript.metadata["question"] == "Why did you use proctoring software?"
    scores = read(path, sheet="Scores", text_column="score")
    assert said(scores) == [("7", "3")]
    assert read(path, sheet=1, text_column="comment").metadata["sheet"] == "Scores"
    with pytest.raises(InputError, match="has no sheet 'Q9' \\(sheets: All, Scores\\)"):
        read(path, sheet="Q9")


def test_survey_without_responses_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("id,answer\n1,\n2,  \n", encoding="utf-8")
    with pytest.raises(InputError, match=r"blank\.csv: has no text in any column"):
        read(path)
    path.write_text("id,answer,age\n1,,30\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"blank\.csv: column 'answer' has no responses"):
        read(path, text_column="answer")
