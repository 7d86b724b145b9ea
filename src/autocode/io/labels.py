"""Find the speaker labels at the start of lines in a plain-text transcript.

Styles recognised: "Interviewer:", "P3:", "Q:"/"A:", Rev.com "Name:<spaces>text", "[id1] text"
(QualCoder), "Name [00:01:02]:", "S01: [00:00:12] text" (noScribe), "[00:01:02] Name: text",
Markdown "**Name:** text", and a label alone on its line above the text (Otter: "Name  0:03",
or a label seen elsewhere in the file).

Recognition is conservative: a candidate is a label only when the evidence says so (a role
word, a timestamp, a name that recurs, or the same wide spacing as the file's other labels), so
"Note: the results were..." at the start of a line inside an answer stays part of the answer.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from autocode.io.speakers import clean_label, speaker_key
from autocode.language import all_interviewer_roles, all_participant_roles

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_BRACKETED_TS = rf"[\[(]{_TS}[\])]"
# Bounded repeats: a label is at most 40 characters (longer ones are dropped), and unbounded ones
# make the regex backtrack across a huge single line.
_NAME = r"[^\W\d_][\w.'’&()\-]{0,40}(?:[ \t]{1,40}[\w.'’&()\-]{1,40}){0,4}?"

_COLON_OR_BRACKET = re.compile(
    rf"""^[ \t]*
    (?:(?P<pre_ts>{_BRACKETED_TS}|{_TS})[ \t]+)?
    (?:
        \[(?P<bracket>[^\[\]\n:]{{1,40}})\](?:[ \t]*:)?(?=[ \t]|$)
      | (?:\*\*|__)?(?P<name>{_NAME})(?:[ \t]+(?P<mid_ts>{_BRACKETED_TS}|{_TS}))?
        (?:\*\*|__)?[ \t]*:(?:\*\*|__)?(?=[ \t]|$)
    )
    (?P<gap>[ \t]*)
    (?:(?P<post_ts>{_BRACKETED_TS})[ \t]*)?""",
    re.MULTILINE | re.VERBOSE,
)
_STANDALONE = re.compile(
    rf"^[ \t]*(?P<name>{_NAME})(?:[ \t]+(?P<ts>{_TS}))?[ \t]*\n(?=[ \t]*\S)", re.MULTILINE
)
_TIMESTAMP_PARTS = re.compile(r"(\d+):(\d+)(?::(\d+))?(?:[.,](\d+))?")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


ROLE_WORDS = (
    _word_set(
        """interviewer interviewee interviewers participant participants respondent moderator
        facilitator speaker host guest researcher student teacher child parent patient doctor
        nurse question answer q a i r p int resp ie ir iv child caregiver clinician"""
    )
    | frozenset(all_interviewer_roles())  # "Intervistatore", "Entrevistadora", "Befragte"
    | frozenset(all_participant_roles())
)
# Line-initial words followed by a colon that introduce something other than a speaker.
NOT_SPEAKERS = _word_set(
    """note notes nb ps example examples eg edit update source sources subject re fw
    fwd date time location place duration length title topic project file transcript
    transcriber recorded recording language interview keywords attendees present agenda
    summary http https www warning caution important tip hint comment comments
    inaudible crosstalk laughter laughs laughing pause silence music unintelligible noise
    applause cough overlapping indistinct unclear background break end start"""
) | {"e g", "i e"}
_LOWERCASE_PARTICLES = _word_set("de van von der den da di du la le of the and y bin al")


@dataclass(frozen=True)
class LabelLine:
    """A recognised label: the turn it opens starts at `content_start`."""

    line_start: int  # where the label's line starts: the previous turn ends before it
    raw: str
    content_start: int
    timestamp: float | None


@dataclass(frozen=True)
class _Candidate:
    label: LabelLine
    key: str
    wide_gap: bool  # Rev.com style: two or more spaces or a tab after the colon
    standalone: bool
    paragraph_start: bool = False  # first line of the text or after a blank line


def parse_timestamp(text: str) -> float:
    """ "[00:01:02]", "1:02", "0:0:1.5" -> seconds."""
    match = _TIMESTAMP_PARTS.search(text)
    if match is None:
        raise ValueError(f"not a timestamp: {text!r}")
    first, second, third, fraction = match.groups()
    if third is None:
        hours, minutes, seconds = 0, int(first), int(second)
    else:
        hours, minutes, seconds = int(first), int(second), int(third)
    return hours * 3600 + minutes * 60 + seconds + (float(f"0.{fraction}") if fraction else 0.0)


def find_labels(text: str, start: int = 0, *, lines_are_turns: bool = False) -> list[LabelLine]:
    """The speaker labels in `text[start:]`, in order.

    `lines_are_turns` (subtitle cues, one per line): when most lines open with a "Name:"
    label, a name written once is a speaker too.
    """
    candidates = sorted(_candidates(text, start), key=lambda c: c.label.line_start)
    inline = [c for c in candidates if not c.standalone]
    counts = Counter(c.key for c in inline)
    timed = {c.key for c in inline if c.label.timestamp is not None}
    first_raw: dict[str, str] = {}
    for candidate in inline:
        first_raw.setdefault(candidate.key, candidate.label.raw)
    lines = text.count("\n", start) + 1
    labelled_lines = lines_are_turns and len(inline) * 2 >= lines
    strong = {
        key
        for key, count in counts.items()
        if key in timed
        or _strong_evidence(first_raw[key], count)
        or (labelled_lines and _name_cased(first_raw[key]))
    }
    strong_lines = [c for c in inline if c.key in strong]
    # Rev.com files align every label's text in one column: singletons in that style count too
    rev_style = bool(strong_lines) and sum(c.wide_gap for c in strong_lines) >= 0.8 * len(
        strong_lines
    )
    accepted = []
    for candidate in candidates:
        key = candidate.key
        if candidate.standalone:
            unknown_speaker = key == "" and "speaker" in candidate.label.raw.casefold()
            ok = key in strong or unknown_speaker or candidate.label.timestamp is not None
        else:
            ok = key in strong or (
                rev_style
                and candidate.wide_gap
                and candidate.paragraph_start
                and _name_cased(candidate.label.raw)
            )
        if ok:
            accepted.append(candidate.label)
    return accepted


def is_role_like(raw: str) -> bool:
    """ "Interviewer 2", "P3", "S01", "Q": labels that name a role rather than a person."""
    label = clean_label(raw)
    if re.fullmatch(r"[A-Z]{1,3}\d{0,3}", label):
        return True
    key = speaker_key(label)
    return key.rstrip("0123456789").strip() in ROLE_WORDS


def _candidates(text: str, start: int) -> list[_Candidate]:
    found = []
    for match in _COLON_OR_BRACKET.finditer(text, start):
        raw = match.group("bracket") or match.group("name")
        if match.group("bracket") is not None and re.search(_TS, raw):
            continue
        stamp = match.group("pre_ts") or match.group("mid_ts") or match.group("post_ts")
        label = LabelLine(
            line_start=match.start(),
            raw=raw,
            content_start=match.end(),
            timestamp=parse_timestamp(stamp) if stamp else None,
        )
        gap = match.group("gap")
        wide = "\t" in gap or len(gap) >= 2
        starts = _paragraph_start(text, match.start(), start)
        found.append(_Candidate(label, speaker_key(raw), wide, False, starts))
    for match in _STANDALONE.finditer(text, start):
        stamp = match.group("ts")
        label = LabelLine(
            line_start=match.start(),
            raw=match.group("name"),
            content_start=match.end(),
            timestamp=parse_timestamp(stamp) if stamp else None,
        )
        found.append(_Candidate(label, speaker_key(label.raw), False, standalone=True))
    return [c for c in found if _label_like(c.key) and len(c.label.raw) <= 40]


def _paragraph_start(text: str, line_start: int, text_start: int) -> bool:
    if line_start <= text_start:
        return True
    previous_line = text.rfind("\n", text_start, line_start - 1)
    return not text[previous_line + 1 : line_start].strip()


def _strong_evidence(raw: str, count: int) -> bool:
    """A role word, a name written twice, or any label written three times."""
    return is_role_like(raw) or count >= 3 or (count >= 2 and _name_cased(raw))


def _label_like(key: str) -> bool:
    if key in NOT_SPEAKERS or key.rstrip("0123456789").strip() in NOT_SPEAKERS:
        return False
    return len(key.split()) <= 4


def _name_cased(raw: str) -> bool:
    for token in clean_label(raw).split():
        if any(ch.isdigit() for ch in token) or token.lower() in _LOWERCASE_PARTICLES:
            continue
        if not token[0].isupper():
            return False
    return True
