"""The language of a text, offline: py3langid (a fork of langid.py, Lui & Baldwin 2012) with the
model that ships inside the package as a NumPy archive (no pickle, no download).

Transcripts are long, so a few thousand characters decide: the text is sampled from its start,
middle and end (speaker labels, timestamps and bracketed notes make no difference to a character
n-gram model over thousands of characters). A text with fewer than `MIN_LETTERS` letters gets no
guess: a greeting alone says too little.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MIN_LETTERS = 20
SAMPLE_CHARS = 6_000
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


@dataclass(frozen=True)
class LanguageGuess:
    """An ISO 639-1 code ("de") and the detector's probability for it."""

    code: str
    probability: float


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _sample(text: str) -> str:
    if len(text) <= SAMPLE_CHARS:
        return text
    third = SAMPLE_CHARS // 3
    middle = len(text) // 2
    return " ".join((text[:third], text[middle - third // 2 : middle + third // 2], text[-third:]))


def detect_language(text: str) -> LanguageGuess | None:
    """The most likely language of `text`, or None when it has too few letters to tell."""
    sample = _sample(text)
    if len(_LETTER.findall(sample)) < MIN_LETTERS:
        return None
    code, probability = _identifier().classify(sample)
    return LanguageGuess(str(code), round(float(probability), 4))


def primary_subtag(tag: object) -> str | None:
    """ "en-AU" -> "en", "pt_BR" -> "pt"; None for anything that is not a language tag."""
    if not isinstance(tag, str):
        return None
    primary = re.split(r"[-_]", tag.strip())[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def spoken_text(text: str, spans: list[tuple[int, int]]) -> str:
    """The text of the turns (what was said, without labels and headers), or all of it."""
    return "\n".join(text[start:end] for start, end in spans) if spans else text


def languages_of(metadata: Iterable[Mapping[str, Any]]) -> list[str]:
    """The distinct ISO 639-1 codes of transcripts' metadata, in order ("en" when unknown)."""
    return list(dict.fromkeys(primary_subtag(m.get("language")) or "en" for m in metadata))
