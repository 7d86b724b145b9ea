"""Agreement of a model with the human coding a project holds, at two levels.

- Unit level: each meaning unit is an item, labelled by the human coding through the overlap
  rule of `autocode.project.training`; per code, kappa, Krippendorff's alpha, F1, precision,
  recall and percentage agreement, with 95% percentile intervals from a bootstrap that resamples
  whole groups (participants or transcripts; see `fold_groups` for a single transcript), and a
  nan-aware macro average over codes (`autocode.agreement.agreement_report`).
- Character level, the way NVivo's coding comparison counts: per code and source, every
  character of the transcript (of its coded part, or of the units a reviewer answered, see
  `collect_examples`) is an item, coded by
  the human where a human span covers it and by the model where a unit the model coded covers
  it; kappa and percentage agreement per source (`character_agreement`), then averaged over
  sources weighted by their length
  (`weighted_mean_kappa`; sources where kappa is undefined, because neither coded the code
  there, are left out). Human codings of speech that is not segmented (interviewer turns) count
  too: the model cannot code them, which is part of the comparison.

Decisions come from a trained model (`predict_units`) or from cross-validated training on the
human coding itself (`cross_validate_examples`: every model and threshold is fitted on the
training folds only), for the classifier and the baselines (`project_methods`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from autocode import __version__
from autocode.agreement import agreement_report, character_agreement, weighted_mean_kappa
from autocode.agreement.units import Span
from autocode.bootstrap import MACRO
from autocode.classify import ThemeClassifier
from autocode.classify.thresholds import fold_indices
from autocode.evaluation import Method
from autocode.evaluation import _clean as json_ready
from autocode.evaluation.baselines import (
    DefinitionSimilarityBaseline,
    MajorityBaseline,
    TfidfBaseline,
)
from autocode.evaluation.methods import SHIPPED, ClassifierSettings
from autocode.project.training import UnitExamples, fold_groups, weak_examples

if TYPE_CHECKING:
    from autocode.embed import Embedder

FEW_GROUPS = 10  # a bootstrap over fewer clusters than this gives rough intervals


def project_methods(
    examples: UnitExamples,
    embedder: Embedder,
    settings: ClassifierSettings = SHIPPED,
    baselines: bool = True,
) -> list[Method]:
    """The classifier and, with `baselines`, the majority, TF-IDF and code-name baselines."""
    methods = [
        Method(
            "theme-classifier",
            # a project's weak examples are its code definitions; it has no paraphrases
            replace(settings, paraphrases=False).describe(
                embedder.model_id, "grouped folds of the training data"
            ),
            lambda: settings.build(embedder),
            weak_examples(examples, settings),
        )
    ]
    if not baselines:
        return methods
    names = {
        code: ". ".join(
            p for p in (examples.name(code), examples.codebook.get(code).definition) if p
        )
        for code in examples.code_ids
    }
    return [
        *methods,
        Method("majority", "prior: a code is predicted where most units have it", MajorityBaseline),
        Method(
            "tfidf-logreg",
            "TF-IDF word 1-2 grams + balanced logistic regression per code; inner-fold thresholds",
            TfidfBaseline,
        ),
        Method(
            "definition-cosine",
            "cosine similarity to each code's name and definition; inner-fold thresholds",
            lambda: DefinitionSimilarityBaseline(names, embedder=embedder),
        ),
    ]


@dataclass
class UnitPredictions:
    """One method's decisions for every example unit (rows aligned with `examples.units`)."""

    method: str
    description: str
    proba: pd.DataFrame
    predicted: pd.DataFrame
    wall_seconds: float = 0.0
    folds: list[dict[str, Any]] | None = None


def predict_units(model: ThemeClassifier, examples: UnitExamples, name: str) -> UnitPredictions:
    """A trained model's probabilities and decisions for the example units."""
    started = time.perf_counter()
    proba = model.predict_proba(examples.texts)[examples.code_ids]
    predicted = model.decide(proba)[examples.code_ids].astype(int)
    return UnitPredictions(
        name, "trained model", proba, predicted, time.perf_counter() - started, None
    )


def cross_validate_examples(
    examples: UnitExamples, method: Method, n_folds: int = 10
) -> UnitPredictions:
    """Out-of-fold decisions: each fold's model is trained (thresholds included) on the other
    groups only. Leave-one-group-out up to max(n_folds, 20) groups, else grouped K-fold."""
    texts, labels = examples.texts, examples.labels
    groups = fold_groups(examples.groups)
    proba = pd.DataFrame(np.nan, index=labels.index, columns=labels.columns)
    predicted = pd.DataFrame(0, index=labels.index, columns=labels.columns)
    folds: list[dict[str, Any]] = []
    started = time.perf_counter()
    for train, test, held_out in fold_indices(len(texts), groups, n_folds):
        estimator = method.build()
        estimator.fit(
            [texts[i] for i in train],
            labels.iloc[train].reset_index(drop=True),
            groups=fold_groups([groups[i] for i in train]),
            weak=method.weak,
        )
        fold_proba = estimator.predict_proba([texts[i] for i in test])[examples.code_ids]
        fold_proba.index = labels.index[test]
        proba.loc[fold_proba.index] = fold_proba.to_numpy()
        predicted.loc[fold_proba.index] = estimator.decide(fold_proba)[examples.code_ids]
        folds.append({"held_out": sorted(held_out), "n_train": len(train), "n_test": len(test)})
    return UnitPredictions(
        method.name,
        method.description,
        proba,
        predicted.astype(int),
        time.perf_counter() - started,
        folds,
    )


def model_spans(
    examples: UnitExamples, predicted: pd.DataFrame
) -> dict[str, dict[str, list[Span]]]:
    """transcript -> code -> the spans of the units the model coded with it."""
    spans: dict[str, dict[str, list[Span]]] = {tid: {} for tid in examples.transcript_ids}
    values = predicted[examples.code_ids].to_numpy()
    for unit, row in zip(examples.units, values, strict=True):
        for code, chosen in zip(examples.code_ids, row, strict=True):
            if chosen:
                spans[unit.transcript_id].setdefault(code, []).append((unit.start, unit.end))
    return spans


def character_table(examples: UnitExamples, predicted: pd.DataFrame) -> pd.DataFrame:
    """One row per (code, transcript): characters, kappa, % agreement, human/model/both counts."""
    coded = model_spans(examples, predicted)
    rows = []
    for code in examples.code_ids:
        for transcript_id, length in examples.text_lengths.items():
            if length == 0:
                continue
            result = character_agreement(
                examples.human_spans[transcript_id].get(code, []),
                coded[transcript_id].get(code, []),
                length,
                examples.reviewed_spans.get(transcript_id),
            )
            rows.append(
                {
                    "code": code,
                    "transcript": transcript_id,
                    "n_chars": result.n_chars,
                    "kappa": result.kappa,
                    "percent_agreement": result.percent_agreement,
                    "human_chars": result.both + result.a_only,
                    "model_chars": result.both + result.b_only,
                    "both_chars": result.both,
                }
            )
    return pd.DataFrame(rows)


def character_summary(table: pd.DataFrame, code_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per code (and macro): kappa and % agreement averaged over sources weighted by length."""
    summary: dict[str, dict[str, Any]] = {}
    for code in code_ids:
        rows = table[table["code"] == code]
        pairs = list(zip(rows["kappa"], rows["n_chars"], strict=True))
        agreement = list(zip(rows["percent_agreement"], rows["n_chars"], strict=True))
        summary[code] = {
            "kappa": weighted_mean_kappa(pairs) if pairs else float("nan"),
            "percent_agreement": weighted_mean_kappa(agreement) if agreement else float("nan"),
            "n_sources": len(rows),
            "n_sources_kappa_undefined": int(rows["kappa"].isna().sum()),
        }
    summary[MACRO] = {
        name: _nan_mean([summary[code][name] for code in code_ids])
        for name in ("kappa", "percent_agreement")
    }
    return summary


def _extent_wording(examples: UnitExamples) -> dict[str, str]:
    """Where the human coding counts (unit and character level), as the protocol says it."""
    if examples.selection.whole_transcripts:
        units, characters = "", ""
    else:
        units = ", up to the coder's last coding in each transcript"
        characters = "; each source up to the end of the unit holding the coder's last coding"
    if examples.reviewed_spans:
        units += "; in a reviewed transcript only the units the reviewer answered"
        characters += "; in a reviewed transcript only the characters of the units answered"
    return {"units": units, "characters": characters}


def _nan_mean(values: list[float]) -> float:
    defined = [value for value in values if not np.isnan(value)]
    return float(np.mean(defined)) if defined else float("nan")


def method_summary(
    examples: UnitExamples,
    predictions: UnitPredictions,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Unit- and character-level agreement of one method's decisions with the human coding."""
    report = agreement_report(
        examples.labels,
        predictions.predicted,
        fold_groups(examples.groups),
        n_resamples=n_resamples,
        seed=seed,
    )
    characters = character_table(examples, predictions.predicted)
    return {
        "method": predictions.method,
        "description": predictions.description,
        "wall_seconds": round(predictions.wall_seconds, 2),
        "predicted_positives": {
            code: int(predictions.predicted[code].sum()) for code in examples.code_ids
        },
        "unit_level": [json_ready(row) for row in report.to_dict(orient="records")],
        "character_level": {
            "per_code": {
                code: json_ready(values)
                for code, values in character_summary(characters, examples.code_ids).items()
            },
            "per_source": [json_ready(row) for row in characters.to_dict(orient="records")],
        },
        "folds": predictions.folds,
    }


def agreement_document(
    examples: UnitExamples,
    predictions: list[UnitPredictions],
    *,
    protocol: str,
    n_resamples: int = 1000,
    seed: int = 0,
    notes: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything `autocode evaluate --project` reports, ready for JSON."""
    n_groups = len(set(fold_groups(examples.groups)))
    extent = _extent_wording(examples)
    notes = list(notes or [])
    if n_groups <= FEW_GROUPS:
        notes.append(
            f"The bootstrap resamples only {n_groups} groups: the intervals are rough at best."
        )
    return {
        "autocode_version": __version__,
        "examples": examples.describe(),
        "protocol": {
            "evaluation": protocol,
            "unit_labels": "a unit has a code when the code's human spans cover at least "
            f"{examples.selection.min_overlap:g} of it or a coded span lies at least that much "
            "inside it; units without a code are negatives" + extent["units"],
            "intervals": f"percentile bootstrap over {n_groups} groups, {n_resamples} resamples, "
            f"seed {seed}",
            "character_level": "NVivo-style coding comparison per code and source, averaged "
            "over sources weighted by length (undefined kappas left out)" + extent["characters"],
        },
        **(extra or {}),
        "methods": [
            method_summary(examples, p, n_resamples=n_resamples, seed=seed) for p in predictions
        ],
        "notes": notes,
    }


# -- Markdown ---------------------------------------------------------------------------------
