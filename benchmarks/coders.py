"""Coder-comparison benchmark: the shipped classifier judged as one more coder beside two humans.

Writes benchmarks/results/coders.json and prints the summary the README quotes.

- Exam-proctoring survey (Balash et al., USENIX Security 2023; ../shared/testdata), every one of
  its 14 questions: a primary and a secondary coder, imported into one codebook. Compared on the
  responses both coded (the secondary coder coded a sample for some questions), at top-level
  codes, for the codes the primary coder gave to at least `MIN_POSITIVES` of those responses.
- ML quality interviews (Côté et al., EMSE; 4 interviews coded independently by two researchers
  in Delve: PO and Rached, or PO and Ilan for interview 30): paragraphs as units, whole
  interviews compared, codes PO gave to at least `MIN_POSITIVES` paragraphs.

The model is the shipped classifier configuration (`autocode.evaluation.methods.SHIPPED`) trained
on the primary coder's coding (PO for the interviews) and cross-validated through the project
training code: for the survey grouped 10-fold over respondents (every response is predicted by a
model trained on the primary coder's coding of the other responses), for the interviews
leave-one-interview-out. Its out-of-fold decisions are stored as model codings and compared with
`compare_coders` like any coder. "Within the humans' range" asks whether the model's kappa with
the primary coder is at least the two humans' kappa (with two humans the range is one value);
"inside the interval" whether it lies within the humans' 95% bootstrap interval.

    nice .venv/bin/python benchmarks/coders.py [--resamples 1000] [--questions Q5 ...]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from autocode.agreement.coders import compare_coders
from autocode.embed import Embedder
from autocode.evaluation.methods import SHIPPED
from autocode.project.agreement import cross_validate_examples, project_methods
from autocode.project.coded_csv import read_coded_csv
from autocode.project.exchange import import_into_project
from autocode.project.training import CodingSelection, collect_examples
from autocode.store import Project, sha256_text
from autocode.types import Code, Codebook, Coding, Transcript, Unit
from machine import machine_facts

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT.parent / "shared" / "testdata" / "coded"
SURVEY = TESTDATA / "exam_proctoring_survey" / "irr_inputs"
INTERVIEWS = TESTDATA / "ml_quality_interviews" / "derived_codings_from_pdfs.csv"
RESULTS = ROOT / "benchmarks" / "results" / "coders.json"
MIN_POSITIVES = 3
MODEL = "model:theme-classifier@cross-validated"
FOLDS = 10


def survey_project(folder: Path, question: str) -> Path:
    project = folder / question
    for role in ("primary", "secondary"):
        path = SURVEY / f"{question}_{role}.csv"
        coded = read_coded_csv(
            path,
            codes_columns=["Code *"],
            coder=f"human:{role}",
            codebook="exam",
            hierarchy_separator="->",
            transcript_id=question,
        )
        import_into_project(
            project, coded.project, source=path, units=coded.units, merge_codebook=True
        )
    return project


def interview_project(folder: Path) -> Path:
    """The 4 interviews as transcripts of paragraphs (participant = interview), each coder's
    paragraph codes as codings spanning the paragraph."""
    with INTERVIEWS.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["role"] == "codings"]
    project = folder / "interviews"
    codes: dict[str, None] = {}
    with Project.create(project, writer=True) as store:
        interviews = sorted({row["interview"] for row in rows}, key=int)
        units_of: dict[str, list[Unit]] = {}
        codings: list[Coding] = []
        for interview in interviews:
            own = [row for row in rows if row["interview"] == interview]
            po = sorted(
                (r for r in own if r["coder"] == "PO"), key=lambda r: int(r["paragraph_index"])
            )
            other = {r["paragraph_index"]: r for r in own if r["coder"] != "PO"}
            tid = f"Interview {interview}"
            parts, units, offset = [], [], 0
            for index, row in enumerate(po):
                text = " ".join(row["text"].split()) or "(empty)"
                units.append(Unit(tid, index, row["speaker"], offset, offset + len(text), text))
                parts.append(text)
                offset += len(text) + 2
                for coder, source in (
                    ("human:PO", row),
                    ("human:second", other.get(row["paragraph_index"])),
                ):
                    for code in (source or {}).get("codes", "").split(";"):
                        code = code.strip()
                        if code:
                            codes.setdefault(code)
                            codings.append(
                                Coding(
                                    tid,
                                    units[-1].start,
                                    units[-1].end,
                                    code,
                                    coder,
                                    unit_index=index,
                                )
                            )
            transcript = Transcript(
                tid, "\n\n".join(parts), metadata={"format": "txt", "participant": tid}
            )
            store.add_transcript(transcript)
            units_of[tid] = units
        store.add_codebook(Codebook("ml quality", [Code(code, code) for code in codes]))
        for tid, units in units_of.items():
            store.add_units(tid, units)
        store.add_codings(codings, codebook="ml quality")
    return project


def frequent_primary_codes(
    project: Path, primary: str, secondary: str, codebook: str, level: str, whole: bool
) -> list[str]:
    """Codes the primary coder gave to at least MIN_POSITIVES of the items both coded."""
    with Project.open(project) as store:
        humans = compare_coders(
            store, [primary, secondary], codebook, code_level=level,  # type: ignore[arg-type]
            whole_transcripts=whole, bootstrap=0,
        )  # fmt: skip
    positives = {code: values["positives"][primary] for code, values in humans.per_code.items()}
    return [code for code, n in positives.items() if n >= MIN_POSITIVES]


def add_model_codings(
    project: Path, primary: str, codebook: str, level: str, codes: list[str], whole: bool
) -> dict[str, Any]:
    """Cross-validate the shipped classifier on the primary coder's coding; store its decisions."""
    selection = CodingSelection(codebook, coder=primary, level=level, whole_transcripts=whole)  # type: ignore[arg-type]
    with Project.open(project, writer=True) as store:
        embedder = Embedder(cache=store)
        examples = collect_examples(store, selection, codes)
        method = project_methods(examples, embedder, SHIPPED, baselines=False)[0]
        started = time.perf_counter()
        predictions = cross_validate_examples(examples, method, FOLDS)
        seconds = time.perf_counter() - started
        chosen = predictions.predicted[examples.code_ids].to_numpy()
        codings = [
            Coding(unit.transcript_id, unit.start, unit.end, code, MODEL, unit_index=unit.index)
            for unit, row in zip(examples.units, chosen, strict=True)
            for code, flag in zip(examples.code_ids, row, strict=True)
            if flag
        ]
        store.add_codings(codings, codebook=codebook)
        for tid in examples.transcript_ids:
            text = store.get_transcript(tid).text
            store.mark_coded(tid, "cross-validated", sha256_text(text), None, coder=MODEL)
    return {
        "n_training_units": len(examples.units),
        "folds": len(predictions.folds or []),
        "model_seconds": round(seconds, 1),
    }


def compare(
    project: Path, coders: list[str], codebook: str, level: str, codes: list[str], whole: bool,
    resamples: int,
) -> list[dict[str, Any]]:  # fmt: skip
    """Per code: the humans' kappa and the model's kappa with each human."""
    with Project.open(project) as store:
        result = compare_coders(
            store, coders, codebook, code_level=level, codes=codes,  # type: ignore[arg-type]
            whole_transcripts=whole, bootstrap=resamples,
        ).to_json()  # fmt: skip
    primary, secondary, model = coders
    lines = {line["code"]: line for line in result["model_as_coder"]}
    rows = []
    for code, values in result["codes"].items():
        pairs = {frozenset(p["coders"]): p for p in values["pairs"]}
        humans = pairs[frozenset((primary, secondary))]
        with_primary = pairs[frozenset((model, primary))]
        with_secondary = pairs[frozenset((model, secondary))]
        line = lines[code]["with_humans"][primary]
        rows.append(
            {
                "code": code,
                "n_items": result["n_items"],
                "positives": values["positives"],
                "humans_kappa": humans["cohen_kappa"],
                "humans_ci": humans["ci"],
                "model_primary_kappa": with_primary["cohen_kappa"],
                "model_primary_ci": with_primary["ci"],
                "model_secondary_kappa": with_secondary["cohen_kappa"],
                "position_vs_humans": line["position"],
                "inside_human_interval": line["inside_human_interval"],
                "krippendorff_alpha_three_coders": values["krippendorff_alpha"],
            }
        )
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    defined = [
        r for r in rows if r["humans_kappa"] is not None and r["model_primary_kappa"] is not None
    ]
    within = [r for r in defined if r["position_vs_humans"] in ("within", "above")]
    near = [r for r in defined if r["position_vs_humans"] == "below" and r["inside_human_interval"]]
    below = [
        r for r in defined if r["position_vs_humans"] == "below" and not r["inside_human_interval"]
    ]
    return {
        "n_codes": len(rows),
        "n_codes_defined": len(defined),
        "mean_humans_kappa": _mean([r["humans_kappa"] for r in defined]),
        "mean_model_primary_kappa": _mean([r["model_primary_kappa"] for r in defined]),
        "mean_model_secondary_kappa": _mean(
            [r["model_secondary_kappa"] for r in defined if r["model_secondary_kappa"] is not None]
        ),
        "model_at_or_above_humans": len(within),
        "model_below_but_inside_human_interval": len(near),
        "model_below_human_interval": len(below),
        "codes_at_or_above": [
            r["question"] + ":" + r["code"] if "question" in r else r["code"] for r in within
        ],
        "codes_below_interval": [
            r["question"] + ":" + r["code"] if "question" in r else r["code"] for r in below
        ],
    }


def _mean(values: list[float]) -> float | None:
    return round(float(np.mean(values)), 3) if values else None


def survey_questions() -> list[str]:
    return sorted(path.name.removesuffix("_primary.csv") for path in SURVEY.glob("*_primary.csv"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--questions", nargs="*", help="Survey questions (default: all 14).")
    parser.add_argument("--skip-interviews", action="store_true")
    args = parser.parse_args()
    if not SURVEY.is_dir():
        sys.exit(f"test data not found at {SURVEY}")
    started = time.perf_counter()
    survey_rows: list[dict[str, Any]] = []
    questions: dict[str, Any] = {}
    humans, model = ["human:primary", "human:secondary"], MODEL
    with tempfile.TemporaryDirectory() as folder:
        for question in args.questions or survey_questions():
            project = survey_project(Path(folder), question)
            codes = frequent_primary_codes(project, *humans, "exam", "top", False)
            if not codes:
                questions[question] = {"codes": 0}
                continue
            run = add_model_codings(project, humans[0], "exam", "top", codes, False)
            rows = compare(project, [*humans, model], "exam", "top", codes, False, args.resamples)
            for row in rows:
                row["question"] = question
            survey_rows += rows
            questions[question] = {"codes": len(rows), **run, **summary(rows)}
            done = questions[question]
            print(
                f"{question}: {len(rows)} codes, humans {done['mean_humans_kappa']}, "
                f"model {done['mean_model_primary_kappa']}",
                flush=True,
            )
        interviews: dict[str, Any] = {}
        if not args.skip_interviews:
            project = interview_project(Path(folder))
            pair = ["human:PO", "human:second"]
            codes = frequent_primary_codes(project, *pair, "ml quality", "coded", True)
            run = add_model_codings(project, pair[0], "ml quality", "coded", codes, True)
            rows = compare(
                project, [*pair, model], "ml quality", "coded", codes, True, args.resamples
            )
            interviews = {**run, **summary(rows), "per_code": rows}
    document = {
        "benchmark": "coders",
        "description": __doc__.split("\n\n")[1].strip() if __doc__ else "",
        "settings": {
            "min_positives": MIN_POSITIVES,
            "model": "shipped classifier configuration (autocode.evaluation.methods.SHIPPED)",
            "survey_code_level": "top",
            "survey_folds": f"grouped {FOLDS}-fold over respondents",
            "interview_folds": "leave-one-interview-out",
            "bootstrap_resamples": args.resamples,
            "only_units_coded_by_all": True,
        },
        "survey": {
            "summary": summary(survey_rows),
            "questions": questions,
            "per_code": survey_rows,
        },
        "interviews": interviews,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "machine": machine_facts(),
    }
    if not args.questions:
        RESULTS.write_text(
            json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    print(
        json.dumps(
            {
                "survey": document["survey"]["summary"],
                "interviews": {k: v for k, v in interviews.items() if k != "per_code"},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
