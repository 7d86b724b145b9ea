"""Simple baselines with the ThemeClassifier's API, run on the same folds for comparison.

- MajorityBaseline: every theme predicted present when most training texts have it (the prior).
- TfidfBaseline: TF-IDF word n-grams + one balanced logistic regression per theme.
- DefinitionSimilarityBaseline: cosine similarity of a text to each theme's definition (no
  training beyond choosing thresholds).
Thresholds are chosen inside the training data exactly as the ThemeClassifier does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from autocode.classify import LabelsLike, WeakExamples, labels_to_frame
from autocode.classify.thresholds import choose_thresholds, out_of_fold_probabilities, top_k_mask
from autocode.embed import Embedder


class _ThresholdedBaseline:
    """Shared fit/predict plumbing: subclasses give `_train` and `_score`."""

    def __init__(self, *, min_themes: int = 0, inner_folds: int = 5) -> None:
        self.min_themes = min_themes
        self.inner_folds = inner_folds

    def _train(self, texts: list[str], targets: np.ndarray) -> object:
        raise NotImplementedError

    def _score(self, state: object, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def fit(
        self,
        texts: Sequence[str],
        labels: LabelsLike,
        *,
        groups: Sequence[str] | None = None,
        weak: WeakExamples | None = None,
        theme_ids: Sequence[str] | None = None,
    ) -> _ThresholdedBaseline:
        del weak  # baselines train on the hand-coded excerpts only
        texts = list(texts)
        frame = labels_to_frame(labels, theme_ids)
        targets = frame.to_numpy()
        self.theme_ids_ = list(frame.columns)
        self.state_ = self._train(texts, targets)

        def fit_predict(train: np.ndarray, test: np.ndarray, held_out: set[str]) -> np.ndarray:
            state = self._train([texts[i] for i in train], targets[train])
            return self._score(state, [texts[i] for i in test])

        oof = out_of_fold_probabilities(len(texts), groups, self.inner_folds, fit_predict)
        self.thresholds_ = choose_thresholds(targets, oof, self.min_themes)
        return self

    def predict_proba(self, texts: Sequence[str]) -> pd.DataFrame:
        return pd.DataFrame(self._score(self.state_, list(texts)), columns=self.theme_ids_)

    def decide(self, proba: pd.DataFrame) -> pd.DataFrame:
        values = proba[self.theme_ids_].to_numpy()
        chosen = (values >= self.thresholds_) | top_k_mask(values, self.min_themes)
        return pd.DataFrame(chosen.astype(int), columns=self.theme_ids_, index=proba.index)

    def predict(self, texts: Sequence[str]) -> pd.DataFrame:
        return self.decide(self.predict_proba(texts))


class MajorityBaseline(_ThresholdedBaseline):
    """Scores every text with the training prevalence of each theme; a theme is predicted present
    only where more than half the training texts have it (plus the top `min_themes`)."""

    def fit(self, texts, labels, *, groups=None, weak=None, theme_ids=None):  # type: ignore[override]
        frame = labels_to_frame(labels, theme_ids)
        self.theme_ids_ = list(frame.columns)
        self.state_ = frame.to_numpy().mean(axis=0)
        self.thresholds_ = np.where(self.state_ > 0.5, 0.0, 1.01)
        return self

    def _score(self, state: object, texts: list[str]) -> np.ndarray:
        return np.tile(np.asarray(state), (len(texts), 1))


class TfidfBaseline(_ThresholdedBaseline):
    """TF-IDF (word 1-2 grams, sublinear tf) and a balanced logistic regression per theme."""

    def __init__(self, *, c: float = 10.0, min_themes: int = 0, inner_folds: int = 5) -> None:
        super().__init__(min_themes=min_themes, inner_folds=inner_folds)
        self.c = c

    def _train(self, texts: list[str], targets: np.ndarray) -> object:
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)
        matrix = vectorizer.fit_transform(texts)
        heads: list[LogisticRegression | float] = []
        for j in range(targets.shape[1]):
            y = targets[:, j]
            if y.min() == y.max():
                heads.append(float(y[0]))
                continue
            head = LogisticRegression(C=self.c, class_weight="balanced", max_iter=2000)
            heads.append(head.fit(matrix, y))
        return vectorizer, heads

    def _score(self, state: object, texts: list[str]) -> np.ndarray:
        vectorizer, heads = state  # type: ignore[misc]
        matrix = vectorizer.transform(texts)
        columns = [
            np.full(len(texts), head)
            if isinstance(head, float)
            else head.predict_proba(matrix)[:, 1]
            for head in heads
        ]
        return np.column_stack(columns)


class DefinitionSimilarityBaseline(_ThresholdedBaseline):
    """Cosine similarity between a text and each theme's definition, mapped to [0, 1]."""

    def __init__(
        self,
        definitions: dict[str, str],
        *,
        embedder: Embedder | None = None,
        min_themes: int = 0,
        inner_folds: int = 5,
    ) -> None:
        super().__init__(min_themes=min_themes, inner_folds=inner_folds)
        self.definitions = definitions
        self.embedder = embedder or Embedder()

    def _train(self, texts: list[str], targets: np.ndarray) -> object:
        return self.embedder.encode([self.definitions[t] for t in self.theme_ids_])

    def _score(self, state: object, texts: list[str]) -> np.ndarray:
        similarity = self.embedder.encode(texts) @ np.asarray(state).T
        return (similarity + 1.0) / 2.0
