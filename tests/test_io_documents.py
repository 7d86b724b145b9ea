"""Word (.docx), OpenDocument (.odt) and HTML transcripts."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest

from autocode.errors import InputError
from autocode.io import read
from autocode.types import Transcript

FIXTURES = Path(__file__).parent / "fixtures" / "io"

_ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content
  xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
  xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
  office:version="1.3"><office:body><office:text>
<text:h text:outline-level="1">Focus group 2</text:h>
<text:p>Moderator:<text:s/>Welcome,<text:s text:c="2"/>everyone.<text:note><text:note-body>
<text:p>Recorded on site.</text:p></text:note-body></text:note></text:p>
<text:p>Participant 1: <text:span>I liked</text:span> the<text:tab/>course.</text:p>
<table:table><table:table-row><table:table-cell><text:p>Participant 2</text:p></table:table-cell>
<table:table-cell><text:p>Me too.</text:p></table:table-cell></table:table-row></table:table>
<text:p>Moderator: Thank you.</text:p>
</office:text></office:body></office:document-content>"""
_ODT_META = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>Group 2</dc:title>
<dc:language>en-GB</dc:language></office:meta></office:document-meta>"""

_NOSCRIBE_HTML = """<!DOCTYPE HTML><html><head><meta charset="UTF-8" />
<style>p { font-size: 0.9em; }</style></head><body><div class="WordSection1">
<p style="font-weight: 600">Interview with a farmer</p>
<p><span>Transcribed with noScribe vers. 0.6<br />Audio file: ./farmer.mp3<br />
(Language: German (de) | Speaker detection: auto | Overlapping speech: 1 | Timestamps: 1)</span></p>
<p><a name="ts_0_5000_">(5 seconds pause) </a></p><p></p>
<p><a name="ts_5120_6000_S01">S01: <span>[00:00:05]</span> Guten Tag.</a>
<a name="ts_6100_6500_//S00"> //S00: Hallo.</a>
<a name="ts_6600_8000_S01">// Wie geht es Ihnen heute?</a></p>
<p><a name="ts_9250_15000_S00">S00: <span>[00:00:09]</span> Gut, danke. (..)
Die Ernte war gut.</a></p>
<p><a name="ts_15000_16000_S01">S01: <span>[00:00:15]</span> Das freut mich.</a></p>
</div></body></html>"""


def said(transcript: Transcript) -> list[tuple[str, str]]:
    return [(t.speaker, transcript.text[t.start : t.end]) for t in transcript.turns]


def test_docx_answers_between_separator_lines(
    check_transcript: Callable[[Transcript], None],
) -> None:
    transcript = read(FIXTURES / "llmcode_bopp_test_examples.docx")
    check_transcript(transcript)
    assert transcript.metadata["format"] == "docx"
    assert transcript.speakers == [""]
    assert len(transcript.turns) == 10  # 10 answers separated by "-----" paragraphs
    first = transcript.text[transcript.turns[0].start : transcript.turns[0].end]
    assert first.startswith("The protagonist has no fighting skills.")
    assert all("-----" not in text for _, text in said(transcript))


def test_docx_paragraphs_labels_and_speaker_tables(
    tmp_path: Path, check_transcript: Callable[[Transcript], None]
) -> None:
    document = docx.Document()
    document.core_properties.title = "Clinic interview"
    document.add_paragraph("Interviewer: How long have you worked here?")
    document.add_paragraph("Nurse 3: Nine years.")
    document.add_paragraph("Mostly nights.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Interviewer", "And before?"
    table.cell(1, 0).text, table.cell(1, 1).text = "Nurse 3", "A pharmacy."
    path = tmp_path / "clinic.docx"
    document.save(str(path))
    transcript = read(path)
    check_transcript(transcript)
    assert transcript.metadata["title"] == "Clinic interview"
    assert said(transcript) == [
        ("Interviewer", "How long have you worked here?"),
        ("Nurse 3", "Nine years.\nMostly nights."),
        ("Interviewer", "And before?"),
        ("Nurse 3", "A pharmacy."),
    ]


def test_odt_spaces_tabs_headings_tables_and_notes(
    tmp_path: Path, check_transcript: Callable[[Transcript], None]
) -> None:
    path = tmp_path / "group.odt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", _ODT_CONTENT)
        archive.writestr("meta.xml", _ODT_META)
    transcript = read(path)
    check_transcript(transcript)
    assert transcript.metadata["title"] == "Group 2"
    assert transcript.metadata["language"] == "en-GB"
    assert said(transcript) == [
        ("", "Focus group 2"),
        ("Moderator", "Welcome,  everyone."),  # the footnote is not speech
        ("Participant 1", "I liked the\tcourse."),
        ("Participant 2", "Me too."),
        ("Moderator", "Thank you."),
    ]


def test_html_noscribe_anchors_give_millisecond_timestamps(
    tmp_path: Path, check_transcript: Callable[[Transcript], None]
) -> None:
    path = tmp_path / "farmer.html"
    path.write_text(_NOSCRIBE_HTML, encoding="utf-8")
    transcript = read(path)
    check_transcript(transcript)
    assert transcript.metadata["title"] == "Interview with a farmer"
    assert transcript.metadata["language"] == "de"
    as_text = read(FIXTURES / "synthetic_noscribe.txt")  # the same interview as noScribe text
    assert said(transcript) == said(as_text)
    assert [t.timestamp for t in transcript.turns] == [0.0, 5.12, 6.1, 6.6, 9.25, 15.0]


def test_html_without_anchors_uses_paragraphs_and_title(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_text(
        "<html><head><title>Notes</title><script>var x = 1;</script></head><body>"
        "<h1>Visit</h1><p>We met   at the\n farm.</p>"
        "<p>It <b>rained</b> &amp; hailed.<br>All day.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    transcript = read(path)
    assert transcript.metadata["title"] == "Notes"
    assert said(transcript) == [
        ("", "Visit"),
        ("", "We met at the farm."),
        ("", "It rained & hailed.\nAll day."),
    ]


@pytest.mark.parametrize("suffix", [".docx", ".odt"])
def test_documents_without_text_are_input_errors(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"blank{suffix}"
    if suffix == ".docx":
        docx.Document().save(str(path))
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(
                "content.xml", _ODT_CONTENT.split("<office:body>")[0] + "</office:document-content>"
            )
    with pytest.raises(InputError, match=rf"blank\{suffix}: no transcript text found"):
        read(path)
