"""`compare_coders` and `autocode agreement` on real project stores.

Published multi-coder examples go in as coded survey tables with one column per coder (the
coded-table import's per-coder column sets), and come out of the project with their published
values: Fleiss (1971) per diagnosis and overall, Krippendorff (2011) section C's alpha with missing
data, and Gwet's (irrCAC) percent agreement and Brennan-Prediger for the same data (sources in
tests/test_coders_statistics.py). The exam-proctoring survey's two coders (../shared/testdata)
give the real-data checks.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from autocode.agreement import character_agreement, weighted_mean_kappa
from autocode.agreement.coders import compare_coders
from autocode.cli import app
from autocode.project.coded_csv import read_coded_csv
from autocode.project.exchange import import_into_project
from autocode.report.coders import coders_page
from autocode.store import Project
from autocode.types import Code, Codebook, Coding, Transcript, Unit
from test_coders_statistics import DIAGNOSES, DIAGNOSIS_KAPPAS, KRIPPENDORFF_C

DIAGNOSIS_NAMES = ["depression", "personality disorder", "schizophrenia", "neurosis", "other"]
SURVEY = "coded/exam_proctoring_survey/irr_inputs"


def run(*args: str | Path, code: int = 0) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result.stdout if code == 0 else result.stderr


def survey_project(tmp_path: Path, ratings: np.ndarray, names: list[str]) -> Path:
    """A project holding one coded table: response i, coded by coder j with names[value - 1]
    (nothing where the value is nan), imported with one column per coder."""
    table = tmp_path / "ratings.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ResponseId", "answer", *(f"rater {j + 1}" for j in range(len(ratings)))])
        for i in range(ratings.shape[1]):
            cells = ["" if np.isnan(v) else names[int(v) - 1] for v in ratings[:, i]]
            writer.writerow([f"R{i + 1}", f"The answer of respondent {i + 1}.", *cells])
    coded = read_coded_csv(
        table,
        coder_columns={f"human:r{j + 1}": [f"rater {j + 1}"] for j in range(len(ratings))},
        text_column="answer",
        codebook="ratings",
    )
    import_into_project(
        tmp_path / "p", coded.project, source=table, units=coded.units, merge_codebook=True
    )
    return tmp_path / "p"


def test_fleiss_1971_through_a_project(tmp_path: Path) -> None:
    project = survey_project(tmp_path, DIAGNOSES.astype(float), DIAGNOSIS_NAMES)
    coders = [f"human:r{j}" for j in range(1, 7)]
    with Project.open(project) as store:
        result = compare_coders(store, coders, bootstrap=50).to_json()
    assert result["coders"] == coders and result["level"] == "unit" and result["n_items"] == 30
    for name, published in zip(DIAGNOSIS_NAMES, DIAGNOSIS_KAPPAS, strict=True):
        assert result["codes"][name]["fleiss_kappa"] == pytest.approx(published, abs=5e-4)
        assert len(result["codes"][name]["pairs"]) == 15
    book = result["codebook_level"]
    assert book["mutually_exclusive"] and book["n_units"] == 30
    assert book["fleiss_kappa"] == pytest.approx(0.4302, abs=1e-4)
    # A pair's kappa is Cohen's kappa of the two raters' present/absent values.
    pair = result["codes"]["neurosis"]["pairs"][0]
    assert pair["coders"] == ["human:r1", "human:r2"]
    expected = cohen_kappa_score(DIAGNOSES[0] == 4, DIAGNOSES[1] == 4)
    assert pair["cohen_kappa"] == pytest.approx(expected, abs=1e-4)
    assert pair["ci"][0] <= pair["cohen_kappa"] <= pair["ci"][1]


def test_krippendorff_2011_missing_data_through_a_project(tmp_path: Path) -> None:
    names = [f"value {v}" for v in range(1, 6)]
    project = survey_project(tmp_path, KRIPPENDORFF_C, names)
    coders = [f"human:r{j}" for j in range(1, 5)]
    with Project.open(project) as store:
        some = compare_coders(store, coders, only_units_coded_by_all=False, bootstrap=0)
        every = compare_coders(store, coders, bootstrap=0)
    book = some.to_json()["codebook_level"]
    # Unit 12 has one value only: not compared (and unpairable for alpha anyway).
    assert book["n_units"] == 11 and book["n_units_all_coders"] == 8
    assert book["krippendorff_alpha_nominal"] == pytest.approx(0.743, abs=5e-4)
    assert book["percent_agreement"] == pytest.approx(0.8182, abs=1e-4)
    assert book["brennan_prediger"] == pytest.approx(0.7727, abs=1e-4)
    assert len(every.items) == 8
    assert every.to_json()["codebook_level"]["fleiss_kappa"] == pytest.approx(book["fleiss_kappa"])


def test_the_model_as_one_more_coder(tmp_path: Path) -> None:
    project = survey_project(tmp_path, DIAGNOSES.astype(float), DIAGNOSIS_NAMES)
    with Project.open(project, writer=True) as store:
        rows = store.codings(coder="human:r6")
        store.delete_codings(coder="human:r6")
        store.add_codings(
            [Coding(c.transcript_id, c.start, c.end, c.code_id, "model:dx@1") for c in rows],
            codebook="ratings",
        )
    humans = [f"human:r{j}" for j in range(1, 6)]
    with Project.open(project) as store:
        result = compare_coders(store, [*humans, "model:dx@1"], bootstrap=100).to_json()
    lines = {line["code"]: line for line in result["model_as_coder"]}
    assert set(lines) == set(DIAGNOSIS_NAMES)
    for k, name in enumerate(DIAGNOSIS_NAMES, start=1):
        between = [
            cohen_kappa_score(DIAGNOSES[i] == k, DIAGNOSES[j] == k)
            for i in range(5)
            for j in range(i + 1, 5)
        ]
        line = lines[name]
        assert line["human_range"] == pytest.approx([min(between), max(between)], abs=1e-4)
        for h, human in enumerate(humans):
            model = cohen_kappa_score(DIAGNOSES[h] == k, DIAGNOSES[5] == k)
            entry = line["with_humans"][human]
            assert entry["kappa"] == pytest.approx(model, abs=1e-4)
            position = (
                "below" if model < min(between) else "above" if model > max(between) else "within"
            )
            assert entry["position"] == position
        assert line["as_good_as_humans"] == all(
            e["position"] != "below" for e in line["with_humans"].values()
        )
    said = run(
        "agreement", "--project", project, "--coders", "human:r1,model:dx@1", "--resamples", "0"
    )
    assert "compare it with two or more human coders" in said
    said = run("agreement", "--project", project, "--coders", f"{','.join(humans)},model:dx@1")
    assert "schizophrenia: model:dx@1 κ with human:r1" in said


def _interview_project(tmp_path: Path, units: bool = True) -> Path:
    """Two interviews, two coders with overlapping spans of one code."""
    texts = {
        "P1": "I moved for work. The winters were lonely. Then I met my neighbours.",
        "P2": "Work was hard at first. I had nobody to talk to. Now it is <b>fine</b>.",
    }
    spans = {
        "human:a": {"P1": ["The winters were lonely."], "P2": ["I had nobody to talk to."]},
        "human:b": {"P1": ["winters were lonely. Then I met"], "P2": ["Now it is <b>fine</b>."]},
    }
    with Project.create(tmp_path / "p", writer=True) as store:
        store.add_codebook(Codebook("b", [Code("lonely", "Loneliness")]))
        for tid, text in texts.items():
            store.add_transcript(Transcript(tid, text, metadata={"format": "txt"}))
            if not units:
                continue
            sentences = [s + "." for s in text.rstrip(".").split(". ")]
            offsets = [text.index(s) for s in sentences]
            store.add_units(
                tid,
                [
                    Unit(tid, i, "P", o, o + len(s), s)
                    for i, (s, o) in enumerate(zip(sentences, offsets, strict=True))
                ],
            )
        codings = [
            Coding(tid, texts[tid].index(p), texts[tid].index(p) + len(p), "lonely", coder)
            for coder, by in spans.items()
            for tid, phrases in by.items()
            for p in phrases
        ]
        store.add_codings(codings, codebook="b")
    return tmp_path / "p"


def test_character_level_is_nvivo_style_and_document_level_per_transcript(tmp_path: Path) -> None:
    project = _interview_project(tmp_path)
    with Project.open(project) as store:
        characters = compare_coders(
            store, ["human:a", "human:b"], level="character", whole_transcripts=True, bootstrap=0
        )
        documents = compare_coders(
            store, ["human:a", "human:b"], level="document", bootstrap=0
        ).to_json()
        expected = []
        for tid in ("P1", "P2"):
            text = store.get_transcript(tid).text
            a = [(c.start, c.end) for c in store.codings(coder="human:a", transcript_id=tid)]
            b = [(c.start, c.end) for c in store.codings(coder="human:b", transcript_id=tid)]
            result = character_agreement(a, b, len(text))
            expected.append((result.kappa, result.n_chars))
    pair = characters.to_json()["codes"]["lonely"]["pairs"][0]
    assert pair["cohen_kappa"] == pytest.approx(weighted_mean_kappa(expected), abs=1e-4)
    assert characters.items.weights.sum() == sum(n for _, n in expected)
    # Both coders used the code in both transcripts: full agreement at document level.
    assert documents["n_items"] == 2
    assert documents["codes"]["lonely"]["pairs"][0]["percent_agreement"] == 1.0
    # Disagreements at character level are whole passages: P2 has two (a's span, b's span).
    passages = [d for d in characters.disagreements if d.transcript == "P2"]
    assert [d.text for d in passages] == ["I had nobody to talk to.", "Now it is <b>fine</b>."]
    assert passages[0].coded_by == ("human:a",) and passages[0].not_coded_by == ("human:b",)
    html = coders_page(characters)
    assert "Now it is &lt;b&gt;fine&lt;/b&gt;." in html and "<b>fine" not in html


def _exam_import(testdata: Path, project: Path, question: str) -> None:
    for role in ("primary", "secondary"):
        run(
            "import", testdata / SURVEY / f"{question}_{role}.csv", "--project", project,
            "--codes-column", "Code *", "--coder", f"human:{role}", "--codebook", "exam",
            "--hierarchy-separator", "->", "--transcript-id", question,
        )  # fmt: skip


def _code_sets(path: Path) -> list[set[str]]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    columns = [c for c in frame.columns if c.startswith("Code ")]
    return [
        {cell.split("->")[0].strip() for cell in row if cell.strip()}
        for row in frame[columns].itertuples(index=False)
    ]


def test_two_real_coders_compared_from_the_command_line(testdata: Path, tmp_path: Path) -> None:
    question = "Yes_and_No_Q5"
    project = tmp_path / "p"
    _exam_import(testdata, project, question)
    out = tmp_path / "out"
    said = run(
        "agreement", "--project", project, "--coders", "human:primary,human:secondary",
        "--codebook", "exam", "--code-level", "top", "--resamples", "200",
        "--json", out / "a.json", "--html", out / "a.html", "--csv", out / "a.csv",
    )  # fmt: skip
    document = json.loads((out / "a.json").read_text(encoding="utf-8"))
    primary = _code_sets(testdata / SURVEY / f"{question}_primary.csv")
    secondary = _code_sets(testdata / SURVEY / f"{question}_secondary.csv")
    both = [i for i in range(len(primary)) if primary[i] and secondary[i]]
    # Responses the secondary coder left uncoded are not disagreements: only both-coded rows.
    assert document["n_items"] == len(both) < len(primary) / 2
    assert f"{len(both)} items every coder coded" in said and "Agreement per code" in said
    for code, values in document["codes"].items():
        assert set(values) >= {"krippendorff_alpha", "fleiss_kappa", "pairs"}
        (pair,) = values["pairs"]
        assert set(pair) >= {"coders", "cohen_kappa", "percent_agreement", "brennan_prediger", "ci"}
        first = [code in primary[i] for i in both]
        second = [code in secondary[i] for i in both]
        if len(set(first) | set(second)) == 2:
            assert pair["cohen_kappa"] == pytest.approx(cohen_kappa_score(first, second), abs=1e-4)
        expected_agreement = np.mean(np.array(first) == np.array(second))
        assert pair["percent_agreement"] == pytest.approx(expected_agreement, abs=1e-4)
        assert pair["brennan_prediger"] == pytest.approx(2 * expected_agreement - 1, abs=1e-4)
    assert set(document["codebook_level"]) >= {
        "krippendorff_alpha_nominal",
        "fleiss_kappa",
        "n_units",
    }
    assert document["codebook_level"]["krippendorff_alpha_nominal"] is None  # several codes each
    # Restricting the codes keeps the items: coverage counts every code a coder used.
    one_code = run(
        "agreement", "--project", project, "--coders", "human:primary,human:secondary",
        "--code-level", "top", "--codes", next(iter(document["codes"])), "--resamples", "0",
    )  # fmt: skip
    assert f"{len(both)} items every coder coded" in one_code
    rows = list(csv.DictReader((out / "a.csv").open(encoding="utf-8")))
    assert len(rows) == document["n_disagreements"] > 0
    html = (out / "a.html").read_text(encoding="utf-8")
    assert "<script" not in html and "Where coders disagree" in html
    assert all(row["coded_by"] and row["not_coded_by"] for row in rows)


def test_one_file_with_a_column_set_per_coder(testdata: Path, tmp_path: Path) -> None:
    question = "Yes_Only_Q11"
    primary = pd.read_csv(testdata / SURVEY / f"{question}_primary.csv", dtype=str)
    secondary = pd.read_csv(testdata / SURVEY / f"{question}_secondary.csv", dtype=str)
    codes = [c for c in primary.columns if c.startswith("Code ")]
    merged = primary.rename(columns={c: f"P {c}" for c in codes})
    for c in codes:
        merged[f"S {c}"] = secondary[c]
    table = tmp_path / "Q11 both coders.csv"
    merged.to_csv(table, index=False)
    said = run(
        "import", table, "--project", tmp_path / "one", "--coder-columns", "human:primary=P Code *",
        "--coder-columns", "human:secondary=S Code *", "--hierarchy-separator", "->",
        "--transcript-id", question, "--codebook", "exam",
    )  # fmt: skip
    assert "(human:primary 26, human:secondary 26)" in said
    _exam_import(testdata, tmp_path / "two", question)
    with Project.open(tmp_path / "one") as one, Project.open(tmp_path / "two") as two:
        for coder in ("human:primary", "human:secondary"):
            facts = [
                [(c.transcript_id, c.start, c.end, c.code_id) for c in store.codings(coder=coder)]
                for store in (one, two)
            ]
            assert facts[0] == facts[1] and facts[0]
        assert set(one.codebook("exam").ids) == set(two.codebook("exam").ids)
        # Two coders' files with --codebook land in one codebook.
        assert two.codebooks() == ["exam"]
        assert {c.coder for c in two.codings(codebook="exam")} == {
            "human:primary",
            "human:secondary",
        }
    error = run(
        "import", table, "--project", tmp_path / "bad", "--coder-columns", "human:primary",
        code=2,
    )  # fmt: skip
    assert "--coder-columns takes CODER=COLUMN" in error and not (tmp_path / "bad").exists()


def test_transcripts_without_units_are_segmented_first(tmp_path: Path) -> None:
    project = _interview_project(tmp_path, units=False)
    said = run(
        "agreement", "--project", project, "--coders", "human:a,human:b", "--whole-transcripts",
        "--resamples", "0", "--json", tmp_path / "a.json",
    )  # fmt: skip
    with Project.open(project) as store:
        assert store.units("P1") and store.units("P2")
    assert "Loneliness" in said
    assert json.loads((tmp_path / "a.json").read_text())["n_items"] == len(
        [*store_units(project, "P1"), *store_units(project, "P2")]
    )


def store_units(project: Path, transcript_id: str) -> list[Unit]:
    with Project.open(project) as store:
        return store.units(transcript_id)


def test_bad_coders_are_one_line_and_exit_2(tmp_path: Path) -> None:
    project = _interview_project(tmp_path)
    with Project.open(project, writer=True) as store:
        store.add_codebook(Codebook("other", [Code("x", "X")]))
        store.add_codings([Coding("P1", 0, 5, "x", "human:c")], codebook="other")
    cases = {
        "human:a,human:nobody": "has no coder human:nobody",
        "human:a,human:c": "human:c has no codings in codebook 'b' (only in 'other')",
        "human:a": "compare at least two coders",
        "human:a,human:a": "coder human:a is given twice",
        "human:a,alice": "a coder is human:NAME or model:NAME",
    }
    for coders, problem in cases.items():
        error = run(
            "agreement", "--project", project, "--coders", coders, "--codebook", "b", code=2
        )
        assert (
            problem in error and "Traceback" not in error and len(error.strip().splitlines()) == 1
        )
    error = run(
        "agreement", "--project", project, "--coders", "human:a,human:b", "--level", "x", code=2
    )
    assert "--level must be one of unit, character, document" in error
