"""The review decision log in the project store: idempotent client ids, undo at any depth across
reopening, the reviewer's codings and their export, append-only rows, stale units refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from autocode.io.refi import RefiProject
from autocode.project.exchange import project_as_refi
from autocode.store import Project, sha256_text
from autocode.store.decisions import NewDecision, StaleUnitError, UnitRef
from autocode.types import Code, Codebook, Coding, Transcript, Turn, Unit

TEXT = "Interviewer: How was it?\nP1: The deploy broke twice. Then we <b>fixed</b> it & moved on."
CODEBOOK = Codebook("themes", [Code("T1", "Deploying"), Code("T2", "Fixing")])
REVIEWER = "human:ana"


def build(folder: Path) -> list[UnitRef]:
    answer = TEXT.index("The deploy")
    transcript = Transcript(
        "P1",
        TEXT,
        [Turn("Interviewer", 13, 24), Turn("P1", answer, len(TEXT))],
        {"source": "P1.txt"},
    )
    parts = ["The deploy broke twice.", "Then we <b>fixed</b> it & moved on."]
    units = [
        Unit("P1", i, "P1", TEXT.index(part), TEXT.index(part) + len(part), part)
        for i, part in enumerate(parts)
    ]
    with Project.create(folder) as project:
        project.add_transcript(transcript)
        project.add_units("P1", units)
        project.add_codebook(CODEBOOK)
        project.add_codings(
            [Coding("P1", u.start, u.end, "T1", "model:m@1", 0.7, None, u.index) for u in units]
        )
    digest = sha256_text(TEXT)
    return [UnitRef("P1", u.index, u.start, u.end, digest) for u in units]


def decision(client_id: str, unit: UnitRef, action: str, codes: tuple[str, ...] = ()):
    return NewDecision(
        client_id, REVIEWER, "themes", unit, action, codes, (("T1", 0.7),), "model:m@1"
    )


def reviewer_codes(project: Project) -> list[tuple[int, str]]:
    return [(c.unit_index, c.code_id) for c in project.codings(coder=REVIEWER)]


def test_decisions_make_reviewer_codings_and_a_retry_is_stored_once(tmp_path: Path) -> None:
    first, second = build(tmp_path / "p")
    with Project.open(tmp_path / "p") as project:
        stored, new = project.record_decision(decision("c1", first, "accept", ("T1",)))
        again, repeated = project.record_decision(decision("c1", first, "accept", ("T1",)))
        assert new and not repeated and again == stored
        project.record_decision(decision("c2", second, "recode", ("T2",)))
        assert reviewer_codes(project) == [(0, "T1"), (1, "T2")]
        assert len(project.decisions()) == 2
        with pytest.raises(ValueError, match="used for another decision"):
            project.record_decision(decision("c1", second, "reject"))
        # model codings stay under the model; the reviewer's go under the reviewer's User
        refi: RefiProject = project_as_refi(project)
        assert set(refi.users) == {REVIEWER, "model:m@1"}
        coded = {(c.coder, c.code_id, c.start) for c in refi.codings}
        assert (REVIEWER, "T2", second.start) in coded
        assert ("model:m@1", "T1", second.start) in coded


def test_undo_any_depth_across_reopening_and_rows_are_append_only(tmp_path: Path) -> None:
    first, second = build(tmp_path / "p")
    with Project.open(tmp_path / "p") as project:
        project.record_decision(decision("c1", first, "accept", ("T1",)))
        project.record_decision(decision("c2", second, "recode", ("T2",)))
        project.record_decision(decision("c3", second, "skip"))
    with Project.open(tmp_path / "p") as project:
        undo, _ = project.undo_last_decision("u1", REVIEWER, "themes")
        assert undo is not None and undo.action == "undo"
        assert reviewer_codes(project) == [(0, "T1"), (1, "T2")]  # the skip made no coding
        project.undo_last_decision("u2", REVIEWER, "themes")
        assert reviewer_codes(project) == [(0, "T1")]
        again, stored = project.undo_last_decision("u2", REVIEWER, "themes")
        assert not stored and again.client_id == "u2"  # a retried undo undoes nothing more
        project.undo_last_decision("u3", REVIEWER, "themes")
        assert reviewer_codes(project) == []
        assert project.undo_last_decision("u4", REVIEWER, "themes") == (None, False)
        actions = [d.action for d in project.decisions()]
        assert actions == ["accept", "recode", "skip", "undo", "undo", "undo"]
        assert project.decisions_in_force(REVIEWER, "themes") == []
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            project._conn.execute("DELETE FROM decisions")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            project._conn.execute("UPDATE decisions SET action = 'accept'")


def test_a_decision_on_changed_text_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    first, _ = build(tmp_path / "p")
    with Project.open(tmp_path / "p") as project:
        changed = UnitRef(first.transcript_id, 0, first.start, first.end, sha256_text("old text"))
        with pytest.raises(StaleUnitError, match="changed since this card was shown"):
            project.record_decision(decision("c1", changed, "accept", ("T1",)))
        moved = UnitRef("P1", 0, first.start + 1, first.end, first.content_hash)
        with pytest.raises(StaleUnitError, match="segmented again"):
            project.record_decision(decision("c2", moved, "accept", ("T1",)))
        assert project.decisions() == [] and reviewer_codes(project) == []


def test_a_new_code_and_its_first_example_commit_together(tmp_path: Path) -> None:
    first, _ = build(tmp_path / "p")
    with Project.open(tmp_path / "p") as project:
        code = Code("R-tooling", "Tooling", "Trouble with tools")
        project.record_decision(decision("c1", first, "recode", ("R-tooling",)), new_code=code)
        assert project.codebook("themes").ids == ["T1", "T2", "R-tooling"]
        assert reviewer_codes(project) == [(0, "R-tooling")]
        with pytest.raises(ValueError, match="not in codebook"):
            project.record_decision(decision("c2", first, "recode", ("T9",)))
        assert len(project.decisions()) == 1


def test_a_reviewers_coding_teaches_only_the_units_answered(tmp_path: Path) -> None:
    from autocode.project.training import CodingSelection, collect_examples

    first, second = build(tmp_path / "p")
    selection = CodingSelection("themes", coder=REVIEWER)
    with Project.open(tmp_path / "p") as project:
        project.record_decision(decision("c1", second, "accept", ("T1",)))
        examples = collect_examples(project, selection)
        # The first unit was never shown: it is not a negative of the reviewer's.
        assert [unit.index for unit in examples.units] == [1]
        assert examples.labels.to_numpy().tolist() == [[1, 0]]
        assert examples.reviewed_spans == {"P1": [(second.start, second.end)]}
        project.undo_last_decision("c2", REVIEWER, "themes")
        project.record_decision(decision("c3", first, "none"))
        examples = collect_examples(project, selection)  # no coding left, one "no code" answer
        assert [unit.index for unit in examples.units] == [0]
        assert examples.labels.to_numpy().tolist() == [[0, 0]]


def test_a_reviewer_is_compared_on_the_units_answered(tmp_path: Path) -> None:
    from autocode.agreement.items import coder_items

    _, second = build(tmp_path / "p")
    with Project.open(tmp_path / "p") as project:
        project.record_decision(decision("c1", second, "reject"))
        units = coder_items(project, [REVIEWER, "model:m@1"], "themes")
        characters = coder_items(project, [REVIEWER, "model:m@1"], "themes", "character")
    # Only the second unit was answered (no code), where the model coded T1.
    assert units.spans == [(second.start, second.end)]
    assert units.values[:, 0, 0].tolist() == [0, 1]
    both = characters.covered.all(axis=0)
    assert int(characters.weights[both].sum()) == second.end - second.start
