"""Bad input: one clear InputError line naming the file; read_many collects them."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from autocode.errors import InputError
from autocode.io import SUPPORTED_SUFFIXES, read, read_many

FIXTURES = Path(__file__).parent / "fixtures" / "io"


def error_of(path: Path, **options: object) -> str:
    with pytest.raises(InputError) as caught:
        read(path, **options)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message and "Traceback" not in message
    error = caught.value  # no library exception chained to it: nothing but this line to show
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    return message


def test_missing_file(tmp_path: Path) -> None:
    assert error_of(tmp_path / "gone.txt").endswith("no such file")


@pytest.mark.parametrize(
    "suffix", [".txt", ".vtt", ".srt", ".csv", ".docx", ".odt", ".html", ".xlsx"]
)
def test_empty_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    assert error_of(path).endswith("the file is empty")


def test_whitespace_only_text_has_no_transcript(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text(" \n\n\t\n", encoding="utf-8")
    assert "no transcript text found" in error_of(path)


@pytest.mark.parametrize("suffix", [".txt", ".vtt", ".csv", ".md"])
def test_binary_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"image{suffix}"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    assert "binary file" in error_of(path)


def test_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "odd.txt"
    path.write_bytes(b"Interviewer: caf\x81 \x8d\x8f\x90\x9d")  # not UTF-8, not cp1252
    assert "cannot be decoded as text" in error_of(path)


@pytest.mark.parametrize(("name", "hint"), [("notes.pdf", "export"), ("data.parquet", "supported")])
def test_unsupported_suffix(tmp_path: Path, name: str, hint: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4")
    message = error_of(path)
    assert "unsupported file type" in message and hint in message


@pytest.mark.parametrize("suffix", [".docx", ".odt", ".xlsx"])
def test_zip_of_something_else(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"photos{suffix}"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")
    assert "is not a valid" in error_of(path)


@pytest.mark.parametrize("suffix", [".docx", ".odt", ".xlsx"])
def test_not_a_zip_at_all(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"renamed{suffix}"
    path.write_text("Interviewer: this is plain text with the wrong suffix\n", encoding="utf-8")
    assert "is not a valid" in error_of(path)


def test_broken_xml_inside_odt(tmp_path: Path) -> None:
    path = tmp_path / "broken.odt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("content.xml", "<office:document-content><unclosed>")
    assert "is not a valid OpenDocument .odt file" in error_of(path)


def test_broken_vtt_timestamp() -> None:
    path = FIXTURES / "webvttpy_invalid_timeframe.vtt"
    assert "line 6: cannot read the cue timing '00:00:07.000 --> 00:00:1d.890'" in error_of(path)


def test_csv_without_the_requested_column(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("ResponseId,Answer\nR1,yes\n", encoding="utf-8")
    assert "has no text column 'Why'" in error_of(path, text_column="Why")
    assert "has no id column 'pid'" in error_of(path, id_column="pid")


def test_options_a_format_does_not_take_are_a_programming_error(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(TypeError, match="text_column"):
        read(path, text_column="x")


def test_read_many_expands_folders_and_collects_errors(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    (folder / "round2").mkdir(parents=True)
    shutil.copy(FIXTURES / "synthetic_qa.txt", folder / "b_qa.txt")
    shutil.copy(FIXTURES / "synthetic_zoom.vtt", folder / "round2" / "a_zoom.vtt")
    shutil.copy(FIXTURES / "synthetic_survey_semicolon.csv", folder / "c_survey.csv")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "notes.pdf").write_bytes(b"%PDF")  # unsupported: skipped inside folders
    (folder / ".hidden.txt").write_text("Q: x\n", encoding="utf-8")
    (folder / "~$b_qa.docx").write_bytes(b"lock")
    missing = tmp_path / "missing.srt"

    transcripts, errors = read_many([folder, missing], text_column="Answer")
    assert [t.id for t in transcripts] == ["b_qa", "c_survey", "a_zoom"]
    assert transcripts[1].metadata["text_column_choice"] == "given"
    assert [e.path for e in errors] == [str(folder / "empty.txt"), str(missing)]

    with pytest.raises(InputError, match=r"empty\.txt: the file is empty"):
        read_many([folder], strict=True)


def test_read_many_reports_duplicate_ids_and_explicit_unsupported_files(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    shutil.copy(FIXTURES / "synthetic_qa.txt", tmp_path / "one" / "p1.txt")
    shutil.copy(FIXTURES / "synthetic_markdown.md", tmp_path / "two" / "p1.md")
    pdf = tmp_path / "p2.pdf"
    pdf.write_bytes(b"%PDF")
    transcripts, errors = read_many([tmp_path / "one", tmp_path / "two", pdf])
    assert [t.metadata["format"] for t in transcripts] == ["txt"]
    assert "same transcript id 'p1'" in str(errors[0])
    assert "unsupported file type '.pdf'" in str(errors[1])


def test_supported_suffixes() -> None:
    assert set(SUPPORTED_SUFFIXES) >= {".txt", ".md", ".docx", ".odt", ".html", ".vtt", ".srt"}
    assert {".csv", ".xlsx"} <= set(SUPPORTED_SUFFIXES)
