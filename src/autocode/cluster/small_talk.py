"""Small talk and interview logistics, recognised before clustering so they form no code.

A participant's "Thank you, perfect", "Can you hear me?", "I'll stop the recording" or a bare
"Yes." carries nothing to code, yet such units are alike and many: clustered, they made the
largest candidate code of 17 real ML-practitioner interviews (428 units, labelled "thank,
perfect, sorry"). A unit of at most `max_words` words is small talk when

1. it has no content word at all (only stop words and fillers: "Uh, yes.", "So, yeah."), or
2. at least `lexicon_share` of its content words are in the small-talk lexicon of its language
   (autocode.language.lexicon; English: SMALL_TALK_WORDS), greetings, thanks, backchannels and
   call logistics ("thank", "perfect", "hear", "mute", "recording", "question"), or
3. its cosine similarity to one of the prototypes of its language (short sentences of small
   talk; English: PROTOTYPES) reaches `prototype_similarity`.

Each rule gives the reason shown for the unit (e.g. "small-talk words: thank, perfect"), so a
researcher can check every decision. Nothing is dropped: small-talk units are listed in the
report and in units.csv with membership "small_talk", and the rule is switched off with
`ClusterConfig(small_talk=False)` (`--keep-small-talk` on the command line).

Where the numbers come from (the 129 theme-coded seed excerpts, none of them small talk, and the
3,562 meaning units of the 19 ML-practitioner interviews in ../shared/testdata):
- `prototype_similarity` 0.45: the most similar seed excerpt to any prototype is at 0.44 (its
  99th percentile 0.30), so no hand-coded excerpt of the seed study would be taken for small
  talk. On the 19 interviews 71 units reach 0.45, nearly all of them thanks, goodbyes and call
  talk ("Uh, gimme, please tell me more." at 0.46 is the kind of miss it makes).
- `max_words` 25 and `lexicon_share` 0.75: of the interviews' units of at most 25 words, those
  passing the lexicon rule are thanks, goodbyes, backchannels and call logistics, with the odd
  fragment of little content ("So I I'd say that this part is a good one."); a longer unit with
  "thank you" in it usually also says something. The units with no content word at all are
  fragments ("Across it are", "Uh, yes."): listed with that reason, not as a code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from autocode.language import lexicon

SMALL_TALK_WORDS = lexicon("en").small_talk
PROTOTYPES = lexicon("en").prototypes


@dataclass(frozen=True)
class SmallTalkRule:
    """Settings of the small-talk rule (see the module docstring for where they come from)."""

    max_words: int = 25
    lexicon_share: float = 0.75
    prototype_similarity: float = 0.45


def small_talk_reasons(
    texts: Sequence[str],
    content_words: Sequence[Sequence[str | None]],
    prototype_similarity: np.ndarray | None = None,
    rule: SmallTalkRule = SmallTalkRule(),
    languages: Sequence[str | None] | None = None,
    thresholds: np.ndarray | None = None,
) -> list[str]:
    """For each text, why it is small talk, or "" when it is not.

    `content_words` are the texts' tokens as `autocode.cluster.keywords.tokenize` gives them
    (None where a stop word or filler was); `prototype_similarity` each text's cosine similarity
    to its nearest prototype of its language (None: the prototype rule is not applied);
    `languages` each text's ISO 639-1 code, whose small-talk lexicon is used (None: English);
    `thresholds` each text's prototype threshold (None: the rule's).
    """
    codes = languages or [None] * len(texts)
    reasons = []
    for k, (text, tokens) in enumerate(zip(texts, content_words, strict=True)):
        reason = ""
        if len(text.split()) <= rule.max_words:
            words = [word for word in tokens if word]
            small_talk = lexicon(codes[k]).small_talk
            known = [word for word in words if word in small_talk]
            if not words:
                reason = "no content words (only stop words and fillers)"
            elif len(known) >= rule.lexicon_share * len(words):
                reason = "small-talk words: " + ", ".join(dict.fromkeys(known))
            elif prototype_similarity is not None:
                similarity = float(prototype_similarity[k])
                least = rule.prototype_similarity if thresholds is None else float(thresholds[k])
                if similarity >= least:
                    reason = f"like small talk (similarity {similarity:.2f} to a prototype)"
        reasons.append(reason)
    return reasons


def prototypes_for(language: str | None) -> tuple[str, ...]:
    """The small-talk prototypes of a language; English ones for a language without a lexicon
    (a multilingual embedder matches them across languages)."""
    found = lexicon(language)
    return found.prototypes if found.known else PROTOTYPES


def is_small_talk_phrase(phrase: str, languages: Sequence[str | None] = (None,)) -> bool:
    """Whether every word of a phrase is in the small-talk lexicon of one of `languages` (then
    it is not a label for a code)."""
    words = phrase.split()
    return any(all(word in lexicon(code).small_talk for word in words) for code in languages)
