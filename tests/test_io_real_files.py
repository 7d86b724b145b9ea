"""Every transcript and survey file of ../shared/testdata reads, with the speakers it has."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from autocode.io import read, read_many
from autocode.types import Transcript

ML = "coded/ml_quality_interviews/transcripts"
PDPILOT = "coded/pdpilot_ml_interviews/derived_transcripts_txt"
SURVEY = "coded/exam_proctoring_survey"
ML_INTERVIEWS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 30]

# Speaker sets read off the files by hand (grep of the label lines, then the odd lines)
EXPECTED_SPEAKERS = {
    f"{ML}/Interview_2.txt": {"Interviewer1", "Interviewer2", "Interviewee1"},
    f"{ML}/Interview_3.txt": {"Interviewer 1", "Interviewer 2", "Interviewee", ""},
    f"{ML}/Interview_5.txt": {"Interviewer", "Interviewee"},
    f"{ML}/Interview_6.txt": {"Interviewer1", "Interviewer2", "Interviewer3", "Interviewee"},
    f"{ML}/Interview_7.txt": {"Interviewer1", "Interviewer2", "Interviewer 3", "Interviewee"},
    f"{ML}/Interview_10.txt": {"interviewer", "interviewee"},
    f"{ML}/Interview_11.txt": {"Interviewer 1", "Interviewee"},
    f"{ML}/Interview_12.txt": {"Interviewer 1", "Interviewer 2", "Interviewee"},
    f"{ML}/Interview_20.txt": {"Interviewer 1", "Interviewee", ""},
    "transcripts/txt/qc_demo_admin-1_interview.txt": {"Max Bigman", "admin-1", "Automation"},
    "transcripts/txt/qualcoder_example_transcript.txt": {"id1", "id2", "id3"},
    "transcripts/txt/noscribe_interview_de.txt": {"", "S00", "S01", "S02"},
    "transcripts/txt/noscribe_interview_de.html": {"", "S00", "S01", "S02"},
    "transcripts/vtt_srt/noscribe_interview_de.vtt": {"", "S00", "S01", "S02"},
    "transcripts/vtt_srt/webvttpy_teams_timeframe.vtt": {"Yuri Bakulin", "Adrian Petrescu"},
    "transcripts/vtt_srt/webvttpy_youtube_dl.vtt": {""},
    "transcripts/vtt_srt/whispercpp_jfk_wordlevel.srt": {""},
    "transcripts/docx_odt/qualcoder_example_ID1.docx": {""},
    "transcripts/docx_odt/qualcoder_example_ID2.odt": {""},
    "transcripts/docx_odt/llmcode_bopp_test_input.docx": {""},
    **{f"{PDPILOT}/P{n}.txt": {"Dan", "Participant"} for n in range(1, 8)},
}
# Turns = label lines in the file (a few labels open no text and give no turn)
EXPECTED_TURNS = {
    f"{ML}/Interview_11.txt": 194,
    f"{ML}/Interview_12.txt": 160,
    f"{ML}/Interview_7.txt": 72,
    "transcripts/txt/qc_demo_admin-1_interview.txt": 86,
    "transcripts/txt/qc_demo_board_2017_meeting.txt": 131,
    "transcripts/txt/qualcoder_example_transcript.txt": 7,
    "transcripts/txt/noscribe_interview_de.txt": 99,
    "transcripts/txt/noscribe_interview_de.html": 99,
    "transcripts/docx_odt/llmcode_bopp_test_input.docx": 90,
    f"{PDPILOT}/P1.txt": 94,
    f"{PDPILOT}/P2.txt": 165,
}
TRANSCRIPT_FILES = sorted(
    {*EXPECTED_SPEAKERS, "transcripts/txt/qc_demo_board_2017_meeting.txt"}
    | {f"{ML}/Interview_{n}.txt" for n in ML_INTERVIEWS}
)


def said(transcript: Transcript) -> list[tuple[str, str]]:
    return [(t.speaker, transcript.text[t.start : t.end]) for t in transcript.turns]


@pytest.mark.parametrize("relative", TRANSCRIPT_FILES)
def test_transcript_reads_with_plausible_speakers(
    testdata: Path, relative: str, check_transcript: Callable[[Transcript], None]
) -> None:
    transcript = read(testdata / relative)
    check_transcript(transcript)
    assert transcript.id == Path(relative).stem
    assert transcript.metadata["format"] == Path(relative).suffix[1:]
    named = [s for s in transcript.speakers if s]
    assert len(named) <= 45
    if relative in EXPECTED_SPEAKERS:
        assert set(transcript.speakers) == EXPECTED_SPEAKERS[relative]
    if relative in EXPECTED_TURNS:
        assert len(transcript.turns) == EXPECTED_TURNS[relative]


@pytest.mark.parametrize("number", ML_INTERVIEWS)
def test_ml_interviews_have_one_interviewee_and_interviewers(testdata: Path, number: int) -> None:
    transcript = read(testdata / ML / f"Interview_{number}.txt")
    roles = Counter(re.sub(r"[\d\s]", "", s.casefold()) for s in transcript.speakers if s)
    assert roles["interviewee"] == 1
    assert 1 <= roles["interviewer"] <= 3
    assert set(roles) == {"interviewee", "interviewer"}
    # the interviewee speaks in about half of the turns or more
    counts = Counter(t.speaker for t in transcript.turns)
    interviewee = next(s for s in counts if s.casefold().startswith("interviewee"))
    assert counts[interviewee] >= 0.4 * len(transcript.turns)


def test_ml_interview_spelling_variants_are_merged(testdata: Path) -> None:
    seventh = read(testdata / ML / "Interview_7.txt")
    aliases = seventh.metadata["speaker_aliases"]
    assert aliases["Interviewer1"] == ["Interviewer1", "Interviewer 1"]
    second = read(testdata / ML / "Interview_2.txt")
    assert second.metadata["speaker_aliases"]["Interviewer2"] == ["Interviewer2", "Interviewer2 2"]
    # " Interviewee1 :" with a leading space is a label too
    assert said(second)[55] == ("Interviewee1", "c'est exactement ça.")


def test_otter_style_lines_in_interview_3(testdata: Path) -> None:
    transcript = read(testdata / ML / "Interview_3.txt")
    turns = said(transcript)
    assert ("", "Are you interested in scaling?") in turns  # "Unknown Speaker" on its own line
    assert (
        "Interviewee",
        "Don't rush it. We reserved the time for an hour. So it's okay.",
    ) in turns


def test_board_meeting_speakers_and_no_timestamp_fragments(testdata: Path) -> None:
    transcript = read(testdata / "transcripts/txt/qc_demo_board_2017_meeting.txt")
    speakers = set(transcript.speakers)
    assert {f"Speaker {n}" for n in range(1, 24)} <= speakers
    assert {"Moderator", "Mr. Tyeri", "Mr. Dauber", "Ms. Ofek", "John", "Com 7"} <= speakers
    assert len(speakers) == 41
    assert not any(s[0].isdigit() or "[" in s for s in speakers)


def test_noscribe_timestamps_in_all_three_formats(testdata: Path) -> None:
    base = testdata / "transcripts"
    text = read(base / "txt/noscribe_interview_de.txt")
    page = read(base / "txt/noscribe_interview_de.html")
    captions = read(base / "vtt_srt/noscribe_interview_de.vtt")
    assert said(text) == said(page)  # same transcript, same turns
    assert text.turns[1].timestamp == 12.0  # "[00:00:12]"
    assert page.turns[1].timestamp == 12.14  # anchor ts_12140_22800_S01
    assert captions.turns[1].timestamp == 34.57  # the cue's own start
    assert text.metadata["title"] == page.metadata["title"] == captions.metadata["title"]
    assert text.metadata["title"].startswith("Ein Gespräch mit Heikedine Körting")
    assert said(text)[:3] == [
        ("", "(12 seconds pause)"),
        (
            "S01",
            "Guten Tag, ich habe heute die große, einmalige Ehre, hier mit Heike Diene Költing "
            "zu sitzen, die, ja, Hörspielgöttin, die Hörspielqueen aus Deutschland sozusagen. (..) "
            "Erstmal, mir ist es eine große Ehre, Sie haben mir meine Kindheit auf jeden Fall "
            "versüßt.",
        ),
        ("S02", "Ist das herrlich."),
    ]
    assert all(t.timestamp is not None for t in captions.turns)


def test_bopp_docx_answers_match_the_coded_texts(testdata: Path) -> None:
    transcript = read(testdata / "transcripts/docx_odt/llmcode_bopp_test_input.docx")
    answers = {text for _, text in said(transcript)}
    with open(testdata / "coded/games_as_art/bopp_test_coded_texts.csv", encoding="utf-8") as f:
        coded = [row["text"] for row in csv.DictReader(f)]
    assert len(coded) == 90
    assert sum(text.strip() in answers for text in coded) >= 85


def test_games_as_art_csv_is_windows_1252(testdata: Path) -> None:
    transcript = read(testdata / "coded/games_as_art/bopp_test.csv")
    meta = transcript.metadata
    assert meta["encoding"] == "cp1252"
    assert meta["text_column"] == "experience"
    assert meta["id_column_choice"] == "none: the row number is the id"
    assert len(transcript.turns) == 174
    assert "\ufffd" not in transcript.text
    reasons = read(testdata / "coded/games_as_art/bopp_test.csv", text_column="why_art")
    assert len(reasons.turns) == 174


def test_exam_proctoring_csvs_have_581_responses_per_coder(
    testdata: Path, check_transcript: Callable[[Transcript], None]
) -> None:
    for coder in ("primary", "secondary"):
        files = sorted((testdata / SURVEY / "irr_inputs").glob(f"*_{coder}.csv"))
        transcripts, errors = read_many(files)
        assert errors == []
        assert len(transcripts) == 14
        assert sum(len(t.turns) for t in transcripts) == 581
        for transcript in transcripts:
            check_transcript(transcript)
            assert transcript.metadata["id_column"] == "ResponseId"
            assert transcript.metadata["text_column"] not in {"ResponseId", "Code 1"}
            assert all(t.speaker.startswith("R_") for t in transcript.turns)


def test_exam_proctoring_xlsx_google_sheets_export(testdata: Path) -> None:
    path = testdata / SURVEY / "Qualitative_Responses_Q3_Q5.xlsx"
    transcript = read(path)
    assert transcript.metadata["sheet"] == "All Responses"
    assert transcript.metadata["text_column"] == "Q5"
    assert transcript.metadata["question"].startswith("To the best of your understanding")
    assert len(transcript.turns) == 125
    assert "DUMMYFUNCTION" not in transcript.text
    primary = read(path, sheet="Q5 (primary)")
    csv_twin = read(testdata / SURVEY / "irr_inputs/Yes_and_No_Q5_primary.csv")
    assert said(primary) == said(csv_twin)
    subjects = read(path, text_column="Q3")
    assert len(subjects.turns) >= 100
