"""Classifier ideas measured by benchmarks/quality.py that autocode does not ship.

- `LexicalEnsemble`: the shipped embedding classifier's probabilities averaged with those of a
  TF-IDF (word 1-2 grams) multinomial logistic regression, weights fixed at 1/2 each; top-1 theme.
- `SentenceAugmented`: the shipped classifier with every sentence (4+ words) of a multi-sentence
  training quote added as a weak example of that quote's themes (and of its participant, so inner
  cross-validation drops it with them); top-1 theme.

Both follow the estimator protocol of autocode.evaluation, so they run on the same folds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from autocode.classify import ThemeClassifier, WeakExamples
from autocode.classify.thresholds import top_k_mask

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MIN_SENTENCE_WORDS = 4


class TopOneTheme:
    """Estimators that predict only their most probable theme."""

    theme_ids_: list[str]

    def predict_proba(self, texts: Sequence[str]) -> pd.DataFrame:
        raise NotImplementedError

    def predict(self, texts: Sequence[str]) -> pd.DataFrame:
        chosen = top_k_mask(self.predict_proba(texts).to_numpy(), 1).astype(int)
        return pd.DataFrame(chosen, columns=self.theme_ids_)


class LexicalEnsemble(TopOneTheme):
    def __init__(self, classifier: ThemeClassifier, lexical_weight: float = 0.5) -> None:
        self.classifier = classifier
        self.lexical_weight = lexical_weight

    def fit(self, texts, labels, *, groups=None, weak=None, theme_ids=None):
        self.theme_ids_ = list(labels.columns)
        self.classifier.fit(texts, labels, groups=groups, weak=weak)
        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        matrix = self.vectorizer_.fit_transform(list(texts))
        head = LogisticRegression(C=10.0, class_weight="balanced", max_iter=3000)
        self.lexical_ = head.fit(matrix, labels.to_numpy().argmax(axis=1))
        return self

    def predict_proba(self, texts: Sequence[str]) -> pd.DataFrame:
        semantic = self.classifier.predict_proba(texts)[self.theme_ids_].to_numpy()
        lexical = np.zeros_like(semantic)
        matrix = self.vectorizer_.transform(list(texts))
        lexical[:, self.lexical_.classes_] = self.lexical_.predict_proba(matrix)
        mixed = (1 - self.lexical_weight) * semantic + self.lexical_weight * lexical
        return pd.DataFrame(mixed, columns=self.theme_ids_)


class SentenceAugmented(TopOneTheme):
    def __init__(self, classifier: ThemeClassifier) -> None:
        self.classifier = classifier

    def fit(self, texts, labels, *, groups=None, weak=None, theme_ids=None):
        self.theme_ids_ = list(labels.columns)
        sentences, rows, speakers = [], [], []
        owners = groups if groups is not None else [None] * len(texts)
        for text, row, owner in zip(texts, labels.to_numpy(), owners, strict=True):
            parts = [s for s in SENTENCE_END.split(text) if len(s.split()) >= MIN_SENTENCE_WORDS]
            if len(parts) > 1:
                sentences += parts
                rows += [row] * len(parts)
                speakers += [frozenset({owner}) if owner else frozenset()] * len(parts)
        if sentences:
            extra = pd.DataFrame(rows, columns=labels.columns)
            weak = WeakExamples(
                (weak.texts if weak else []) + sentences,
                pd.concat([weak.labels if weak else extra.iloc[:0], extra], ignore_index=True),
                (weak.groups if weak else []) + speakers,
                weak.weight if weak else 0.5,
            )
        self.classifier.fit(texts, labels, groups=groups, weak=weak)
        return self

    def predict_proba(self, texts: Sequence[str]) -> pd.DataFrame:
        return self.classifier.predict_proba(texts)[self.theme_ids_]
