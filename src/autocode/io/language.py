"""The language of a transcript just read, recorded in its metadata."""

from __future__ import annotations

from autocode.language.detect import detect_language, primary_subtag, spoken_text
from autocode.types import Transcript

CONFIDENT_DETECTION = 0.99  # over a whole transcript the detector is rarely less sure


def set_language(transcript: Transcript, language: str | None = None) -> Transcript:
    """Record the transcript's language in `metadata["language"]`, and where it came from in
    `metadata["language_source"]`: "given" (`language`), "file" (the language the file names),
    or "detected" from what is said (with the detector's probability). Files name the wrong
    language often enough (noScribe's German test interview says "English (en)") that a
    confident detection of another language wins; the file's word is kept as
    `metadata["file_language"]`. A text too short to tell keeps the file's language or none."""
    metadata = transcript.metadata
    if language:
        metadata["language"], metadata["language_source"] = language, "given"
        return transcript
    named = metadata.get("language")
    spans = [(turn.start, turn.end) for turn in transcript.turns]
    guess = detect_language(spoken_text(transcript.text, spans))
    named_code = primary_subtag(named)
    if guess is None or (named_code is not None and named_code == guess.code):
        if named:
            metadata["language_source"] = "file"
        return transcript
    if named and guess.probability < CONFIDENT_DETECTION:
        metadata["language_source"] = "file"
        return transcript
    if named:
        metadata["file_language"] = named
    metadata["language"], metadata["language_source"] = guess.code, "detected"
    metadata["language_probability"] = guess.probability
    return transcript
