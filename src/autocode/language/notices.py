"""What a command tells the researcher about the languages of what it read."""

from __future__ import annotations

from collections.abc import Iterable

from autocode.language.lexicon import lexicon


def lexicon_notices(languages: Iterable[str]) -> list[str]:
    """One line for each language autocode has no lexicon for."""
    lines = []
    for code in languages:
        found = lexicon(code)
        if found.known:
            continue
        stops = "spaCy's stop words" if found.stop_words else "no stop words"
        lines.append(
            f"no lexicon for language {code!r}: candidate codes use {stops} and the embedder "
            "alone (no fillers, backchannels or small-talk words of that language)"
        )
    return lines


def backend_notice(languages: Iterable[str], backend: str) -> str:
    return (
        f"interviews in {', '.join(languages)}: embedding with the {backend} backend "
        "(multilingual-e5-small); `--backend torch` keeps the English model"
    )
