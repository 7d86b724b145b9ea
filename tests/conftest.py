"""Shared pytest fixtures."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from autocode.types import Transcript

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_TESTDATA = REPO_ROOT.parent / "shared" / "testdata"


@pytest.fixture(scope="session")
def testdata() -> Path:
    """The public test corpus in ../shared/testdata; tests using it skip when it is absent."""
    if not SHARED_TESTDATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_TESTDATA}")
    return SHARED_TESTDATA


def _check_transcript(transcript: Transcript) -> None:
    """Reader invariants: non-empty, trimmed, ordered turns with no speaker label inside."""
    assert transcript.turns, f"{transcript.id}: no turns"
    labels = [
        label
        for spellings in transcript.metadata.get("speaker_aliases", {}).values()
        for label in spellings
    ]
    label_line = re.compile(
        "|".join(
            rf"^[ \t]*(\[{re.escape(a)}\]|{re.escape(a)}[ \t]*(\[[\d:]+\])?[ \t]*:)" for a in labels
        )
        or r"(?!)",
        re.MULTILINE,
    )
    previous_end = 0
    for turn in transcript.turns:
        said = transcript.text[turn.start : turn.end]
        assert said.strip() == said and any(ch.isalnum() for ch in said), (turn, said)
        assert turn.start >= previous_end, f"{transcript.id}: turns overlap at {turn}"
        assert not label_line.search(said), f"{transcript.id}: a label inside {said[:80]!r}"
        previous_end = turn.end


@pytest.fixture(scope="session")
def check_transcript() -> Callable[[Transcript], None]:
    """Asserts the invariants every reader's Transcript keeps (see _check_transcript)."""
    return _check_transcript
