"""Training examples from a project's human coding, and model-vs-human agreement.

Hand-checked label and character counts on small synthetic projects; fold hygiene with a real
(TF-IDF) estimator that records what it was trained on; and cross-validation on the 174 coded
answers of bopp_test.csv.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from autocode.agreement.units import code_targets, resolve_codes, unit_groups, unit_labels
from autocode.cli import app
from autocode.errors import InputError
from autocode.evaluation import Method
from autocode.evaluation.baselines import TfidfBaseline
from autocode.project.agreement import (
    UnitPredictions,
    agreement_document,
    character_table,
    cross_validate_examples,
    model_spans,
)
from autocode.project.training import (
    CodingSelection,
    collect_examples,
    definition_examples,
    fold_groups,
    frequent_codes,
)
from autocode.report.evaluation import render_project_markdown as render_markdown
from autocode.store import Project
from autocode.types import Code, Codebook, Coding, Transcript, Unit

CODEBOOK = Codebook(
    "Study",
    [
        Code("place", "Place", "Where people live"),
        Code("home", "Home | house", parent_id="place"),
        Code("kitchen", "Kitchen", parent_id="home"),
        Code("work", "Work"),
    ],
)


def _units(spans: list[tuple[int, int]], transcript_id: str = "T") -> list[Unit]:
    return [Unit(transcript_id, i, "", s, e, "x" * (e - s)) for i, (s, e) in enumerate(spans)]


# ---- the overlap rule ---------------------------------------------------------------------------


def test_overlap_rule_by_unit_share_span_share_and_union() -> None:
    units = _units([(0, 50), (100, 200), (200, 210)])  # 50..100: an interviewer turn
    spans = {
        "most_of_unit": [(20, 80)],  # 60% of unit 0 (half of the span)
        "phrase_inside": [(150, 160)],  # 10% of unit 1, but the whole span lies inside it
        "grazing": [(45, 130)],  # 10% of unit 0, 30% of unit 1, under half the span in either
        "union": [(60, 130), (170, 260)],  # each 30% of unit 1; together 60%
    }
    codes = list(spans)
    labels = unit_labels(units, spans, codes, 0.5)
    assert labels.tolist() == [
        [1, 0, 0, 0],
        [0, 1, 0, 1],
        [0, 0, 0, 1],  # unit 2 lies wholly inside the second "union" span
    ]
    any_overlap = unit_labels(units, spans, codes, 0.0)
    assert any_overlap[:, codes.index("grazing")].tolist() == [1, 1, 0]
    strict = unit_labels(units, spans, codes, 1.0)
    assert strict[:, codes.index("most_of_unit")].tolist() == [0, 0, 0]
    assert strict[:, codes.index("phrase_inside")].tolist() == [0, 1, 0]


def test_levels_roll_codes_up_to_their_top_level_code() -> None:
    assert code_targets(CODEBOOK, "coded") == {c: c for c in CODEBOOK.ids}
    assert code_targets(CODEBOOK, "top") == {
        "place": "place",
        "home": "place",
        "kitchen": "place",
        "work": "work",
    }
    assert resolve_codes(CODEBOOK, ["KITCHEN", "work", "kitchen"], CODEBOOK.ids) == [
        "kitchen",
        "work",
    ]
    with pytest.raises(InputError, match="'kitchen' is not a code of this level"):
        resolve_codes(CODEBOOK, ["kitchen"], ["place", "work"])


def test_groups_are_participants_and_one_transcript_is_cut_into_blocks() -> None:
    survey = Transcript("s", "a b c", metadata={"format": "csv"})
    units = [Unit("s", 0, "R_1", 0, 1, "a"), Unit("s", 1, "R_2", 2, 3, "b")]
    assert unit_groups(survey, units) == ["s/R_1", "s/R_2"]
    interview = Transcript("i", "a b", metadata={"participant": "P07"})
    assert unit_groups(interview, units) == ["P07", "P07"]
    assert unit_groups(Transcript("t", "a b"), units) == ["t", "t"]
    assert fold_groups(["a", "b", "a"]) == ["a", "b", "a"]
    blocks = fold_groups(["t"] * 12)
    assert blocks == sorted(blocks) and len(set(blocks)) == 5
    assert [blocks.count(b) for b in sorted(set(blocks))] == [3, 2, 3, 2, 2]


# ---- examples from a store -----------------------------------------------------------------------

TEXTS = {
    "A": "I love the kitchen at home. My job is stressful and long. We moved twice.",
    "B": "The house was cold. Work paid badly. I cooked in the kitchen every night.",
    "C": "Nothing to say about that. The office was far from home.",
}


def _sentences(transcript_id: str) -> list[Unit]:
    text, units, start = TEXTS[transcript_id], [], 0
    for sentence in text.split(". "):
        end = start + len(sentence) + (1 if start + len(sentence) < len(text) else 0)
        end = min(end, len(text))
        units.append(Unit(transcript_id, len(units), "", start, end, text[start:end]))
        start = end + 1
    return units


def _code(transcript_id: str, phrase: str, code: str, coder: str = "human:ann") -> Coding:
    start = TEXTS[transcript_id].index(phrase)
    return Coding(transcript_id, start, start + len(phrase), code, coder)


@pytest.fixture
def store(tmp_path: Path) -> Project:
    project = Project.create(tmp_path / "p")
    project.add_codebook(CODEBOOK)
    for transcript_id, text in TEXTS.items():
        project.add_transcript(Transcript(transcript_id, text))
        project.add_units(transcript_id, _sentences(transcript_id))
    project.add_codings(
        [
            _code("A", "the kitchen at home", "kitchen"),
            _code("A", "My job is stressful", "work"),
            _code("B", "The house was cold", "home"),
            _code("B", "kitchen every night", "kitchen"),
            _code("B", "Work paid badly", "work"),
            _code("B", "Work paid badly", "work", "human:bob"),
        ]
    )
    yield project
    project.close()


def test_examples_are_units_of_coded_transcripts_with_negatives(store: Project) -> None:
    top = collect_examples(store, CodingSelection("Study", coder="human:ann", level="top"))
    assert top.transcript_ids == ["A", "B"]  # C was not coded by ann: no examples from it
    assert top.code_ids == ["place", "work"]
    assert [u.text for u in top.units][:2] == [
        "I love the kitchen at home.",
        "My job is stressful and long.",
    ]
    # "We moved twice." comes after ann's last coding in A: uncoded, so not an example.
    assert top.labels.to_numpy().tolist() == [[1, 0], [0, 1], [1, 0], [0, 1], [1, 0]]
    assert top.groups == ["A"] * 2 + ["B"] * 3
    coded_part = "I love the kitchen at home. My job is stressful and long."
    assert top.text_lengths == {"A": len(coded_part), "B": len(TEXTS["B"])}
    whole = CodingSelection("Study", coder="human:ann", level="top", whole_transcripts=True)
    assert collect_examples(store, whole).labels["work"].tolist() == [0, 1, 0, 0, 1, 0]
    coded = collect_examples(store, CodingSelection("Study", coder="human:ann"), ["Kitchen"])
    assert coded.code_ids == ["kitchen"]
    assert coded.labels["kitchen"].tolist() == [1, 0, 0, 0, 1]
    kept, skipped = frequent_codes(top, 3)
    assert kept == ["place"] and skipped == {"work": 2}
    pooled = collect_examples(store, CodingSelection("Study", coder_prefix="human:"))
    assert pooled.positives() == {"place": 0, "home": 1, "kitchen": 2, "work": 2}
    with pytest.raises(InputError, match="no codings by human:zoe"):
        collect_examples(store, CodingSelection("Study", coder="human:zoe"))


def test_code_definitions_describe_their_top_level_code(store: Project) -> None:
    top = collect_examples(store, CodingSelection("Study", coder="human:ann", level="top"))
    weak = definition_examples(top, 0.5)
    assert weak is not None
    assert weak.texts == ["Place. Where people live", "Home | house", "Kitchen", "Work"]
    assert weak.labels.to_numpy().tolist() == [[1, 0], [1, 0], [1, 0], [0, 1]]


def test_character_agreement_counts_like_nvivo(store: Project) -> None:
    whole = CodingSelection("Study", coder="human:ann", level="top", whole_transcripts=True)
    examples = collect_examples(store, whole)
    predicted = examples.labels.copy()
    predicted["place"] = [1, 0, 0, 0, 0, 0]  # the model codes only A's first unit
    spans = model_spans(examples, predicted)
    assert spans["A"]["place"] == [(0, 27)] and "place" not in spans["B"]
    table = character_table(examples, predicted).set_index(["code", "transcript"])
    row = table.loc[("place", "A")]
    # A has 73 characters; the human coded 19 ("the kitchen at home"), the model 27 covering them
    n, human, model, both = len(TEXTS["A"]), 19, 27, 19
    observed = (n - human - model + 2 * both) / n
    chance = (human * model + (n - human) * (n - model)) / n**2
    assert (row.human_chars, row.model_chars, row.both_chars) == (human, model, both)
    assert row.kappa == pytest.approx((observed - chance) / (1 - chance))
    assert row.percent_agreement == pytest.approx(observed)
    assert table.loc[("place", "B")].kappa == pytest.approx(0.0)  # the model missed it all

    document = agreement_document(
        examples,
        [UnitPredictions("model", "by hand", predicted.astype(float), predicted)],
        protocol="hand-made decisions",
        n_resamples=50,
    )
    place = document["methods"][0]["character_level"]["per_code"]["place"]
    b_kappa = table.loc[("place", "B")].kappa
    expected = (row.kappa * len(TEXTS["A"]) + b_kappa * len(TEXTS["B"])) / (
        len(TEXTS["A"]) + len(TEXTS["B"])
    )
    assert place["kappa"] == pytest.approx(expected, abs=1e-4)
    markdown = render_markdown(document)
    assert "| Place | 3 | 1 |" in markdown
    assert "rough at best" in markdown  # two transcripts: a bootstrap over 2 groups


# ---- cross-validation keeps held-out transcripts out of training ------------------------------


class RecordingTfidf(TfidfBaseline):
    """The real TF-IDF baseline, remembering what each fit saw."""

    fits: ClassVar[list[tuple[list[str], list[str]]]] = []

    def fit(self, texts, labels, *, groups=None, weak=None, theme_ids=None):  # type: ignore[override]
        RecordingTfidf.fits.append((list(texts), list(groups or [])))
        return super().fit(texts, labels, groups=groups, weak=weak, theme_ids=theme_ids)


def test_cross_validation_trains_and_thresholds_without_the_held_out_group(
    store: Project,
) -> None:
    examples = collect_examples(store, CodingSelection("Study", coder_prefix="human:", level="top"))
    RecordingTfidf.fits = []
    result = cross_validate_examples(examples, Method("rec", "", RecordingTfidf), n_folds=5)
    assert [fold["held_out"] for fold in result.folds] == [["A"], ["B"]]
    by_transcript = {
        tid: {u.text for u in examples.units if u.transcript_id == tid} for tid in "AB"
    }
    for (texts, inner_groups), fold in zip(RecordingTfidf.fits, result.folds, strict=True):
        (held_out,) = fold["held_out"]
        assert not set(texts) & by_transcript[held_out]
        # One training transcript left: its inner folds are contiguous blocks of it.
        assert {g.split("#")[0] for g in inner_groups} == {"AB".replace(held_out, "")}
        assert len(set(inner_groups)) == len(texts)  # 2 or 3 units: one block each
    assert result.predicted.shape == examples.labels.shape
    assert not result.proba.isna().any().any()


# ---- real data: the 174 coded answers of games_as_art ------------------------------------------


def test_cross_validated_training_on_coded_answers(testdata: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    project = tmp_path / "bopp"
    imported = runner.invoke(
        app,
        [
            "import", str(testdata / "coded/games_as_art/bopp_test.csv"), "--project",
            str(project), "--text-column", "why_art", "--codes-column", "human_codes",
            "--coder", "human:llmcode",
        ],
    )  # fmt: skip
    assert imported.exit_code == 0, imported.stderr
    report = tmp_path / "cv.json"
    result = runner.invoke(
        app,
        [
            "evaluate", "--project", str(project), "--cross-validate", "--no-baselines",
            "--folds", "5", "--resamples", "200", "--json", str(report),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "skipped 292 codes with fewer than 5 positive units" in result.stderr
    document = json.loads(report.read_text())
    codes = {code["name"]: code["positives"] for code in document["examples"]["codes"]}
    assert codes == {
        "reflection": 7,
        "beauty": 8,
        "emotion": 5,
        "story": 7,
        "lasting impression": 5,
        "feelings": 5,
        "immersion": 11,
        "lasting impact": 5,
    }
    assert document["examples"]["n_units"] == 174 and document["examples"]["n_groups"] == 174
    method = document["methods"][0]
    assert len(method["folds"]) == 5 and sum(f["n_test"] for f in method["folds"]) == 174
    rows = {(r["label"], r["metric"]): r for r in method["unit_level"]}
    macro = rows[("macro", "kappa")]
    # Few positives per code: agreement is modest, but better than chance.
    assert 0 < macro["estimate"] < 0.8 and macro["lo"] < macro["estimate"] < macro["hi"]
    assert "grouped 5-fold cross-validation over 174 groups" in result.stdout
    frame = pd.DataFrame(method["character_level"]["per_source"])
    assert set(frame["code"]) == {c["id"] for c in document["examples"]["codes"]}
    assert np.isfinite(method["character_level"]["per_code"]["macro"]["kappa"])
