"""The seed's stage layer and the matrix queries: benchmarks/results/matrix.json.

- Stage classifier on the seed corpus: leave-one-participant-out kappa per stage and macro, with
  95% intervals (bootstrap over participants), beside TF-IDF, majority and definition-cosine
  baselines on the same folds. Thresholds come from inner folds of the training participants.
- The seed study's tables reproduced: the share of participant x theme cells (P1-P12), of
  participant-level theme-stage links and of theme x stage pairs on which autocode's
  leave-one-participant-out coding of every quote agrees with the authors' statements.
- Speed: a matrix query on a 100,000-unit project (1,000 transcripts of 100 units, 5 themes
  and 5 stages from two model coders and a human on 2% of the units): participant x theme,
  theme x stage, theme x theme within a window of 2, cold process (opening the project
  included). The reference in the same run is reading the project's codings into a DataFrame
  (`Project.codings_frame`), the step a researcher would start from to build the table by hand.

    nice .venv/bin/python benchmarks/matrix.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from autocode.corpus import STAGES, load_corpus
from autocode.embed import Embedder
from autocode.evaluation import evaluation_document, metric
from autocode.evaluation.methods import baseline_methods, classifier_method
from autocode.evaluation.seed_tables import seed_tables
from autocode.matrix import MatrixQuery, matrix_query
from autocode.store import Project
from autocode.types import Code, Codebook, Coding, Transcript, Unit
from autocode.versions import package_versions

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "matrix.json"
N_TRANSCRIPTS, UNITS_PER_TRANSCRIPT = 1_000, 100
QUERY_GOAL_S = 2.0


def stage_evaluation(embedder: Embedder) -> dict[str, Any]:
    corpus = load_corpus(ROOT / "corpus" / "seed").layer(STAGES)
    methods = [classifier_method(corpus, embedder), *baseline_methods(corpus, embedder)]
    document = evaluation_document(corpus, methods, n_resamples=1000, seed=0)
    rows = {}
    for summary in document["methods"]:
        rows[summary["method"]] = {
            label: {key: metric(summary, label, "kappa")[key] for key in ("estimate", "lo", "hi")}
            for label in [*corpus.theme_ids, "macro"]
        }
    return {
        "n_quotes": document["corpus"]["n_theme_coded"],
        "n_paraphrases": document["corpus"]["n_paraphrases_coded"],
        "n_participants": document["corpus"]["n_participants"],
        "protocol": document["protocol"],
        "kappa": rows,
        "participant_level": {
            s["method"]: (s["participant_level"] or {}).get("pooled") for s in document["methods"]
        },
    }


def seed_table_agreement(embedder: Embedder) -> dict[str, Any]:
    started = time.perf_counter()
    tables = seed_tables(load_corpus(ROOT / "corpus" / "seed"), embedder)
    return {**tables.agreement(), "seconds": round(time.perf_counter() - started, 2)}


def build_project(folder: Path) -> int:
    """A 100,000-unit project: units of 60 characters, codes drawn with seed 0."""
    rng = np.random.default_rng(0)
    themes = Codebook("themes", [Code(f"T{i}", f"Theme {i}") for i in range(1, 6)])
    stages = Codebook("stages", [Code(f"S{i}", f"Stage {i}") for i in range(1, 6)])
    sentence = "We had to retrain the model when the data changed again. "
    width = len(sentence)
    with Project.create(folder, writer=True) as project:
        project.add_codebook(themes)
        project.add_codebook(stages)
        for t in range(N_TRANSCRIPTS):
            tid = f"interview-{t:04d}"
            text = sentence * UNITS_PER_TRANSCRIPT
            project.add_transcript(Transcript(tid, text, metadata={"participant": f"P{t % 150}"}))
            units = [
                Unit(tid, i, "P", i * width, (i + 1) * width, sentence)
                for i in range(UNITS_PER_TRANSCRIPT)
            ]
            project.add_units(tid, units)
            for book, coder in ((themes, "model:toy-themes@1"), (stages, "model:toy-stages@1")):
                chosen = rng.random((UNITS_PER_TRANSCRIPT, 5)) < 0.25
                codings = [
                    Coding(tid, u.start, u.end, book.ids[j], coder, 0.9, unit_index=u.index)
                    for u in units
                    for j in np.flatnonzero(chosen[u.index])
                ]
                if t % 50 == 0:  # a reviewer decided 2% of the units
                    codings += [
                        Coding(tid, u.start, u.end, book.ids[0], "human:ana", unit_index=u.index)
                        for u in units
                    ]
                project.add_codings(codings, codebook=book.name)
    return N_TRANSCRIPTS * UNITS_PER_TRANSCRIPT


def query_speed(folder: Path) -> dict[str, Any]:
    queries = {
        "participant_x_theme": MatrixQuery(codebook="themes"),
        "theme_x_stage": MatrixQuery(rows="code", row_codebook="themes", codebook="stages"),
        "theme_x_theme_window_2": MatrixQuery(rows="code", codebook="themes", window=2),
    }
    timings: dict[str, Any] = {}
    for name, query in queries.items():
        seconds = []
        for _ in range(3):
            started = time.perf_counter()
            matrix = matrix_query(folder, query)
            seconds.append(time.perf_counter() - started)
        timings[name] = {
            "median_s": round(float(np.median(seconds)), 3),
            "cells": matrix.counts.size,
        }
    reference = []
    for _ in range(3):
        started = time.perf_counter()
        with Project.open(folder) as project:
            frame = project.codings_frame()
        reference.append(time.perf_counter() - started)
    ref = float(np.median(reference))
    for timing in timings.values():
        timing["ratio_to_reference"] = round(timing["median_s"] / ref, 3)
        timing["goal_met"] = timing["median_s"] < QUERY_GOAL_S
    return {
        "queries": timings,
        "reference": {
            "what": "Project.codings_frame(): every coding as a DataFrame",
            "median_s": round(ref, 3),
            "rows": len(frame),
        },
        "goal_s": QUERY_GOAL_S,
    }


def main() -> None:
    started = time.perf_counter()
    embedder = Embedder()
    document: dict[str, Any] = {
        "versions": package_versions(),
        "embedder": embedder.model_id,
        "stage_classifier": stage_evaluation(embedder),
        "seed_tables": seed_table_agreement(embedder),
    }
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "project"
        built = time.perf_counter()
        n_units = build_project(folder)
        document["speed"] = {
            "n_units": n_units,
            "build_s": round(time.perf_counter() - built, 1),
            **query_speed(folder),
        }
    document["wall_seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    json.dump({k: document[k] for k in ("seed_tables", "speed")}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
