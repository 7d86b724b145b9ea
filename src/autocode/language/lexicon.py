"""What autocode knows of a language: the words and sentences that carry nothing to code.

A lexicon (`autocode/data/languages/<code>.json`) holds, for one language:
- `fillers`: words that are never a keyword or part of a code's label ("uh", "allora", "halt");
- `filler_phrases`: word sequences of the same kind ("you know", "un po'", "sag ich mal");
- `backchannels`: whole sentences that are only a filler or an acknowledgement ("mm-hmm",
  "ja genau", "sì sì"), left out of meaning units;
- `small_talk`: greetings, thanks and call logistics ("thank", "grazie", "aufnahme"), and
  `prototypes`, short sentences of small talk for the embedding rule;
- `interviewer_roles` / `participant_roles`: speaker labels that name a role ("Intervistatore",
  "Befragte", "I"/"B" as in German transcription conventions).
Stop words come from spaCy, which ships a list for each of these languages and many more.

English, German, French, Spanish, Italian, Portuguese and Dutch have a lexicon. Any other
language gets an empty one (`known` False) with spaCy's stop words where spaCy has them: its
candidate codes rest on the embedder alone, which the commands say.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources

DEFAULT_LANGUAGE = "en"
LEXICON_LANGUAGES = ("de", "en", "es", "fr", "it", "nl", "pt")
# Interviewer roles of languages with no lexicon yet, seen in real projects (Hungarian NVivo).
_OTHER_INTERVIEWER_ROLES = ("kérdező",)


@dataclass(frozen=True)
class Lexicon:
    """The language-bound word lists of one language (see the module docstring)."""

    code: str
    name: str
    known: bool
    fillers: frozenset[str] = frozenset()
    filler_phrases: tuple[tuple[str, ...], ...] = ()
    backchannels: tuple[str, ...] = ()
    small_talk: frozenset[str] = frozenset()
    prototypes: tuple[str, ...] = ()
    interviewer_roles: tuple[str, ...] = ()
    participant_roles: tuple[str, ...] = ()

    @cached_property
    def stop_words(self) -> frozenset[str]:
        """spaCy's stop words of the language plus this lexicon's fillers; read on first use
        (spaCy's language modules take about a second each to import)."""
        return _spacy_stop_words(self.code) | self.fillers


def _spacy_stop_words(code: str) -> frozenset[str]:
    if not code.isalpha():
        return frozenset()
    try:
        module = importlib.import_module(f"spacy.lang.{code}.stop_words")
    except ImportError:
        return frozenset()
    return frozenset(getattr(module, "STOP_WORDS", ()))


@lru_cache(maxsize=64)
def lexicon(code: str | None) -> Lexicon:
    """The lexicon of an ISO 639-1 code (None: English, autocode's default)."""
    code = (code or DEFAULT_LANGUAGE).lower()
    if code not in LEXICON_LANGUAGES:
        return Lexicon(code, code, False)
    source = resources.files("autocode") / "data" / "languages" / f"{code}.json"
    data = json.loads(source.read_text(encoding="utf-8"))
    return Lexicon(
        code=code,
        name=data["name"],
        known=True,
        fillers=frozenset(data["fillers"]),
        filler_phrases=tuple(tuple(phrase.split()) for phrase in data["filler_phrases"]),
        backchannels=tuple(data["backchannels"]),
        small_talk=frozenset(data["small_talk"]),
        prototypes=tuple(data["prototypes"]),
        interviewer_roles=tuple(data["interviewer_roles"]),
        participant_roles=tuple(data["participant_roles"]),
    )


@lru_cache(maxsize=1)
def all_interviewer_roles() -> tuple[str, ...]:
    """Interviewer role names of every language, for labels read before the language is known."""
    found = [role for code in LEXICON_LANGUAGES for role in lexicon(code).interviewer_roles]
    return tuple(dict.fromkeys([*found, *_OTHER_INTERVIEWER_ROLES]))


@lru_cache(maxsize=1)
def all_participant_roles() -> tuple[str, ...]:
    """Participant role names of every language."""
    found = [role for code in LEXICON_LANGUAGES for role in lexicon(code).participant_roles]
    return tuple(dict.fromkeys(found))
