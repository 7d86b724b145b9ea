"""Leave-one-participant-out evaluation of theme classifiers against the human coding.

Every fold holds out all utterances of one participant (and every paraphrase that describes
them); the estimator, its thresholds and anything it tunes see only the other participants.
Agreement is then computed on the pooled out-of-fold predictions, with 95% intervals from a
bootstrap over participants.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from autocode import __version__
from autocode.agreement import agreement_report, binary_scores
from autocode.classify import WeakExamples, data_hash
from autocode.corpus import Corpus
from autocode.versions import package_versions


class ThemeEstimator(Protocol):
    theme_ids_: list[str]

    def fit(self, texts, labels, *, groups=None, weak=None, theme_ids=None): ...

    def predict_proba(self, texts) -> pd.DataFrame: ...

    def predict(self, texts) -> pd.DataFrame: ...


@dataclass
class Method:
    """A named way of building a fresh estimator for each fold."""

    name: str
    description: str
    build: Callable[[], ThemeEstimator]
    weak: WeakExamples | None = None  # extra training texts, filtered per fold


@dataclass
class CrossValidation:
    """Out-of-fold predictions of one method over the whole corpus."""

    method: str
    texts: list[str]
    groups: list[str]
    truth: pd.DataFrame
    proba: pd.DataFrame
    predicted: pd.DataFrame
    wall_seconds: float
    folds: list[dict[str, Any]] = field(default_factory=list)


def cross_validate(corpus: Corpus, method: Method) -> CrossValidation:
    """Leave-one-participant-out predictions of `method` for every theme-coded utterance."""
    texts, truth, groups = corpus.theme_examples()
    group_array = np.asarray(groups)
    proba = pd.DataFrame(np.nan, index=truth.index, columns=truth.columns)
    predicted = pd.DataFrame(0, index=truth.index, columns=truth.columns)
    folds = []
    started = time.perf_counter()
    for held_out in sorted(set(groups), key=participant_order):
        test = np.flatnonzero(group_array == held_out)
        estimator, weak = fit_without(method, texts, truth, groups, held_out)
        test_texts = [texts[i] for i in test]
        proba.loc[truth.index[test]] = estimator.predict_proba(test_texts)[truth.columns].to_numpy()
        decided = estimator.predict(test_texts)[truth.columns].to_numpy()
        predicted.loc[truth.index[test]] = decided
        thresholds = getattr(estimator, "thresholds_", None)
        folds.append(
            {
                "held_out": held_out,
                "n_test": len(test),
                "n_train": len(texts) - len(test),
                "n_weak": 0 if weak is None else len(weak.texts),
                "thresholds": None
                if thresholds is None
                else dict(zip(truth.columns, map(float, thresholds), strict=True)),
            }
        )
    return CrossValidation(
        method=method.name,
        texts=texts,
        groups=groups,
        truth=truth,
        proba=proba,
        predicted=predicted.astype(int),
        wall_seconds=time.perf_counter() - started,
        folds=folds,
    )


def fit_without(
    method: Method, texts: list[str], truth: pd.DataFrame, groups: list[str], held_out: str
) -> tuple[ThemeEstimator, WeakExamples | None]:
    """A fresh estimator of `method` fitted on every group but `held_out`, with the weak
    examples that do not describe it (returned beside it)."""
    train = np.flatnonzero(np.asarray(groups) != held_out)
    estimator = method.build()
    weak = method.weak.without({held_out}) if method.weak is not None else None
    estimator.fit(
        [texts[i] for i in train],
        truth.iloc[train].reset_index(drop=True),
        groups=[groups[i] for i in train],
        weak=weak,
    )
    return estimator, weak


def participant_order(participant: str) -> tuple[str, int]:
    digits = "".join(ch for ch in participant if ch.isdigit())
    return (participant.rstrip("0123456789"), int(digits) if digits else -1)


def participant_level(corpus: Corpus, result: CrossValidation) -> dict[str, Any] | None:
    """Themes predicted present per participant (any of their utterances) against the coders'
    participant-level statement, over the participants the corpus does not withhold."""
    stated = corpus.participant_themes()
    if stated is None:
        return None
    predicted = result.predicted.groupby(np.asarray(result.groups)).max()
    participants = [p for p in stated.index if p in predicted.index]
    if not participants:
        return None
    truth = stated.loc[participants, result.truth.columns].astype(int)
    guess = predicted.loc[participants, result.truth.columns].astype(int)
    per_theme = {
        theme: _clean(binary_scores(truth[theme].to_numpy(), guess[theme].to_numpy()))
        for theme in truth.columns
    }
    pooled = _clean(binary_scores(truth.to_numpy().ravel(), guess.to_numpy().ravel()))
    return {
        "participants": participants,
        "per_theme": per_theme,
        "pooled": pooled,
        "stated": truth.to_dict(orient="index"),
        "predicted": guess.to_dict(orient="index"),
    }


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Plain Python numbers for JSON; nan becomes None."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, (np.floating, float)):
            out[key] = None if np.isnan(value) else round(float(value), 4)
        elif isinstance(value, np.integer):
            out[key] = int(value)
        else:
            out[key] = value
    return out


def summarise(
    corpus: Corpus,
    result: CrossValidation,
    *,
    description: str = "",
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Excerpt-level agreement with intervals, participant-level agreement, and timing."""
    report = agreement_report(
        result.truth, result.predicted, result.groups, n_resamples=n_resamples, seed=seed
    )
    rows = [_clean(row) for row in report.to_dict(orient="records")]
    return {
        "method": result.method,
        "description": description,
        "wall_seconds": round(result.wall_seconds, 2),
        "excerpt_level": rows,
        "participant_level": participant_level(corpus, result),
        "folds": result.folds,
    }


def metric(summary: dict[str, Any], label: str, name: str) -> dict[str, Any]:
    """The row of `summary` for one label ("macro" included) and metric."""
    for row in summary["excerpt_level"]:
        if row["label"] == label and row["metric"] == name:
            return row
    raise KeyError((label, name))


def corpus_facts(corpus: Corpus) -> dict[str, Any]:
    """What was evaluated: sizes, themes and a hash of the coded data."""
    texts, labels, groups = corpus.theme_examples()
    return {
        "name": corpus.codebook.name,
        "codebook": corpus.layer_name,
        "path": str(corpus.directory),
        "n_rows": len(corpus.excerpts),
        "n_utterances": len(corpus.utterances()),
        "n_theme_coded": len(texts),
        "n_paraphrases_coded": corpus.coded_paraphrases(),
        "n_participants": len(set(groups)),
        "theme_ids": corpus.theme_ids,
        "themes": [{"id": c.id, "name": c.name} for c in corpus.codebook.codes],
        "positives": {t: int(labels[t].sum()) for t in labels.columns},
        "data_sha256": data_hash(texts, labels),
    }


def evaluation_document(
    corpus: Corpus,
    methods: list[Method],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    on_method: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Cross-validate every method on the same folds and gather one JSON-ready document."""
    summaries = []
    for method in methods:
        if on_method is not None:
            on_method(method.name)
        result = cross_validate(corpus, method)
        summaries.append(
            summarise(
                corpus, result, description=method.description, n_resamples=n_resamples, seed=seed
            )
        )
    return {
        "autocode_version": __version__,
        "versions": package_versions(),
        "corpus": corpus_facts(corpus),
        "protocol": {
            "cross_validation": "leave-one-participant-out cross-validation",
            "thresholds": "every threshold chosen by inner leave-one-participant-out on the "
            "training participants only",
            "intervals": f"percentile bootstrap over participants, {n_resamples} resamples, "
            f"seed {seed}",
            "n_resamples": n_resamples,
            "seed": seed,
        },
        "methods": summaries,
    }
