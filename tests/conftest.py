"""Shared pytest fixtures."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The suite never reads or writes the user's cache: before anything of autocode is imported,
# the cache points at a folder of the session's own, empty at the start (as on a new machine),
# where the first test that needs a backend builds it, once.
TEST_CACHE = Path(tempfile.mkdtemp(prefix="autocode-test-cache-"))
os.environ["AUTOCODE_CACHE_DIR"] = str(TEST_CACHE)
os.environ.pop("AUTOCODE_BACKEND", None)

from autocode.embed import use_backend  # noqa: E402
from autocode.types import Transcript  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_TESTDATA = REPO_ROOT.parent / "shared" / "testdata"


@pytest.fixture(scope="session", autouse=True)
def test_cache() -> Iterator[Path]:
    """The session's own cache folder (see above), removed at the end."""
    yield TEST_CACHE
    shutil.rmtree(TEST_CACHE, ignore_errors=True)


@pytest.fixture(autouse=True)
def default_backend() -> Iterator[None]:
    """Every test starts on the default backend: a CLI run with --backend chooses it for the
    rest of its process, which must not leak into the next test."""
    use_backend(None)
    yield
    use_backend(None)


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


HOSTILE_TRANSCRIPT = """Interviewer: What did you type into the monitoring dashboard?

P20: I typed <script>window.__pwned = 1</script> into the search box & the model alert fired.

Interviewer: What happened when you deployed it?

P20: The <img src=x onerror="window.__pwned = 2"> tag showed up in the deployment report, so we retrained the model.
"""  # noqa: E501


@pytest.fixture(scope="session")
def review_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small project coded by the shipped model (two example interviews and one transcript
    full of markup), built once per session for the review tests; copy it before writing."""
    from autocode.batch import code_transcripts
    from autocode.review import ReviewSession

    folder = tmp_path_factory.mktemp("review-source")
    for name in ("P1_interview.txt", "P6_interview.txt"):
        (folder / name).write_text((REPO_ROOT / "examples" / "transcripts" / name).read_text())
    (folder / "hostile.txt").write_text(HOSTILE_TRANSCRIPT, encoding="utf-8")
    project = tmp_path_factory.mktemp("review") / "project"
    code_transcripts([folder], "seed-themes", project, report=False)
    # Once, so that every server started on a copy finds the excerpt vectors in the project.
    ReviewSession.open(project, reviewer="setup", candidate_codes=False).close()
    return project


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium through Playwright, one per test module."""
    from review_server import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
