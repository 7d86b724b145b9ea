"""Saving and loading a ThemeClassifier: a JSON model card beside safetensors weights.

Nothing is unpickled on load. Both files are written beside their targets and renamed into place
together, so saving over an existing model never leaves a card that describes other weights.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from autocode import __version__
from autocode.embed import Embedder
from autocode.errors import InputError
from autocode.files import write_files_together

if TYPE_CHECKING:
    from autocode.classify import ThemeClassifier

FORMAT = "autocode-theme-classifier"
FORMAT_VERSION = 1
CARD_FILE = "model.json"
WEIGHTS_FILE = "weights.safetensors"


def model_card(
    model: ThemeClassifier, metrics: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """The model card: what the model is, what it was trained on, how well it did."""
    from autocode.versions import package_versions

    embedder = Embedder(model.embedder)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "autocode_version": __version__,
        "theme_ids": model.theme_ids_,
        "embedder": {"name": model.embedder or "all-MiniLM-L6-v2", "id": embedder.model_id},
        "head": {
            "type": model.head,
            "c": model.c,
            "weak_weight": model.weak_weight,
            "chosen_c": model.c_,
            "chosen_weak_weight": model.weak_weight_,
            "selection": model.selection_.get("candidates", []),
        },
        "decision": {
            "threshold": model.threshold,
            "thresholds": dict(zip(model.theme_ids_, map(float, model.thresholds_), strict=True)),
            "min_themes": model.min_themes,
            "novelty_quantile": model.novelty_quantile,
            "novelty_tau": model.novelty_tau_,
            "inner_folds": model.inner_folds,
        },
        "training": model.training_,
        "metrics": metrics or getattr(model, "metrics_", {}),
        "versions": package_versions(),
        **extra,
    }


def save_classifier(
    model: ThemeClassifier,
    directory: str | Path,
    metrics: dict[str, Any] | None = None,
    **extra: Any,
) -> Path:
    """Write model.json and weights.safetensors into `directory` (created if needed)."""
    from safetensors.numpy import save

    card = model_card(model, metrics, **extra)
    weights = save(
        {
            "coef": model.coef_.astype(np.float32),
            "intercept": model.intercept_.astype(np.float32),
            "centroids": model.centroids_.astype(np.float32),
        },
        # One key only: safetensors writes metadata from a hash map, in no fixed order.
        metadata={"format": f"{FORMAT}/{FORMAT_VERSION}"},
    )
    folder = Path(directory)
    text = json.dumps(card, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    write_files_together(folder, {WEIGHTS_FILE: weights, CARD_FILE: text})
    return folder


def load_classifier(directory: str | Path, *, device: str | None = None) -> ThemeClassifier:
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
    try:
        model = _from_card(card, tensors, device)
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(
            card_path, f"model card is incomplete or from another autocode version ({error})"
        ) from None
    if model.coef_.shape[0] - len(model.theme_ids_) not in (
        (0, 1) if model.head == "softmax" else (0,)
    ):
        raise InputError(weights_path, "weights do not match the model card's themes")
    installed = Embedder(model.embedder).model_id
    if installed != card["embedder"]["id"]:
        raise InputError(
            folder,
            f"trained with embedder {card['embedder']['id']} but {installed} is installed",
        )
    return model


def _from_card(
    card: dict[str, Any], tensors: dict[str, np.ndarray], device: str | None
) -> ThemeClassifier:
    """Rebuild a fitted classifier from its card and weights (KeyError when incomplete)."""
    from autocode.classify import ThemeClassifier

    decision, head = card["decision"], card["head"]
    model = ThemeClassifier(
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
    model.theme_ids_ = list(card["theme_ids"])
    model.c_, model.weak_weight_ = head["chosen_c"], head["chosen_weak_weight"]
    model.selection_ = {"candidates": head["selection"]}
    model.coef_ = tensors["coef"].astype(np.float64)
    model.intercept_ = tensors["intercept"].astype(np.float64)
    model.centroids_ = tensors["centroids"].astype(np.float64)
    model.novelty_tau_ = decision["novelty_tau"]
    model.thresholds_ = np.array([decision["thresholds"][t] for t in model.theme_ids_])
    model.training_ = card["training"]
    model.metrics_ = card.get("metrics", {})
    model.card_ = card
    return model
