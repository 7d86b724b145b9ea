"""Subtitle transcripts (.vtt, .srt) from Zoom, Teams, noScribe, YouTube and whisper.cpp."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from autocode.errors import InputError
from autocode.io import read
from autocode.types import Transcript

FIXTURES = Path(__file__).parent / "fixtures" / "io"


def said(transcript: Transcript) -> list[tuple[str, str]]:
    return [(t.speaker, transcript.text[t.start : t.end]) for t in transcript.turns]


@pytest.mark.parametrize(
    "name",
    [
        "webvttpy_teams_timeframe.vtt",
        "webvttpy_youtube_dl.vtt",
        "webvttpy_comments.vtt",
        "webvttpy_cue_tags.vtt",
        "webvttpy_styles2.srt",
        "whispercpp_jfk_wordlevel.srt",
        "synthetic_zoom.vtt",
        "synthetic_noscribe.vtt",
    ],
)
def test_caption_files_keep_the_invariants(
    name: str, check_transcript: Callable[[Transcript], None]
) -> None:
    transcript = read(FIXTURES / name)
    check_transcript(transcript)
    assert transcript.metadata["format"] == Path(name).suffix[1:]
    assert all(turn.timestamp is not None for turn in transcript.turns)


def test_text_is_speaker_lines_and_turns_point_after_the_label() -> None:
    transcript = read(FIXTURES / "webvttpy_teams_timeframe.vtt")
    assert (
        transcript.text == "Yuri Bakulin: There you go.\nAdrian Petrescu: Why hello there, Yuri.\n"
    )
    assert said(transcript) == [
        ("Yuri Bakulin", "There you go."),
        ("Adrian Petrescu", "Why hello there, Yuri."),
    ]
    assert [t.timestamp for t in transcript.turns] == [0.0, 0.21]  # "0:0:0.210"


def test_zoom_labels_and_consecutive_cues_of_one_speaker_merge() -> None:
    transcript = read(FIXTURES / "synthetic_zoom.vtt")
    assert said(transcript) == [
        ("Dana Whitfield", "Okay, we're recording now. Let's begin with introductions."),
        (
            "Luis Ortega",
            "Hi, I'm Luis. I work on the night shift. Mostly in the emergency department.",
        ),
        ("Dana Whitfield", "Thanks, Luis."),
    ]
    assert [t.timestamp for t in transcript.turns] == [1.0, 7.5, 15.5]


def test_noscribe_voices_without_closing_tag_malformed_voice_and_overlaps() -> None:
    transcript = read(FIXTURES / "synthetic_noscribe.vtt")
    assert transcript.metadata["title"] == "Interview with a farmer"
    assert transcript.metadata["notes"] == ["Transcribed with noScribe vers. 0.6"]
    as_text = read(FIXTURES / "synthetic_noscribe.txt")  # the same interview as noScribe text
    assert said(transcript)[:5] == said(as_text)[:5]
    assert said(transcript)[5:] == [("S02", "Wirklich?"), ("S01", "Ja.")]  # "<v //S02>"
    assert [t.timestamp for t in transcript.turns][:3] == [0.0, 5.0, 5.0]


def test_youtube_rolling_captions_are_deduplicated() -> None:
    transcript = read(FIXTURES / "webvttpy_youtube_dl.vtt")
    assert said(transcript) == [("", "yeah what this will happen is I'm telling")]
    assert transcript.turns[0].timestamp == pytest.approx(286.07)
    assert transcript.metadata["language"] == "en"


def test_word_level_srt_is_merged_back_into_a_sentence() -> None:
    transcript = read(FIXTURES / "whispercpp_jfk_wordlevel.srt")
    assert said(transcript) == [
        (
            "",
            "And so my fellow Americans, ask not what your country can do for you, "
            "ask what you can do for your country.",
        )
    ]
    assert transcript.turns[0].timestamp == pytest.approx(0.32)  # the first cue is empty


def test_unknown_speaker_cues_become_one_turn_per_sentence(tmp_path: Path) -> None:
    path = tmp_path / "plain.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nWe planted in\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\nMarch.\n\n"
        "3\n00:00:04,000 --> 00:00:05,500\nThen it rained &amp; rained.\n",
        encoding="utf-8",
    )
    transcript = read(path)
    assert said(transcript) == [("", "We planted in March."), ("", "Then it rained & rained.")]
    assert [t.timestamp for t in transcript.turns] == [1.0, 4.0]


def test_notes_header_tags_and_dialogue_dashes() -> None:
    comments = read(FIXTURES / "webvttpy_comments.vtt")
    assert comments.metadata["title"] == "Translation of that film I like"
    assert len(comments.metadata["notes"]) == 2
    assert said(comments)[:2] == [("", "Ta en kopp varmt te."), ("", "Det är inte varmt.")]
    styled = read(FIXTURES / "webvttpy_styles2.srt")
    assert said(styled)[0] == (
        "",
        "Musique douce Some italic and normal coloured text. By the way, 2 < 3 !",
    )
    karaoke = read(FIXTURES / "webvttpy_cue_tags.vtt")
    assert said(karaoke) == [
        ("", "When the moon hits your eye Like a big-a pizza pie That's amore")
    ]
    assert karaoke.turns[0].timestamp == 16.5  # "00:16.500": no hours


@pytest.mark.parametrize(
    ("name", "line"),
    [("webvttpy_invalid_timeframe.vtt", "line 6"), ("webvttpy_missing_timeframe.vtt", "line 6")],
)
def test_broken_cue_timings_are_input_errors(name: str, line: str) -> None:
    with pytest.raises(InputError) as caught:
        read(FIXTURES / name)
    assert name in str(caught.value)
    assert line in str(caught.value)
    assert "\n" not in str(caught.value)


def test_minutes_past_59_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.vtt"
    path.write_text("WEBVTT\n\n00:61:00.000 --> 00:62:00.000\nHello\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.vtt: line 3: cannot read the cue timing"):
        read(path)


def test_a_vtt_without_cues_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.vtt"
    path.write_text("WEBVTT\n\nNOTE nothing here yet\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.vtt: no transcript text found"):
        read(path)


def test_zoom_names_written_once_still_count_when_every_cue_is_labelled(tmp_path: Path) -> None:
    path = tmp_path / "short_call.vtt"
    path.write_text(
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\n"
        "Dana Whitfield: We start now. //Luis Ortega: Okay. // Any questions?\n\n"
        "2\n00:00:05.000 --> 00:00:06.000\nLuis Ortega: None.\n",
        encoding="utf-8",
    )
    assert said(read(path)) == [
        ("Dana Whitfield", "We start now."),
        ("Luis Ortega", "Okay."),
        ("Dana Whitfield", "Any questions?"),
        ("Luis Ortega", "None."),
    ]
    lecture = tmp_path / "lecture.srt"
    cues = ["Welcome back.", "Today: soil and water.", "First the soil.", "Then the water."]
    lecture.write_text(
        "".join(
            f"{n}\n00:00:0{n},000 --> 00:00:0{n},900\n{cue}\n\n" for n, cue in enumerate(cues, 1)
        ),
        encoding="utf-8",
    )
    transcript = read(lecture)
    assert transcript.speakers == [""]
    assert said(transcript)[1] == ("", "Today: soil and water.")
