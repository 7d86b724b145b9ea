"""The reliable corpus: the corpus estimate and its interval, the stop, the corpus queue, audit
cards, finishing a review into model codings, `autocode status` and `autocode simulate`, on real
coded data (the seed corpus ships with the repository) and on synthetic tables whose truth is
known."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from autocode.cli import app
from autocode.corpus import load_corpus
from autocode.embed import Embedder
from autocode.errors import InputError
from autocode.reliability import estimate_corpus
from autocode.reliability.decision import kappa_cutoffs
from autocode.review import ReviewSession
from autocode.review.replay import ReplaySettings, replay_review
from autocode.review.simulate import macro_kappa
from autocode.store import Project
from autocode.types import Coding

REPO = Path(__file__).resolve().parents[1]
CODES = ["a", "b", "c", "d"]


def synthetic(seed: int, error: float = 0.08, n: int = 1000, decided: int = 200, audit: int = 50):
    """Truth, an overconfident model with `error` of its codes wrong, decided units and a random
    audit sample of the rest."""
    rng = np.random.default_rng(seed)
    truth = rng.random((n, len(CODES))) < np.array([0.05, 0.1, 0.2, 0.4])
    predicted = truth ^ (rng.random(truth.shape) < error)
    proba = np.where(predicted, 0.97, 0.03)  # claims 3% errors
    mask = np.zeros(n, dtype=bool)
    mask[rng.permutation(n)[:decided]] = True
    audited = rng.choice(np.flatnonzero(~mask), audit, replace=False)
    mask[audited] = True
    return truth, predicted, proba, mask, audited


def test_a_corpus_decided_whole_is_exact_and_can_stop() -> None:
    truth, predicted, proba, _, audited = synthetic(0)
    everything = np.ones(len(truth), dtype=bool)
    estimate = estimate_corpus(
        CODES, everything, truth, predicted, proba,
        audit_truth=truth[audited], audit_predicted=predicted[audited], audit_proba=proba[audited],
    )  # fmt: skip
    assert estimate.macro_kappa == pytest.approx(1.0) and estimate.interval == (1.0, 1.0)
    assert estimate.can_stop and estimate.line.startswith("you can stop: estimated kappa 1.00")


def test_without_audit_cards_the_estimate_trusts_the_model_and_will_not_stop() -> None:
    truth, predicted, proba, mask, _ = synthetic(1)
    true = macro_kappa(truth, np.where(mask[:, None], truth, predicted))
    alone = estimate_corpus(CODES, mask, truth, predicted, proba)
    assert alone.macro_kappa > true + 0.1  # the overconfident model believes itself
    assert not alone.can_stop and alone.needs_audit == 10
    assert "audit card" in alone.line or "keep going" in alone.line


def test_the_audit_corrects_a_miscalibrated_model_and_its_interval_covers_the_truth() -> None:
    covered, errors = 0, []
    for seed in range(40):
        truth, predicted, proba, mask, audited = synthetic(seed)
        true = macro_kappa(truth, np.where(mask[:, None], truth, predicted))
        estimate = estimate_corpus(
            CODES, mask, truth, predicted, proba,
            audit_truth=truth[audited], audit_predicted=predicted[audited],
            audit_proba=proba[audited], draws=200, seed=seed,
        )  # fmt: skip
        assert estimate.interval is not None and estimate.macro_kappa is not None
        covered += estimate.interval[0] <= true <= estimate.interval[1]
        errors.append(estimate.macro_kappa - true)
    assert covered >= 32  # 80% of nominal-90% intervals, on 40 draws
    assert abs(np.mean(errors)) < 0.03


def test_a_target_outside_0_1_is_refused() -> None:
    truth, predicted, proba, mask, _ = synthetic(2)
    for target in (0.0, 1.5, -0.2):
        with pytest.raises(InputError, match="must be in"):
            estimate_corpus(CODES, mask, truth, predicted, proba, target=target)


def test_kappa_cutoffs_give_a_rare_code_a_lower_cutoff() -> None:
    rng = np.random.default_rng(3)
    common = rng.beta(2, 2, 500)
    rare = rng.beta(0.3, 3, 500)
    cutoffs = kappa_cutoffs(np.column_stack([common, rare]), np.array([50, 5]), np.array([50, 95]))
    assert cutoffs[1] < 0.5 and 0.3 < cutoffs[0] < 0.7


@pytest.fixture(scope="module")
def seed_corpus() -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    corpus = load_corpus(REPO / "corpus" / "seed")
    texts, labels, participants = corpus.theme_examples()
    vectors = Embedder().encode(list(texts)).astype(np.float64)
    return vectors, labels.to_numpy(dtype=int), list(labels.columns), list(participants)


@pytest.mark.slow
def test_replaying_the_seed_corpus_the_corpus_queue_beats_coding_alone(seed_corpus) -> None:
    """The seed corpus, coded by its authors, replayed: the true corpus kappa is known."""
    vectors, labels, codes, groups = seed_corpus
    runs = {
        order: replay_review(
            vectors, labels, codes, ReplaySettings(order=order), seed=0, groups=groups
        )
        for order in ("default", "no_model")
    }
    default = runs["default"]
    assert default.curve[-1]["true_kappa"] == pytest.approx(1.0)
    assert default.curve[-1]["decisions"] == len(labels)
    assert [p["decisions"] for p in default.curve] == sorted(p["decisions"] for p in default.curve)
    assert default.decisions_to(0.8) < runs["no_model"].decisions_to(0.8)
    estimates = [p for p in default.curve if p.get("interval")]
    assert estimates and all(-1 <= p["interval"][0] <= p["interval"][1] <= 1 for p in estimates)
    if default.stop is not None:
        assert default.stop["true_kappa"] >= 0.75


@pytest.fixture()
def project(review_project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(review_project, copy)
    return copy


def test_audit_cards_hide_the_suggestion_refuse_accept_and_are_stored(project: Path) -> None:
    with ReviewSession.open(
        project, reviewer="ana", audit_share=0.5, candidate_codes=False, retrain_every=100
    ) as session:
        card = session.card()
        while card is not None and not card.answer.audit:
            card = session.decide(card, "none").card
        assert card is not None and card.answer.audit
        assert card.suggested == () and card.evidence == () and card.candidate is None
        assert all(score.probability == 0.0 for score in card.scores)
        with pytest.raises(ValueError, match="no suggestion to accept"):
            session.decide(card, "accept")
        outcome = session.decide(card, "recode", code="T2")
        assert outcome.decision is not None and outcome.decision.audit
        assert session.progress()["audited"] == 1
    with Project.open(project) as store:
        audits = [d for d in store.decisions(reviewer="human:ana") if d.audit]
        assert len(audits) == 1 and audits[0].codes == ("T2",) and audits[0].suggestion == ()


def test_finish_codes_exactly_the_undecided_units_and_never_over_a_human_coding(
    project: Path,
) -> None:
    with Project.open(project, writer=True) as store:
        unit = store.units(store.transcript_ids()[0])[5]
        codebook = store.codebooks()[0]
        human = Coding(unit.transcript_id, unit.start, unit.end, "T4", "human:other")
        store.add_codings([human], codebook=codebook)
    with ReviewSession.open(
        project, reviewer="ana", audit_share=0.0, order="transcript", candidate_codes=False
    ) as session:
        card = session.card()
        for _ in range(12):
            card = session.decide(card, "none").card
        session.wait_for_training(60)
        decided = {(u.transcript_id, u.index) for p, u in enumerate(session.pool.units)
                   if p in session.state.labels}  # fmt: skip
        finished = session.finish()
        expected = (
            {
                (u.transcript_id, u.index)
                for p, u in enumerate(session.pool.units)
                if session.scores.suggested[p]
            }
            - decided
            - {(unit.transcript_id, unit.index)}
        )
        assert finished.coder.startswith("model:review-ana@r")
        again = session.finish()  # replaces, never doubles
        assert again.codings == finished.codings
    with Project.open(project) as store:
        coded = store.codings(coder=finished.coder)
        assert {(c.transcript_id, c.unit_index) for c in coded} == expected
        assert all(0.0 <= (c.confidence or 0.0) <= 1.0 for c in coded)
        assert len(coded) == finished.codings
        assert store.codings(coder="human:other") == [
            Coding(
                human.transcript_id, human.start, human.end, "T4", "human:other",
                created_at=store.codings(coder="human:other")[0].created_at,
            )
        ]  # fmt: skip


def test_status_says_when_there_is_no_review_and_then_shows_the_estimate(project: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["status", "--project", str(project), "--reviewer", "ana"])
    assert result.exit_code == 0 and result.output.startswith("no review yet"), result.output
    with ReviewSession.open(
        project, reviewer="ana", audit_share=0.2, order="transcript", candidate_codes=False
    ) as session:
        card = session.card()
        for _ in range(20):
            card = session.decide(card, "recode" if card.answer.audit else "none",
                                  code="T1" if card.answer.audit else None).card  # fmt: skip
    before = hashlib.sha256((project / "autocode.sqlite").read_bytes()).hexdigest()
    result = runner.invoke(app, ["status", "--project", str(project), "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["reviewer"] == "human:ana" and status["decided"] == 20
    corpus = status["corpus"]
    assert corpus["line"].startswith(("keep going", "you can stop"))
    assert corpus["decided"] == 20 and len(corpus["codes"]) == 5
    assert hashlib.sha256((project / "autocode.sqlite").read_bytes()).hexdigest() == before
    result = runner.invoke(app, ["status", "--project", str(project), "--target", "1.5"])
    assert result.exit_code == 2 and "must be in (0, 1]" in result.output


def seed_table(path: Path) -> Path:
    """The seed corpus's theme-coded utterances as a coded table (codes in 'Code N' columns)."""
    corpus = load_corpus(REPO / "corpus" / "seed")
    texts, labels, _ = corpus.theme_examples()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ResponseId", "text", "Code 1", "Code 2", "Code 3"])
        for i, (text, row) in enumerate(zip(texts, labels.to_numpy(), strict=True)):
            codes = [code for code, on in zip(labels.columns, row, strict=True) if on]
            writer.writerow([f"R{i}", text, *[*codes, "", "", ""][:3]])
    return path


def test_simulate_on_a_project_imported_from_a_coded_table(tmp_path: Path) -> None:
    table = seed_table(tmp_path / "seed.csv")
    project = tmp_path / "study"
    runner = CliRunner()
    result = runner.invoke(
        app, ["import", str(table), "--project", str(project), "--codes-column", "Code *",
              "--coder", "human:authors"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = tmp_path / "sim.json"
    result = runner.invoke(
        app, ["simulate", "--project", str(project), "--coder", "human:authors", "--json",
              str(out), "--seeds", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "human:authors: the corpus reached kappa 0.80 after deciding" in result.output
    document = json.loads(out.read_text())
    assert document["units"] == 129 and document["codes"] == ["T1", "T2", "T3", "T4", "T5"]
    assert document["target"] == 0.8 and document["seeds"] == 1
    for order in ("default", "random"):
        (run,) = document["orders"][order]
        assert set(run) == {"seed", "curve", "decisions_to_target", "stop"}
        assert run["curve"][0]["decisions"] == 15  # 3 start examples per code
        assert run["decisions_to_target"] is not None


def test_simulate_refuses_bad_input_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    table = seed_table(tmp_path / "seed.csv")
    project = tmp_path / "study"
    runner = CliRunner()
    runner.invoke(app, ["import", str(table), "--project", str(project), "--codes-column",
                        "Code *", "--coder", "human:authors"])  # fmt: skip
    out = tmp_path / "sim.json"
    cases = [
        (["--coder", "human:nobody"], "no codings by human:nobody"),
        (["--coder", "human:authors", "--target", "0"], "must be in (0, 1]"),
        (["--coder", "human:authors", "--target", "1.2"], "must be in (0, 1]"),
        (["--coder", "human:authors", "--codebook", "other"], "has no codebook 'other'"),
    ]
    for args, message in cases:
        result = runner.invoke(
            app, ["simulate", "--project", str(project), *args, "--json", str(out)]
        )
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1 and message in lines[0], result.output
        assert not out.exists()


def test_a_table_of_0_1_columns_per_code_imports(tmp_path: Path) -> None:
    table = tmp_path / "dedoose.csv"
    table.write_text(
        "id,Excerpt,Trust,Cost\n"
        "1,We trusted the model once it explained itself.,1,0\n"
        "2,The cloud bill doubled after launch.,0,1\n"
        "3,Nobody asked about the price or the trust.,yes,x\n"
        "4,We had lunch.,,\n",
        encoding="utf-8",
    )
    project = tmp_path / "study"
    runner = CliRunner()
    result = runner.invoke(
        app, ["import", str(table), "--project", str(project), "--indicator-columns", "Trust",
              "--indicator-columns", "Cost", "--coder", "human:ana"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with Project.open(project) as store:
        pairs = sorted((c.unit_index, c.code_id) for c in store.codings(coder="human:ana"))
        assert pairs == [(0, "Trust"), (1, "Cost"), (2, "Cost"), (2, "Trust")]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,Excerpt,Trust\n1,Some text here.,maybe\n", encoding="utf-8")
    result = runner.invoke(
        app, ["import", str(bad), "--project", str(tmp_path / "b"), "--indicator-columns", "Trust"]
    )
    assert result.exit_code == 2 and "'maybe' is not a 0/1 value" in result.output
    assert not (tmp_path / "b").exists()


@pytest.mark.slow
def test_simulate_on_a_project_imported_from_a_qdpx(testdata: Path, tmp_path: Path) -> None:
    """QualCoder's demo project: one coder, 262 codes, most used once or never; the transcript
    without units is segmented first, and the rare codes are left out and named."""
    project = tmp_path / "study"
    source = testdata / "refi_qda" / "projects" / "qc132_cs-education-demo.qdpx"
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(source), "--project", str(project)]).exit_code == 0
    out = tmp_path / "sim.json"
    result = runner.invoke(
        app, ["simulate", "--project", str(project), "--coder", "human:cp", "--json", str(out),
              "--seeds", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "left out 245 code(s) with 3 or fewer coded units" in result.output
    document = json.loads(out.read_text())
    assert document["units"] <= document["project_units"] and len(document["codes"]) == 17
    assert document["orders"]["default"][0]["curve"][-1]["true_kappa"] <= 1.0
