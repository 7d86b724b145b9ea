"""Speaker names: one grouping key per person, a display form, and the raw spellings seen.

Transcribers spell the same label several ways within one file ("Interviewer 1:",
"Interviewer1:", "interviewer:", " Interviewee1 :"). Labels that differ only in case, spacing,
punctuation or the space before a number are the same speaker; different numbers are different
people ("Speaker 1" and "Speaker 2"). A bare role ("Interviewer") is merged with a numbered
one ("Interviewer 1") only when that is the single numbered variant of the role in the file.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

_TRAILING_NUMBER = re.compile(r"^(.*?\D)\s*(\d+)$")
_REPEATED_NUMBER = re.compile(r"(\d+)\s+\1$")  # "Interviewer2 2" is a typo for "Interviewer2"
_UNKNOWN = re.compile(r"^(unknown|unidentified|unclear)( speaker)?$")


@lru_cache(maxsize=4096)
def clean_label(raw: str) -> str:
    """The label as written, without brackets, bold marks, slashes, the colon, outer spaces."""
    label = raw.strip().strip("*_").rstrip(":").strip()
    if label.startswith("[") and label.endswith("]"):
        label = label[1:-1].strip()
    return label.lstrip("/").strip()


@lru_cache(maxsize=4096)
def speaker_key(raw: str) -> str:
    """The grouping key of a label; "" for labels that mean an unknown speaker."""
    key = clean_label(raw).casefold()
    key = re.sub(r"[._\-–]+", " ", key)
    key = " ".join(key.split())
    key = _REPEATED_NUMBER.sub(r"\1", key)
    match = _TRAILING_NUMBER.match(key)
    if match:
        key = f"{match.group(1).strip()}{int(match.group(2))}"
    return "" if _UNKNOWN.match(key) else key


class SpeakerNames:
    """Collects the raw labels of one transcript and resolves each to a display name."""

    def __init__(self) -> None:
        self._spellings: dict[str, Counter[str]] = {}
        self._merged: dict[str, Counter[str]] | None = None
        self._merged_keys: dict[str, str] = {}

    def add(self, raw: str) -> None:
        key = speaker_key(raw)
        spelling = " ".join(clean_label(raw).split())
        if key not in self._spellings:
            self._merged_keys = {}
        self._spellings.setdefault(key, Counter())[spelling] += 1
        self._merged = None

    def display(self, raw: str) -> str:
        """The display name of a label added before: its most frequent spelling."""
        key = self._merged_key(speaker_key(raw))
        return _display_name(key, self._merged_spellings()[key])

    def aliases(self) -> dict[str, list[str]]:
        """Display name -> the spellings seen for it, most frequent first."""
        return {
            _display_name(key, spellings): [spelling for spelling, _ in spellings.most_common()]
            for key, spellings in self._merged_spellings().items()
        }

    def _merged_spellings(self) -> dict[str, Counter[str]]:
        if self._merged is None:
            self._merged = {}
            for key, spellings in self._spellings.items():
                self._merged.setdefault(self._merged_key(key), Counter()).update(spellings)
        return self._merged

    def _merged_key(self, key: str) -> str:
        """A bare role goes to its numbered variant when there is exactly one."""
        if key not in self._merged_keys:
            numbered = []
            if key and not key[-1].isdigit():
                numbered = [k for k in self._spellings if re.fullmatch(re.escape(key) + r"\d+", k)]
            self._merged_keys[key] = numbered[0] if len(numbered) == 1 else key
        return self._merged_keys[key]


def _display_name(key: str, spellings: Counter[str]) -> str:
    # most_common keeps first-seen order among equal counts
    return spellings.most_common(1)[0][0] if key else ""
