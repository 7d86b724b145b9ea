"""Plain-text transcripts: speaker-label styles, normalisation, conservative recognition."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from autocode.io import read
from autocode.io.labels import find_labels, parse_timestamp
from autocode.io.speakers import SpeakerNames, speaker_key
from autocode.types import Transcript

FIXTURES = Path(__file__).parent / "fixtures" / "io"


def said(transcript: Transcript) -> list[tuple[str, str]]:
    return [(t.speaker, transcript.text[t.start : t.end]) for t in transcript.turns]


@pytest.mark.parametrize(
    ("name", "speakers", "turns"),
    [
        ("synthetic_label_variants.txt", ["Interviewer 1", "Interviewee1"], 7),
        ("synthetic_speaker_numbers.txt", ["Speaker 1", "Speaker 2", "Speaker 3"], 5),
        ("synthetic_qa.txt", ["Q", "A"], 4),
        ("synthetic_participant.txt", ["Interviewer", "P3"], 4),
        ("synthetic_bracketed.txt", ["Anna", "Ben"], 4),
        ("synthetic_timestamped.txt", ["Maria", "Tom"], 4),
        ("synthetic_noscribe.txt", ["", "S01", "S00"], 6),
        ("synthetic_rev.txt", ["Jane Doe", "participant-2", "Automation"], 5),
        ("synthetic_otter.txt", ["Alex Kim", "Sam Lee"], 3),
        ("synthetic_markdown.md", ["Interviewer", "Respondent"], 4),
        ("synthetic_no_labels.txt", [""], 3),
        ("pdpilot_P1.txt", ["Dan", "Participant"], 94),
    ],
)
def test_label_styles_give_the_expected_speakers(
    name: str, speakers: list[str], turns: int, check_transcript: Callable[[Transcript], None]
) -> None:
    transcript = read(FIXTURES / name)
    assert transcript.speakers == speakers
    assert len(transcript.turns) == turns
    assert transcript.id == Path(name).stem
    assert transcript.metadata["source"] == str(FIXTURES / name)
    assert transcript.metadata["encoding"] == "utf-8"
    check_transcript(transcript)


def test_spelling_variants_are_one_speaker_with_aliases_recorded() -> None:
    transcript = read(FIXTURES / "synthetic_label_variants.txt")
    aliases = transcript.metadata["speaker_aliases"]
    assert aliases == {
        "Interviewer 1": ["Interviewer 1", "Interviewer1", "interviewer"],
        "Interviewee1": ["Interviewee1"],
    }
    assert [s for s, _ in said(transcript)] == [
        "Interviewer 1",
        "Interviewee1",
        "Interviewer 1",
        "Interviewer 1",
        "Interviewee1",
        "Interviewer 1",
        "Interviewee1",
    ]


def test_a_colon_sentence_inside_an_answer_is_not_a_speaker() -> None:
    transcript = read(FIXTURES / "synthetic_label_variants.txt")
    answer = said(transcript)[1]
    assert answer == (
        "Interviewee1",
        "Sure. I lead the data team at a hospital.\nMost of my week goes into cleaning "
        "records.\nNote: the results were never checked by anyone outside the team.",
    )
    assert said(transcript)[4] == ("Interviewee1", "Honestly: every second week or so.")
    qa = read(FIXTURES / "synthetic_qa.txt")
    assert said(qa)[-1] == (
        "A",
        "I was a teacher.\nExample: a week in the classroom, then a week marking.",
    )


def test_rev_style_keeps_hard_wrapped_lines_and_singleton_speakers() -> None:
    transcript = read(FIXTURES / "synthetic_rev.txt")
    turns = said(transcript)
    assert turns[0] == (
        "Jane Doe",
        "Thanks for taking the time. I wanted to start with how you \nfirst got involved in "
        "the committee, and what your role was.",
    )
    # "However:  " opens a wrapped line inside a paragraph: not a speaker
    assert turns[1][1].endswith("teachers. \nHowever:  the teachers rarely came.")
    assert turns[-1] == ("Automation", "This recording has ended.")


def test_timestamps_before_and_after_labels() -> None:
    stamped = read(FIXTURES / "synthetic_timestamped.txt")
    assert [t.timestamp for t in stamped.turns] == [5.0, 62.0, 130.0, 180.0]
    otter = read(FIXTURES / "synthetic_otter.txt")
    assert [t.timestamp for t in otter.turns] == [2.0, 5.0, 75.0]
    plain = read(FIXTURES / "synthetic_participant.txt")
    assert all(t.timestamp is None for t in plain.turns)


def test_noscribe_header_is_metadata_and_overlaps_are_split() -> None:
    transcript = read(FIXTURES / "synthetic_noscribe.txt")
    assert transcript.metadata["title"] == "Interview with a farmer"
    assert transcript.metadata["language"] == "de"
    assert transcript.metadata["transcriber"] == "noScribe 0.6"
    assert said(transcript) == [
        ("", "(5 seconds pause)"),
        ("S01", "Guten Tag."),
        ("S00", "Hallo."),
        ("S01", "Wie geht es Ihnen heute?"),
        ("S00", "Gut, danke. (..) Die Ernte war gut."),
        ("S01", "Das freut mich."),
    ]
    assert [t.timestamp for t in transcript.turns] == [None, 5.0, None, None, 9.0, 15.0]


def test_bracketed_labels_skip_transcription_marks() -> None:
    transcript = read(FIXTURES / "synthetic_bracketed.txt")
    assert said(transcript)[2] == ("Anna", "I agree about the slides.\n\n[inaudible]")


def test_markdown_title_and_bold_labels() -> None:
    transcript = read(FIXTURES / "synthetic_markdown.md")
    assert transcript.metadata["title"] == "Interview 4"
    assert transcript.metadata["format"] == "md"
    assert said(transcript)[0] == ("Interviewer", "How did the pilot go?")


def test_unlabelled_text_is_one_turn_per_paragraph() -> None:
    transcript = read(FIXTURES / "synthetic_no_labels.txt")
    assert said(transcript) == [
        (
            "",
            "I started the course in January. At first it was hard\nto keep up with the readings.",
        ),
        ("", "Later I found a study group, and that helped a lot."),
        ("", "By the end I felt confident."),
    ]


def test_crlf_bom_and_windows_1252_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "interview.txt"
    path.write_bytes(b"\xef\xbb\xbfInterviewer: Hello?\r\n\r\nParticipant: Hi.\r\n")
    transcript = read(path)
    assert transcript.text == "Interviewer: Hello?\n\nParticipant: Hi.\n"
    assert transcript.metadata["encoding"] == "utf-8"
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes("Interviewer: Ça coûte 5 €?\rParticipant: Oui – trop.\r".encode("cp1252"))
    transcript = read(legacy)
    assert transcript.metadata["encoding"] == "cp1252"
    assert said(transcript) == [("Interviewer", "Ça coûte 5 €?"), ("Participant", "Oui – trop.")]
    wide = tmp_path / "wide.txt"
    wide.write_bytes("Interviewer: Grüße\nParticipant: Hallo".encode("utf-16"))
    transcript = read(wide)
    assert transcript.metadata["encoding"] == "utf-16"
    assert transcript.speakers == ["Interviewer", "Participant"]


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("Interviewer 1", "Interviewer1", True),
        ("Interviewer 1", " interviewer 1 :", True),
        ("Interviewee1 ", "interviewee1", True),
        ("Interviewer2 2", "Interviewer2", True),
        ("Mr. Dauber", "Mr Dauber", True),
        ("[id1]", "id1", True),
        ("Speaker 1", "Speaker 2", False),
        ("Interviewer 1", "Interviewer 2", False),
        ("Interviewer", "Interviewee", False),
    ],
)
def test_speaker_keys(first: str, second: str, same: bool) -> None:
    assert (speaker_key(first) == speaker_key(second)) is same


def test_bare_role_merges_only_with_a_single_numbered_variant() -> None:
    names = SpeakerNames()
    for raw in ["Interviewer 1", "Interviewer 1", "interviewer", "Interviewee"]:
        names.add(raw)
    assert names.display("interviewer") == "Interviewer 1"
    ambiguous = SpeakerNames()
    for raw in ["Interviewer 1", "Interviewer 2", "Interviewer"]:
        ambiguous.add(raw)
    assert ambiguous.display("Interviewer") == "Interviewer"
    assert ambiguous.display("Interviewer 2") == "Interviewer 2"
    unknown = SpeakerNames()
    unknown.add("Unknown Speaker")
    assert unknown.display("Unknown Speaker") == ""


def test_label_recognition_needs_evidence() -> None:
    # One "Results:" line is a sentence; a role word, a recurring name or a timestamp is a label
    assert find_labels("Results: nothing changed.\nAnd then we left.") == []
    assert [lab.raw for lab in find_labels("Interviewer: hi\n")] == ["Interviewer"]
    assert [lab.raw for lab in find_labels("Dana: hi\n\nDana: again\n")] == ["Dana", "Dana"]
    assert [lab.raw for lab in find_labels("Dana [00:01]: hi\n")] == ["Dana"]
    assert find_labels("see https://example.org: the site\n") == []
    assert find_labels("Note: one\n\nNote: two\n\nNote: three\n") == []


def test_parse_timestamp() -> None:
    assert parse_timestamp("[00:01:02]") == 62.0
    assert parse_timestamp("1:02") == 62.0
    assert parse_timestamp("0:0:1.5") == 1.5
    assert parse_timestamp("(01:00:00,250)") == 3600.25


def test_noscribe_auto_language_is_not_a_language(tmp_path: Path) -> None:
    path = tmp_path / "auto.txt"
    path.write_text(
        "Visit\n\nTranscribed with noScribe vers. 0.5\nAudio file: a.mp3\n"
        "(Language: Auto | Speaker detection: auto)\n\nS00: [00:00:01] Hallo.\n",
        encoding="utf-8",
    )
    transcript = read(path)
    assert "language" not in transcript.metadata
    assert transcript.metadata["audio_file"] == "a.mp3"
    assert said(transcript) == [("S00", "Hallo.")]
