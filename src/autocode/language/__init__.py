"""Languages: which language a transcript is in, and what autocode knows of each language.

- `detect`: the language of a text, offline (py3langid's bundled model, 97 languages).
- `lexicon`: per language, the words and sentences that carry nothing to code (fillers,
  backchannels, small talk, stop words) and the names of interview roles. English, German,
  French, Spanish, Italian, Portuguese and Dutch have a lexicon; any other language falls back
  to spaCy's stop words where spaCy has them and to the embedder alone otherwise.
"""

from autocode.language.detect import (
    LanguageGuess,
    detect_language,
    languages_of,
    primary_subtag,
)
from autocode.language.lexicon import (
    DEFAULT_LANGUAGE,
    LEXICON_LANGUAGES,
    Lexicon,
    all_interviewer_roles,
    all_participant_roles,
    lexicon,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LEXICON_LANGUAGES",
    "LanguageGuess",
    "Lexicon",
    "all_interviewer_roles",
    "all_participant_roles",
    "detect_language",
    "languages_of",
    "lexicon",
    "primary_subtag",
]
