"""ThemeClassifier: multi-label theme coding of meaning units, scikit-learn style.

Texts are embedded with a frozen sentence-transformers model; one logistic regression per theme
reads the vectors. Decision thresholds are chosen per theme from out-of-fold probabilities inside
the training data (grouped by participant when groups are given), never on evaluation data.

Artifacts are a JSON model card plus safetensors weights: nothing is unpickled on load.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from autocode import __version__
from autocode.embed import Embedder
from autocode.errors import InputError
from autocode.thresholds import choose_thresholds, out_of_fold_probabilities

FORMAT = "autocode-theme-classifier"
FORMAT_VERSION = 1
CARD_FILE = "model.json"
WEIGHTS_FILE = "weights.safetensors"

LabelsLike = pd.DataFrame | Sequence[Sequence[str]]
Group = str | frozenset[str]


@dataclass
class WeakExamples:
    """Extra, weakly-labelled training texts (paraphrases, theme definitions).

    They train the model with `weight` but never choose thresholds. `groups` name the participants
    each text is about, so cross-validation drops them with the participant they describe.
    """

    texts: list[str]
    labels: pd.DataFrame
    groups: list[frozenset[str]] = field(default_factory=list)
    weight: float = 0.5

    def __post_init__(self) -> None:
        if not self.groups:
            self.groups = [frozenset()] * len(self.texts)
        if not len(self.texts) == len(self.labels) == len(self.groups):
            raise ValueError("weak examples: texts, labels and groups differ in length")

    def without(self, held_out: set[str]) -> WeakExamples:
        keep = [i for i, group in enumerate(self.groups) if not group & held_out]
        return WeakExamples(
            texts=[self.texts[i] for i in keep],
            labels=self.labels.iloc[keep].reset_index(drop=True),
            groups=[self.groups[i] for i in keep],
            weight=self.weight,
        )


def labels_to_frame(labels: LabelsLike, theme_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """A 0/1 DataFrame with one column per theme id from a DataFrame or lists of ids."""
    if isinstance(labels, pd.DataFrame):
        frame = labels.astype(int).reset_index(drop=True)
        if theme_ids is not None:
            frame = frame.reindex(columns=list(theme_ids), fill_value=0)
        return frame
    ids = list(theme_ids) if theme_ids is not None else sorted({t for row in labels for t in row})
    unknown = sorted({t for row in labels for t in row} - set(ids))
    if unknown:
        raise ValueError(f"labels use unknown theme ids {unknown}")
    matrix = np.array([[int(t in set(row)) for t in ids] for row in labels], dtype=int)
    return pd.DataFrame(matrix.reshape(len(labels), len(ids)), columns=ids)


def data_hash(texts: Sequence[str], labels: pd.DataFrame) -> str:
    """SHA-256 of the training texts and labels, recorded in the model card."""
    payload = json.dumps(
        {"texts": list(texts), "labels": labels.astype(int).to_dict(orient="list")},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _fit_heads(
    vectors: np.ndarray, targets: np.ndarray, weights: np.ndarray, c: float
) -> tuple[np.ndarray, np.ndarray]:
    """One balanced logistic regression per column of `targets`: (coef k x d, intercept k)."""
    k, d = targets.shape[1], vectors.shape[1]
    coef = np.zeros((k, d), dtype=np.float64)
    intercept = np.zeros(k, dtype=np.float64)
    for j in range(k):
        y = targets[:, j]
        if y.min() == y.max():  # a theme absent (or everywhere) in this training set
            prior = np.clip(np.average(y, weights=weights), 1e-3, 1 - 1e-3)
            intercept[j] = np.log(prior / (1 - prior))
            continue
        head = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        head.fit(vectors, y, sample_weight=weights)
        coef[j] = head.coef_[0]
        intercept[j] = head.intercept_[0]
    return coef, intercept


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class ThemeClassifier:
    """Multi-label theme classifier over frozen sentence embeddings.

    Parameters
    ----------
    embedder: sentence-transformers model name or path; None is the offline all-MiniLM-L6-v2.
    c: inverse L2 regularisation strength of each logistic head.
    threshold: "inner_cv" chooses a per-theme threshold from out-of-fold probabilities of the
        training data (grouped by `groups` when given); a float fixes it for every theme.
    min_themes: assign at least this many themes (the most probable) to every text; 0 lets a text
        have no theme, which is what transcripts with off-topic talk need.
    """

    def __init__(
        self,
        embedder: str | None = None,
        *,
        c: float = 1.0,
        threshold: str | float = "inner_cv",
        min_themes: int = 0,
        inner_folds: int = 5,
        device: str | None = None,
    ) -> None:
        self.embedder = embedder
        self.c = c
        self.threshold = threshold
        self.min_themes = min_themes
        self.inner_folds = inner_folds
        self.device = device
        self._embedder: Embedder | None = None

    # -- embedding -------------------------------------------------------------------------
    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._embedder is None:
            self._embedder = Embedder(self.embedder, device=self.device)
        return self._embedder.encode(list(texts))

    def use_embedder(self, embedder: Embedder) -> ThemeClassifier:
        """Share an already loaded (and cached) embedder; it must be the configured model."""
        if embedder.model_id != Embedder(self.embedder).model_id:
            raise ValueError(f"embedder {embedder.model_id} is not the classifier's model")
        self._embedder = embedder
        return self

    # -- estimator API -----------------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        labels: LabelsLike,
        *,
        groups: Sequence[str] | None = None,
        weak: WeakExamples | None = None,
        theme_ids: Sequence[str] | None = None,
    ) -> ThemeClassifier:
        texts = list(texts)
        frame = labels_to_frame(labels, theme_ids)
        if len(texts) != len(frame):
            raise ValueError(f"{len(texts)} texts but {len(frame)} label rows")
        if not texts:
            raise ValueError("cannot fit on no texts")
        if groups is not None and len(groups) != len(texts):
            raise ValueError("groups must have one entry per text")
        if weak is not None:
            weak = WeakExamples(
                weak.texts, labels_to_frame(weak.labels, frame.columns), weak.groups, weak.weight
            )
        self.theme_ids_ = list(frame.columns)
        vectors = self._embed(texts)
        weak_vectors = self._embed(weak.texts) if weak is not None and weak.texts else None
        coef, intercept = self._fit_on_vectors(vectors, frame.to_numpy(), weak, weak_vectors)
        self.coef_, self.intercept_ = coef, intercept
        self.thresholds_ = self._choose_thresholds(
            vectors, frame.to_numpy(), groups, weak, weak_vectors
        )
        self.training_ = {
            "n_examples": len(texts),
            "n_weak_examples": 0 if weak is None else len(weak.texts),
            "weak_weight": None if weak is None else weak.weight,
            "n_groups": None if groups is None else len(set(groups)),
            "positives": {t: int(frame[t].sum()) for t in self.theme_ids_},
            "data_sha256": data_hash(texts, frame),
        }
        return self

    def _fit_on_vectors(
        self,
        vectors: np.ndarray,
        targets: np.ndarray,
        weak: WeakExamples | None,
        weak_vectors: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        weights = np.ones(len(vectors))
        if weak is not None and weak_vectors is not None and len(weak.texts):
            vectors = np.vstack([vectors, weak_vectors])
            targets = np.vstack([targets, weak.labels.to_numpy()])
            weights = np.concatenate([weights, np.full(len(weak.texts), weak.weight)])
        return _fit_heads(vectors, targets, weights, self.c)

    def _choose_thresholds(
        self,
        vectors: np.ndarray,
        targets: np.ndarray,
        groups: Sequence[str] | None,
        weak: WeakExamples | None,
        weak_vectors: np.ndarray | None,
    ) -> np.ndarray:
        if not isinstance(self.threshold, str):
            return np.full(targets.shape[1], float(self.threshold))
        if self.threshold != "inner_cv":
            raise ValueError(f"threshold must be 'inner_cv' or a number, got {self.threshold!r}")

        def fit_predict(train: np.ndarray, test: np.ndarray, held_out: set[str]) -> np.ndarray:
            fold_weak, fold_vectors = weak, weak_vectors
            if weak is not None and weak_vectors is not None:
                keep = [i for i, g in enumerate(weak.groups) if not g & held_out]
                fold_weak = weak.without(held_out)
                fold_vectors = weak_vectors[keep]
            coef, intercept = self._fit_on_vectors(
                vectors[train], targets[train], fold_weak, fold_vectors
            )
            return _sigmoid(vectors[test] @ coef.T + intercept)

        oof = out_of_fold_probabilities(len(vectors), groups, self.inner_folds, fit_predict)
        return choose_thresholds(targets, oof, self.min_themes)

    def predict_proba(self, texts: Sequence[str]) -> pd.DataFrame:
        self._check_fitted()
        vectors = self._embed(list(texts))
        return self.proba_from_vectors(vectors)

    def proba_from_vectors(self, vectors: np.ndarray) -> pd.DataFrame:
        """Probabilities for already embedded texts (rows of `vectors`)."""
        self._check_fitted()
        proba = _sigmoid(np.asarray(vectors, dtype=np.float64) @ self.coef_.T + self.intercept_)
        return pd.DataFrame(proba, columns=self.theme_ids_)

    def predict(self, texts: Sequence[str]) -> pd.DataFrame:
        return self.decide(self.predict_proba(texts))

    def decide(self, proba: pd.DataFrame) -> pd.DataFrame:
        """0/1 themes: above each theme's threshold, plus the top `min_themes` of each row."""
        self._check_fitted()
        values = proba[self.theme_ids_].to_numpy()
        chosen = values >= self.thresholds_
        if self.min_themes > 0 and values.size:
            top = np.argsort(-values, axis=1, kind="stable")[:, : self.min_themes]
            np.put_along_axis(chosen, top, True, axis=1)
        return pd.DataFrame(chosen.astype(int), columns=self.theme_ids_, index=proba.index)

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError("ThemeClassifier is not fitted yet: call fit() or load()")

    # -- persistence -------------------------------------------------------------------------
    def card(self, metrics: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        """The model card: what the model is, what it was trained on, how well it did."""
        from autocode.versions import package_versions

        self._check_fitted()
        embedder = Embedder(self.embedder)
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "autocode_version": __version__,
            "theme_ids": self.theme_ids_,
            "embedder": {"name": self.embedder or "all-MiniLM-L6-v2", "id": embedder.model_id},
            "head": {"type": "one-vs-rest logistic regression", "c": self.c},
            "decision": {
                "threshold": self.threshold,
                "thresholds": dict(zip(self.theme_ids_, map(float, self.thresholds_), strict=True)),
                "min_themes": self.min_themes,
                "inner_folds": self.inner_folds,
            },
            "training": self.training_,
            "metrics": metrics or getattr(self, "metrics_", {}),
            "versions": package_versions(),
            **extra,
        }

    def save(
        self, directory: str | Path, metrics: dict[str, Any] | None = None, **extra: Any
    ) -> Path:
        """Write model.json and weights.safetensors into `directory` (created if needed)."""
        from safetensors.numpy import save_file

        card = self.card(metrics, **extra)
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        save_file(
            {
                "coef": self.coef_.astype(np.float32),
                "intercept": self.intercept_.astype(np.float32),
            },
            str(folder / WEIGHTS_FILE),
            # One key only: safetensors writes metadata from a hash map, in no fixed order.
            metadata={"format": f"{FORMAT}/{FORMAT_VERSION}"},
        )
        (folder / CARD_FILE).write_text(
            json.dumps(card, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
        )
        return folder

    @classmethod
    def load(cls, directory: str | Path, *, device: str | None = None) -> ThemeClassifier:
        """Load a saved classifier; checks the format and that the embedder is the same model."""
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        folder = Path(directory)
        card_path, weights_path = folder / CARD_FILE, folder / WEIGHTS_FILE
        if not card_path.is_file() or not weights_path.is_file():
            raise InputError(
                folder, f"not a saved ThemeClassifier (needs {CARD_FILE} and {WEIGHTS_FILE})"
            )
        try:
            card = json.loads(card_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(card_path, f"model card is not valid JSON: {error}") from None
        if card.get("format") != FORMAT or card.get("format_version") != FORMAT_VERSION:
            raise InputError(card_path, "unknown model format or version")
        try:
            tensors = load_file(str(weights_path))
        except (SafetensorError, OSError) as error:
            raise InputError(weights_path, f"cannot read weights: {error}") from None
        decision = card["decision"]
        model = cls(
            card["embedder"]["name"],
            c=card["head"]["c"],
            threshold=decision["threshold"],
            min_themes=decision["min_themes"],
            inner_folds=decision["inner_folds"],
            device=device,
        )
        model.theme_ids_ = list(card["theme_ids"])
        model.coef_ = tensors["coef"].astype(np.float64)
        model.intercept_ = tensors["intercept"].astype(np.float64)
        if model.coef_.shape[0] != len(model.theme_ids_):
            raise InputError(weights_path, "weights do not match the model card's themes")
        model.thresholds_ = np.array([decision["thresholds"][t] for t in model.theme_ids_])
        model.training_ = card["training"]
        model.metrics_ = card.get("metrics", {})
        model.card_ = card
        installed = Embedder(model.embedder).model_id
        if installed != card["embedder"]["id"]:
            raise InputError(
                folder,
                f"trained with embedder {card['embedder']['id']} but {installed} is installed",
            )
        return model
