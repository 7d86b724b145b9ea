"""ReviewSession, the library behind `autocode review`, on a real coded project: cards, every
decision, undo across reopening, the queue resuming, retraining in the background, progress,
and bad input refused with one line and the project left byte-identical."""

from __future__ import annotations

import hashlib
import shutil
import socket
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autocode.cli import app
from autocode.errors import InputError
from autocode.review import ReviewSession, check_review
from autocode.store import Project

REVIEWER = "human:tester"


@pytest.fixture()
def project(review_project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(review_project, copy)
    return copy


def open_session(folder: Path, **options) -> ReviewSession:
    """In transcript order and with no audit cards, unless a test asks (they come at random)."""
    options.setdefault("audit_share", 0.0)
    return ReviewSession.open(
        folder, reviewer="tester", order="transcript", candidate_codes=False, **options
    )


def test_a_card_shows_the_unit_its_context_suggestion_and_evidence(project: Path) -> None:
    with open_session(project) as session:
        card = session.card()
        assert card is not None
        first = session.pool.units[0]
        assert (card.unit.transcript_id, card.unit.unit_index) == (first.transcript_id, 0)
        assert card.text == first.text and card.speaker == "P1"
        assert [line.role for line in card.context] == ["question", "after"]
        assert card.context[0].text.startswith("What makes communication with clients")
        assert card.answer.model_version == session.setup.model.coder
        assert len(card.evidence) >= 2 and all(e.source for e in card.evidence)
        stored = {
            c.code_id
            for c in session.project.codings(coder=session.setup.model.coder)
            if (c.transcript_id, c.unit_index) == (first.transcript_id, 0)
        }
        assert set(card.answer.suggested_codes) == stored  # what `autocode code` stored
        assert [score.probability for score in card.scores] == sorted(
            (score.probability for score in card.scores), reverse=True
        )


def test_decisions_undo_and_resuming_after_reopening(project: Path) -> None:
    with open_session(project, retrain_every=3) as session:
        units = session.pool.units
        outcome = session.decide(session.card(), "accept")
        accepted = outcome.decision.codes
        outcome = session.decide(outcome.card, "reject")
        outcome = session.decide(outcome.card, "recode", code="T3")
        outcome = session.decide(outcome.card, "recode", new_code=("Tool friction", "Tools hurt"))
        outcome = session.decide(outcome.card, "none")
        outcome = session.decide(outcome.card, "skip")
        outcome = session.decide(outcome.card, "flag", memo="ask the team <b>why</b>")
        assert outcome.card.unit.unit_index == 7
        undone = session.undo()  # the flag
        assert undone.card.unit.unit_index == 6
        session.wait_for_training(60)
        progress = session.progress()
        assert progress["decisions"] == 5 and progress["skipped"] == 1
        assert progress["model"]["retrainings"] >= 1
        assert session.card().answer.model_version.startswith("review:tester:r")
        new_code = session.codebook.codes[-1]
        assert (new_code.name, new_code.definition) == ("Tool friction", "Tools hurt")

    with Project.open(project) as store:
        codings = {(c.unit_index, c.code_id) for c in store.codings(coder=REVIEWER)}
        assert codings == {(0, code) for code in accepted} | {(2, "T3"), (3, new_code.id)}
        actions = [d.action for d in store.decisions(reviewer=REVIEWER)]
        assert actions == ["accept", "reject", "recode", "recode", "none", "skip", "flag", "undo"]

    with open_session(project) as session:
        # resumes at the unit after the answered ones; the skipped unit comes back at the end
        assert session.card().unit.unit_index == 6
        session.undo()  # the skip, written by the session before
        session.undo()  # "no code applies"
        assert session.card().unit.unit_index == 4
        outcome = session.decide(session.card(), "flag", memo="check <script>")
        assert session.flagged()[0]["memo"] == "check <script>"
        assert session.flagged()[0]["text"] == units[4].text
        while outcome.card is not None:
            outcome = session.decide(outcome.card, "none")
        assert session.progress()["units_left"] == 0


def test_bad_input_is_one_line_and_leaves_the_project_untouched(
    project: Path, tmp_path: Path
) -> None:
    def digest() -> str:
        return hashlib.sha256((project / "autocode.sqlite").read_bytes()).hexdigest()

    before = digest()
    with pytest.raises(InputError, match="does not exist"):
        check_review(tmp_path / "missing")
    with pytest.raises(InputError, match="is not an autocode project"):
        check_review(tmp_path)
    with pytest.raises(InputError, match="has no codebook 'other'"):
        check_review(project, codebook="other")
    with pytest.raises(InputError, match="unknown review order"):
        check_review(project, order="random")
    assert digest() == before

    empty = tmp_path / "empty"
    Project.create(empty).close()
    with pytest.raises(InputError, match="holds no transcripts"):
        check_review(empty)

    other = tmp_path / "other-codebook"
    shutil.copytree(project, other)
    conn = sqlite3.connect(other / "autocode.sqlite")
    conn.execute("UPDATE codes SET id = 'X' || id")  # no decision or coding of theirs yet
    conn.commit()
    conn.close()
    runner = CliRunner()
    result = runner.invoke(app, ["review", "--project", str(other), "--no-browser"])
    assert result.exit_code == 2
    assert "was trained on codebook" in result.output and len(result.output.splitlines()) == 1

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = runner.invoke(
            app, ["review", "--project", str(project), "--no-browser", "--port", str(port)]
        )
    assert result.exit_code == 2 and f"127.0.0.1:{port}" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert digest() == before
