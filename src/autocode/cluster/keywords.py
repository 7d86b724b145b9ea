"""Keywords of groups of texts by class-based TF-IDF (c-TF-IDF, as in BERTopic).

Texts are tokenised with spaCy's blank tokenizer of their language (no model needed),
lowercased, and stripped of stop words (spaCy's list for the language), punctuation, numbers, the
fillers of spoken interviews in that language ("uh", "you know", "allora", "sag ich mal"; see
autocode.language.lexicon) and anonymisation placeholders ("XXXX", "[redacted]"). In English,
plurals are folded onto a singular form that also occurs in the texts ("models" -> "model").
When a trained spaCy pipeline is named, its lemmas are used instead. Terms are single words and
pairs of words that stand next to each other in the text (nothing removed between them), so
"scope creep" is a term but "lack communication" is not.

c-TF-IDF scores a term t for a group c as  tf(t, c) * log(1 + A / f(t))  where tf is the term's
share of the group's terms, f(t) its count over all groups and A the mean number of terms per
group: words frequent everywhere score low, words concentrated in one group score high.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any

from autocode.errors import InputError
from autocode.language import DEFAULT_LANGUAGE, lexicon

WORD = re.compile(r"[^\W\d_][^\W_]*")
PLACEHOLDER = re.compile(r"x{2,}|redacted|anonymi[sz]ed")


@lru_cache(maxsize=16)
def _pipeline(model: str | None, language: str = DEFAULT_LANGUAGE) -> Any:
    import spacy

    if model is None:
        try:
            return spacy.blank(language)
        except Exception:  # a language spaCy does not know, or one needing extra packages
            return spacy.blank("xx")
    try:
        nlp = spacy.load(model)
    except OSError as error:
        raise InputError(model, f"cannot load spaCy pipeline: {error}") from None
    # Lemmas need the tagger and attribute ruler, not the parser or entity recogniser.
    nlp.select_pipes(disable=[p for p in ("parser", "ner", "textcat") if p in nlp.pipe_names])
    return nlp


def stop_words(language: str | None = None) -> frozenset[str]:
    """spaCy's stop words of the language plus its interview fillers (default English)."""
    return lexicon(language).stop_words


def _drop_phrases(
    words: list[str | None], phrases: tuple[tuple[str, ...], ...]
) -> list[str | None]:
    """Blank out the filler phrases (kept as None so no bigram spans the gap)."""
    out = list(words)
    for i in range(len(out)):
        for phrase in phrases:
            if tuple(out[i : i + len(phrase)]) == phrase:
                out[i : i + len(phrase)] = [None] * len(phrase)
    return out


def tokenize(
    texts: Sequence[str],
    *,
    spacy_model: str | None = None,
    languages: Sequence[str | None] | None = None,
) -> list[list[str | None]]:
    """Content words of each text in order, with None where something was removed.

    `languages` gives each text's ISO 639-1 code (None, or no list: English): its spaCy
    tokenizer, stop words and fillers are used. `spacy_model` names a trained pipeline (e.g.
    "en_core_web_sm") whose lemmas replace the words; None uses the blank tokenizer and, for
    English, folds plurals instead.
    """
    codes = [code or DEFAULT_LANGUAGE for code in (languages or [None] * len(texts))]
    if len(codes) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(codes)} languages")
    sequences: list[list[str | None]] = [[] for _ in texts]
    for language in dict.fromkeys(codes):
        rows = [k for k, code in enumerate(codes) if code == language]
        found = _tokenize_one_language([texts[k] for k in rows], spacy_model, language)
        for k, words in zip(rows, found, strict=True):
            sequences[k] = words
    return sequences


def _tokenize_one_language(
    texts: Sequence[str], spacy_model: str | None, language: str
) -> list[list[str | None]]:
    nlp = _pipeline(spacy_model, language)
    words_of = lexicon(language)
    stops = words_of.stop_words
    docs = nlp.pipe(texts) if spacy_model else nlp.tokenizer.pipe(texts)
    sequences: list[list[str | None]] = []
    for doc in docs:
        # "scope-creep" is tokenised scope / - / creep: drop the joining hyphen so the two
        # words stay adjacent and form a bigram.
        tokens = [
            t for t in doc if not (t.text == "-" and t.i > 0 and not doc[t.i - 1].whitespace_)
        ]
        raw: list[str | None] = [token.lower_ for token in tokens]
        kept: list[str | None] = []
        for token, word in zip(tokens, _drop_phrases(raw, words_of.filler_phrases), strict=True):
            if (
                word is None
                or word in stops
                or word.rstrip("'’") in stops
                or len(word) < 2
                or not WORD.fullmatch(word)
                or PLACEHOLDER.fullmatch(word)
            ):
                kept.append(None)
            else:
                kept.append(token.lemma_.lower() if spacy_model else word)
        sequences.append(kept)
    if spacy_model is None and language == DEFAULT_LANGUAGE:
        sequences = _fold_plurals(sequences)
    return sequences


def _fold_plurals(sequences: list[list[str | None]]) -> list[list[str | None]]:
    vocabulary = {word for words in sequences for word in words if word}

    def singular(word: str) -> str:
        if len(word) < 4 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
            return word
        if word.endswith("ies") and word[:-3] + "y" in vocabulary:
            return word[:-3] + "y"
        return word[:-1] if word[:-1] in vocabulary else word

    return [[singular(w) if w else None for w in words] for words in sequences]


def terms(words: Sequence[str | None]) -> list[str]:
    """Unigrams and adjacent bigrams of one tokenised text."""
    found = [w for w in words if w]
    found += [f"{a} {b}" for a, b in pairwise(words) if a and b and a != b]
    return found


def class_tfidf(
    term_lists: Sequence[Sequence[str]],
    groups: Sequence[Hashable],
    *,
    top: int = 8,
    min_texts: int = 2,
    exclude: Iterable[Hashable] = (),
) -> dict[Hashable, list[tuple[str, float]]]:
    """The `top` terms of each group by c-TF-IDF, best first, as (term, score).

    Every group (including those in `exclude`, e.g. outliers) counts towards the IDF; groups in
    `exclude` get no keywords. A term must occur in at least `min_texts` of a group's texts to be
    a keyword of it (relaxed to 1 when nothing passes). Ties are broken alphabetically.
    """
    counts: dict[Hashable, Counter[str]] = {}
    text_counts: dict[Hashable, Counter[str]] = {}
    for group, found in zip(groups, term_lists, strict=True):
        counts.setdefault(group, Counter()).update(found)
        text_counts.setdefault(group, Counter()).update(set(found))
    totals: Counter[str] = Counter()
    for counter in counts.values():
        totals.update(counter)
    if not totals:
        return {group: [] for group in counts if group not in set(exclude)}
    mean_terms = sum(totals.values()) / len(counts)
    skip = set(exclude)
    result: dict[Hashable, list[tuple[str, float]]] = {}
    for group, counter in counts.items():
        if group in skip:
            continue
        size = sum(counter.values())
        scored = [
            (term, (count / size) * math.log(1 + mean_terms / totals[term]))
            for term, count in counter.items()
        ]
        for needed in (min_texts, 1):
            chosen = [item for item in scored if text_counts[group][item[0]] >= needed]
            if chosen:
                break
        chosen.sort(key=lambda item: (-item[1], item[0]))
        result[group] = chosen[:top]
    return result


def keyword_label(keywords: Sequence[str], length: int = 3) -> str:
    """Up to `length` keywords, best first, without repeating a word: a phrase replaces the
    single words it contains, and a keyword whose words are all shown already is skipped."""
    chosen: list[str] = []
    covered: set[str] = set()
    for keyword in keywords:
        words = set(keyword.split())
        if words <= covered:
            continue
        subsumed = [i for i, earlier in enumerate(chosen) if set(earlier.split()) < words]
        if subsumed:  # "scope" then "scope creep": the phrase takes the word's place
            chosen[subsumed[0]] = keyword
            chosen = [c for i, c in enumerate(chosen) if i not in subsumed[1:]]
        elif len(chosen) < length:
            chosen.append(keyword)
        else:
            continue
        covered |= words
    return ", ".join(chosen)
