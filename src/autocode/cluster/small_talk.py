"""Small talk and interview logistics, recognised before clustering so they form no code.

A participant's "Thank you, perfect", "Can you hear me?", "I'll stop the recording" or a bare
"Yes." carries nothing to code, yet such units are alike and many: clustered, they made the
largest candidate code of 17 real ML-practitioner interviews (428 units, labelled "thank,
perfect, sorry"). A unit of at most `max_words` words is small talk when

1. it has no content word at all (only stop words and fillers: "Uh, yes.", "So, yeah."), or
2. at least `lexicon_share` of its content words are in SMALL_TALK_WORDS, a lexicon of
   greetings, thanks, backchannels and call logistics ("thank", "perfect", "hear", "mute",
   "recording", "question"), or
3. its cosine similarity to one of the PROTOTYPES (short sentences of small talk) reaches
   `prototype_similarity`.

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

_LEXICON = """
    hi hello hey bye goodbye thank thanks welcome pleasure nice meet great perfect awesome cool
    good fine sure alright right correct exactly absolutely definitely totally true indeed
    course sorry excuse pardon appreciate appreciated luck cheers wonderful excellent fantastic
    glad morning afternoon evening day weekend guys everyone hear hearing heard audio mic
    microphone mute muted unmute camera screen record recording recorded consent zoom call
    connection internet chat question questions answer answered repeat interrupt minute minutes
    wait moment second sec ahead start stop interview interesting let
    sounds sound agree follow
"""
SMALL_TALK_WORDS = frozenset(_LEXICON.split())
PROTOTYPES = (
    "Thank you so much.",
    "Hi, nice to meet you.",
    "Can you hear me?",
    "Sorry, could you repeat the question?",
    "Is it okay if I record this interview?",
    "Yes, that's perfect, great.",
    "Okay, sure, go ahead.",
    "Bye, have a good day.",
    "Let me share my screen.",
    "Sorry, I didn't catch that.",
    "Does that answer your question?",
    "You're welcome, my pleasure.",
    "Yeah, yeah, exactly, right.",
    "I think that's all, thanks for having me.",
    "The connection is bad, you're breaking up.",
    "Give me a second.",
)


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
) -> list[str]:
    """For each text, why it is small talk, or "" when it is not.

    `content_words` are the texts' tokens as `autocode.cluster.keywords.tokenize` gives them
    (None where a stop word or filler was); `prototype_similarity` each text's cosine similarity
    to its nearest prototype (None: the prototype rule is not applied).
    """
    reasons = []
    for k, (text, tokens) in enumerate(zip(texts, content_words, strict=True)):
        reason = ""
        if len(text.split()) <= rule.max_words:
            words = [word for word in tokens if word]
            known = [word for word in words if word in SMALL_TALK_WORDS]
            if not words:
                reason = "no content words (only stop words and fillers)"
            elif len(known) >= rule.lexicon_share * len(words):
                reason = "small-talk words: " + ", ".join(dict.fromkeys(known))
            elif prototype_similarity is not None:
                similarity = float(prototype_similarity[k])
                if similarity >= rule.prototype_similarity:
                    reason = f"like small talk (similarity {similarity:.2f} to a prototype)"
        reasons.append(reason)
    return reasons


def is_small_talk_phrase(phrase: str) -> bool:
    """Whether every word of a phrase is in the small-talk lexicon (not a label for a code)."""
    return all(word in SMALL_TALK_WORDS for word in phrase.split())
