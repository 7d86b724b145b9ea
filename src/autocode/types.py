"""The data model shared by every stage of the pipeline.

Dataclasses only, with validation at construction; no behaviour beyond that.
Offsets are Python string indices (code points) into `Transcript.text`, end exclusive.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

HUMAN_PREFIX = "human:"
MODEL_PREFIX = "model:"


def coder_problem(coder: str, *, human_only: bool = False) -> str | None:
    """What is wrong with a coder's name (`human:NAME`, or `model:NAME` unless `human_only`),
    or None when it is well formed."""
    prefixes = (HUMAN_PREFIX,) if human_only else (HUMAN_PREFIX, MODEL_PREFIX)
    if coder.startswith(prefixes) and len(coder.split(":", 1)[1].strip()) > 0:
        return None
    wanted = "human:NAME" if human_only else "human:NAME or model:NAME"
    return f"a {'reviewer' if human_only else 'coder'} is {wanted}, not {coder!r}"


@dataclass(frozen=True)
class Turn:
    """One speaker turn: `Transcript.text[start:end]` is what the speaker said (no label)."""

    speaker: str
    start: int
    end: int
    timestamp: float | None = None  # seconds from the start of the recording, when known

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"turn offsets out of order: {self.start}..{self.end}")


@dataclass
class Transcript:
    """A whole transcript as read from a file.

    `text` is the document with line endings normalised to "\\n"; `turns` point into it.
    `metadata` holds at least `source` (the file path) and `format` (reader name); readers add
    what they know (participant, date, title, language).
    """

    id: str
    text: str
    turns: list[Turn] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.text)
        for turn in self.turns:
            if turn.end > n:
                raise ValueError(
                    f"transcript {self.id}: turn {turn.start}..{turn.end} ends past the text ({n})"
                )

    @property
    def speakers(self) -> list[str]:
        """Distinct speakers in order of first appearance."""
        return list(dict.fromkeys(turn.speaker for turn in self.turns))


@dataclass(frozen=True)
class Unit:
    """A meaning unit: `text == transcript.text[start:end]` always holds. `language` is the
    ISO 639-1 code of its transcript (None: not known, read as English)."""

    transcript_id: str
    index: int
    speaker: str
    start: int
    end: int
    text: str
    language: str | None = None

    def __post_init__(self) -> None:
        if self.end - self.start != len(self.text):
            raise ValueError(
                f"unit {self.transcript_id}#{self.index}: offsets {self.start}..{self.end} "
                f"do not match a text of length {len(self.text)}"
            )


@dataclass(frozen=True)
class Code:
    """A code or theme of a codebook; `parent_id` makes the hierarchy QDA tools use."""

    id: str
    name: str
    definition: str = ""
    parent_id: str | None = None
    color: str | None = None  # "#RRGGBB"
    examples: tuple[str, ...] = ()


@dataclass
class Codebook:
    name: str
    codes: list[Code] = field(default_factory=list)

    def __post_init__(self) -> None:
        ids = [code.id for code in self.codes]
        duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
        if duplicates:
            raise ValueError(f"codebook {self.name}: duplicate code ids {duplicates}")
        known = set(ids)
        for code in self.codes:
            if code.parent_id is not None and code.parent_id not in known:
                raise ValueError(f"codebook {self.name}: code {code.id} has unknown parent")

    @property
    def ids(self) -> list[str]:
        return [code.id for code in self.codes]

    def get(self, code_id: str) -> Code:
        for code in self.codes:
            if code.id == code_id:
                return code
        raise KeyError(code_id)


@dataclass(frozen=True)
class Coding:
    """One code applied to a span of a transcript.

    `coder` is `human:<name>` or `model:<name>@<version>`; `confidence` is None for humans.
    `created_at` is an ISO-8601 UTC timestamp.
    """

    transcript_id: str
    start: int
    end: int
    code_id: str
    coder: str
    confidence: float | None = None
    created_at: str | None = None
    unit_index: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"coding offsets out of order: {self.start}..{self.end}")
        if not self.coder.startswith((HUMAN_PREFIX, MODEL_PREFIX)):
            raise ValueError(f"coder must start with 'human:' or 'model:', got {self.coder!r}")
