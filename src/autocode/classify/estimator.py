"""ThemeClassifier: multi-label theme coding of meaning units, scikit-learn style.

Texts are embedded with a frozen sentence-transformers model; a linear head reads the vectors.
Decision thresholds are chosen per theme from out-of-fold probabilities inside the training data
(grouped by participant when groups are given), never on evaluation data.

A fitted model knows its codebook (`codebook_`) and the hand-coded excerpts it shows as evidence
(`excerpts_`); `save` writes them with the weights (`autocode.classify.files`), so a model folder
works alone on another machine. Nothing is unpickled on load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from autocode import __version__
from autocode.bootstrap import macro_kappa
from autocode.classify.card import FORMAT, FORMAT_VERSION, card_codebook
from autocode.classify.excerpts import ModelExcerpt
from autocode.classify.files import SavedModel, read_model_folder, write_model_folder
from autocode.classify.heads import HEADS, fit_head, head_proba
from autocode.classify.novelty import in_domain, novelty_threshold, theme_centroids
from autocode.classify.thresholds import choose_thresholds, decide, out_of_fold_probabilities
from autocode.classify.training_data import LabelsLike, WeakExamples, data_hash, labels_to_frame
from autocode.embed import Embedder, backend_hint
from autocode.errors import InputError
from autocode.types import Code, Codebook

C_GRID = (0.3, 1.0, 3.0)
WEAK_WEIGHT_GRID = (0.0, 0.1, 0.2, 0.5)


@dataclass
class _TrainingData:
    vectors: np.ndarray
    targets: np.ndarray
    groups: Sequence[str] | None
    weak: WeakExamples | None
    weak_vectors: np.ndarray | None


class ThemeClassifier(BaseEstimator):
    """Multi-label theme classifier over frozen sentence embeddings.

    Parameters
    ----------
    embedder: sentence-transformers model name or path; None is the offline all-MiniLM-L6-v2.
    head: "softmax" (one multinomial regression over the themes; for excerpt corpora where every
        text has a theme) or "ovr" (one binary regression per theme; for data with negatives).
    c: inverse L2 regularisation strength, or "auto" to pick it from `C_GRID`.
    weak_weight: sample weight of weak examples (paraphrases, definitions); "auto" picks it from
        `WEAK_WEIGHT_GRID`; None keeps the weight the WeakExamples carry.
    threshold: "inner_cv" chooses a per-theme threshold from out-of-fold probabilities of the
        training data (grouped by `groups` when given); a float fixes it for every theme.
    min_themes: assign at least this many themes (the most probable) to every text; 0 lets a text
        have no theme, which is what transcripts with off-topic talk need.
    novelty_quantile: when set, a text less similar to every theme centroid than this quantile of
        held-out training examples is out of domain and gets no theme at all (see `novelty`).

    Everything "auto" or "inner_cv" is chosen by cross-validation inside the data given to `fit`
    (leave-one-group-out when groups are given), so an outer evaluation stays honest.

    A scikit-learn estimator: `get_params`/`set_params` and `sklearn.base.clone` work, an unfitted
    one raises `NotFittedError`, and a fitted and a loaded classifier carry the same attributes
    (`theme_ids_`, `coef_`, `intercept_`, `thresholds_`, `centroids_`, `novelty_tau_`,
    `training_`, `codebook_`, `excerpts_`, `metrics_`, `card_`).
    """

    def __init__(
        self,
        embedder: str | None = None,
        *,
        head: str = "ovr",
        c: float | str = 1.0,
        weak_weight: float | str | None = None,
        threshold: str | float = "inner_cv",
        min_themes: int = 0,
        novelty_quantile: float | None = None,
        inner_folds: int = 5,
        device: str | None = None,
    ) -> None:
        self.embedder = embedder
        self.head = head
        self.c = c
        self.weak_weight = weak_weight
        self.threshold = threshold
        self.min_themes = min_themes
        self.novelty_quantile = novelty_quantile
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
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {self.head!r}")
        self.theme_ids_ = list(frame.columns)
        targets = frame.to_numpy()
        vectors = self._embed(texts)
        weak_vectors = self._embed(weak.texts) if weak is not None and weak.texts else None
        data = _TrainingData(vectors, targets, groups, weak, weak_vectors)
        self.selection_ = self._select(data)
        best = self.selection_["chosen"]
        self.c_, self.weak_weight_ = best["c"], best["weak_weight"]
        self.coef_, self.intercept_ = self._fit_vectors(data, None, self.c_, self.weak_weight_)
        self.thresholds_ = np.asarray(best["thresholds"], dtype=np.float64)
        self.centroids_ = theme_centroids(vectors, targets)
        self.novelty_tau_ = (
            None
            if self.novelty_quantile is None
            else novelty_threshold(vectors, targets, groups, self.novelty_quantile)
        )
        self.training_ = {
            "n_examples": len(texts),
            "n_weak_examples": 0 if weak is None else len(weak.texts),
            "n_groups": None if groups is None else len(set(groups)),
            "positives": {t: int(frame[t].sum()) for t in self.theme_ids_},
            "data_sha256": data_hash(texts, frame),
        }
        self.codebook_ = Codebook("themes", [Code(id=t, name=t) for t in self.theme_ids_])
        self.excerpts_: list[ModelExcerpt] = []
        self.metrics_: dict[str, Any] = {}
        self.card_ = self.card()
        return self

    def _fit_vectors(
        self, data: _TrainingData, rows: np.ndarray | None, c: float, weak_weight: float | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Fit the head on `rows` of the training data plus the weak examples about other groups."""
        rows = np.arange(len(data.vectors)) if rows is None else rows
        vectors, targets = data.vectors[rows], data.targets[rows]
        weights = np.ones(len(rows))
        if data.weak is not None and data.weak_vectors is not None:
            held_out = (
                set() if data.groups is None else set(data.groups) - {data.groups[i] for i in rows}
            )
            keep = [i for i, g in enumerate(data.weak.groups) if not g & held_out]
            weight = data.weak.weight if weak_weight is None else weak_weight
            if keep and weight > 0:
                vectors = np.vstack([vectors, data.weak_vectors[keep]])
                targets = np.vstack([targets, data.weak.labels.to_numpy()[keep]])
                weights = np.concatenate([weights, np.full(len(keep), weight)])
        return fit_head(self.head, vectors, targets, weights, c)

    def _candidates(self, data: _TrainingData) -> list[tuple[float, float | None]]:
        cs = C_GRID if self.c == "auto" else (float(self.c),)
        if self.weak_weight == "auto" and data.weak is not None:
            weights: tuple[float | None, ...] = WEAK_WEIGHT_GRID
        elif self.weak_weight in (None, "auto"):
            weights = (None,)
        else:
            weights = (float(self.weak_weight),)
        return [(c, w) for c in cs for w in weights]

    def _select(self, data: _TrainingData) -> dict[str, Any]:
        """Score every candidate setting by inner cross-validation; keep the best macro kappa."""
        for name, value in (("c", self.c), ("weak_weight", self.weak_weight)):
            if isinstance(value, str) and value != "auto":
                raise ValueError(f"{name} must be a number or 'auto', got {value!r}")
        if isinstance(self.threshold, str) and self.threshold != "inner_cv":
            raise ValueError(f"threshold must be 'inner_cv' or a number, got {self.threshold!r}")
        candidates = self._candidates(data)
        fixed = not isinstance(self.threshold, str)
        k = data.targets.shape[1]
        if fixed and len(candidates) == 1:
            c, w = candidates[0]
            return {"chosen": {"c": c, "weak_weight": w, "thresholds": [float(self.threshold)] * k}}
        scored = []
        for c, w in candidates:

            def fit_predict(train: np.ndarray, test: np.ndarray, _: set[str], c=c, w=w):
                coef, intercept = self._fit_vectors(data, train, c, w)
                return head_proba(self.head, data.vectors[test], coef, intercept, k)

            oof = out_of_fold_probabilities(
                len(data.vectors), data.groups, self.inner_folds, fit_predict
            )
            thresholds = (
                np.full(k, float(self.threshold))
                if fixed
                else choose_thresholds(data.targets, oof, self.min_themes)
            )
            score = macro_kappa(data.targets, decide(oof, thresholds, self.min_themes))
            scored.append(
                {
                    "c": c,
                    "weak_weight": w,
                    "inner_macro_kappa": score,
                    "thresholds": [float(t) for t in thresholds],
                }
            )
        best = max(scored, key=lambda row: np.nan_to_num(row["inner_macro_kappa"], nan=-2.0))
        return {"chosen": best, "candidates": scored}

    def predict_proba(self, texts: Sequence[str]) -> pd.DataFrame:
        self._check_fitted()
        vectors = self._embed(list(texts))
        return self.proba_from_vectors(vectors)

    def proba_from_vectors(self, vectors: np.ndarray) -> pd.DataFrame:
        """Probabilities for already embedded texts (rows of `vectors`)."""
        self._check_fitted()
        proba = head_proba(self.head, vectors, self.coef_, self.intercept_, len(self.theme_ids_))
        return pd.DataFrame(proba, columns=self.theme_ids_)

    def predict(self, texts: Sequence[str]) -> pd.DataFrame:
        return self.predict_from_vectors(self._embed(list(texts)))[1]

    def predict_from_vectors(self, vectors: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(probabilities, 0/1 themes) for already embedded texts, the novelty gate applied."""
        proba = self.proba_from_vectors(vectors)
        return proba, self.decide(proba, self.in_domain(vectors))

    def in_domain(self, vectors: np.ndarray) -> np.ndarray:
        """True for each text close enough to the training themes to be given one (all True
        when the model has no novelty gate)."""
        self._check_fitted()
        if self.novelty_tau_ is None:
            return np.ones(len(vectors), dtype=bool)
        return in_domain(np.asarray(vectors), self.centroids_, self.novelty_tau_)

    def decide(self, proba: pd.DataFrame, in_domain: np.ndarray | None = None) -> pd.DataFrame:
        """0/1 themes: above each theme's threshold, plus the top `min_themes` of each row;
        rows marked False in `in_domain` get none."""
        self._check_fitted()
        chosen = decide(proba[self.theme_ids_].to_numpy(), self.thresholds_, self.min_themes)
        if in_domain is not None:
            chosen[~np.asarray(in_domain, dtype=bool)] = 0
        return pd.DataFrame(chosen, columns=self.theme_ids_, index=proba.index)

    def _check_fitted(self) -> None:
        check_is_fitted(
            self, "coef_", msg="ThemeClassifier is not fitted yet: call fit() or load()"
        )

    # -- what the model knows about its training data ------------------------------------------
    def describe(
        self, codebook: Codebook, excerpts: Sequence[ModelExcerpt] = ()
    ) -> ThemeClassifier:
        """Attach the codebook (names, definitions) and the hand-coded excerpts the model was
        trained on; `save` writes them into the model folder."""
        self._check_fitted()
        missing = [t for t in self.theme_ids_ if t not in codebook.ids]
        if missing:
            raise ValueError(f"codebook {codebook.name!r} lacks the model's codes {missing}")
        unknown = sorted({c for e in excerpts for c in e.codes} - set(self.theme_ids_))
        if unknown:
            raise ValueError(f"excerpts carry codes the model does not know: {unknown}")
        kept = set(self.theme_ids_)
        self.codebook_ = Codebook(
            codebook.name,
            [
                code if code.parent_id in kept else replace(code, parent_id=None)
                for code in map(codebook.get, self.theme_ids_)
            ],
        )
        self.excerpts_ = list(excerpts)
        self.card_ = self.card()
        return self

    # -- persistence (autocode.classify.files) -------------------------------------------------
    def card(self, metrics: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        """The model card: what the model is, what it was trained on, how well it did."""
        from autocode.classify.card import codebook_section
        from autocode.versions import package_versions

        self._check_fitted()
        embedder = Embedder(self.embedder)
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "autocode_version": __version__,
            "theme_ids": self.theme_ids_,
            "embedder": {
                "name": self.embedder or "all-MiniLM-L6-v2",
                "id": embedder.model_id,
                "backend": embedder.backend,
            },
            "head": {
                "type": self.head,
                "c": self.c,
                "weak_weight": self.weak_weight,
                "chosen_c": self.c_,
                "chosen_weak_weight": self.weak_weight_,
                "selection": self.selection_.get("candidates", []),
            },
            "decision": {
                "threshold": self.threshold,
                "thresholds": dict(zip(self.theme_ids_, map(float, self.thresholds_), strict=True)),
                "min_themes": self.min_themes,
                "novelty_quantile": self.novelty_quantile,
                "novelty_tau": self.novelty_tau_,
                "inner_folds": self.inner_folds,
            },
            "training": self.training_,
            "metrics": metrics or self.metrics_,
            "versions": package_versions(),
            "codebook": codebook_section(self.codebook_),
            **extra,
        }

    def save(
        self, directory: str | Path, metrics: dict[str, Any] | None = None, **extra: Any
    ) -> Path:
        """Write model.json, weights.safetensors and excerpts.json into `directory`."""
        card = self.card(metrics, **extra)
        tensors = {"coef": self.coef_, "intercept": self.intercept_, "centroids": self.centroids_}
        return write_model_folder(directory, card, tensors, self.excerpts_)

    @classmethod
    def load(cls, directory: str | Path, *, device: str | None = None) -> ThemeClassifier:
        """Load a saved classifier; checks the format and that the embedder is the same model.

        A format-1 folder (autocode 0.1) carries no excerpts: `excerpts_` is then None, and
        `autocode.models.load_model` finds them in the corpus the card names."""
        saved = read_model_folder(directory)
        try:
            model = cls._from_saved(saved, device)
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(
                saved.folder / "model.json",
                f"model card is incomplete or from another autocode version ({error})",
            ) from None
        installed = Embedder(model.embedder).model_id
        if installed != saved.card["embedder"]["id"]:
            raise InputError(
                saved.folder,
                f"trained with embedder {saved.card['embedder']['id']} but {installed} is "
                f"installed{backend_hint(saved.card['embedder'], installed)}",
            )
        return model

    @classmethod
    def _from_saved(cls, saved: SavedModel, device: str | None) -> ThemeClassifier:
        """Rebuild a fitted classifier from its files (KeyError/ValueError when incomplete)."""
        card, tensors = saved.card, saved.tensors
        decision, head = card["decision"], card["head"]
        model = cls(
            card["embedder"]["name"],
            head=head["type"],
            c=head["c"],
            weak_weight=head["weak_weight"],
            threshold=decision["threshold"],
            min_themes=decision["min_themes"],
            novelty_quantile=decision["novelty_quantile"],
            inner_folds=decision["inner_folds"],
            device=device,
        )
        model.theme_ids_ = [str(t) for t in card["theme_ids"]]
        model.c_, model.weak_weight_ = head["chosen_c"], head["chosen_weak_weight"]
        model.selection_ = {"candidates": head["selection"]}
        model.coef_ = tensors["coef"].astype(np.float64)
        model.intercept_ = tensors["intercept"].astype(np.float64)
        model.centroids_ = tensors["centroids"].astype(np.float64)
        model.novelty_tau_ = decision["novelty_tau"]
        model.thresholds_ = np.array([decision["thresholds"][t] for t in model.theme_ids_])
        model.training_ = card["training"]
        model.metrics_ = card.get("metrics", {})
        model.codebook_ = card_codebook(card, saved.folder.resolve().name)
        model.excerpts_ = saved.excerpts
        model.card_ = card
        k = len(model.theme_ids_)
        if model.coef_.shape[0] - k not in ((0, 1) if model.head == "softmax" else (0,)):
            raise ValueError("weights do not match the model card's themes")
        if model.centroids_.shape[0] != k or model.thresholds_.shape != (k,):
            raise ValueError("centroids or thresholds do not match the model card's themes")
        return model
