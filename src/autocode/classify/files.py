"""A saved classifier's folder: model card (JSON), weights (safetensors), excerpts (JSON).

Nothing is unpickled on load, and nothing here knows the estimator: it reads and writes the three
files. They are written beside their targets and renamed into place together, so saving over an
existing model never leaves a card that describes other weights. A model folder may come from
someone else: every file is size-checked before it is parsed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autocode.classify.card import (
    CARD_FILE,
    EXCERPTS_FILE,
    FORMAT,
    READABLE_VERSIONS,
    WEIGHTS_FILE,
)
from autocode.classify.excerpts import ModelExcerpt, excerpts_from_rows, excerpts_to_rows
from autocode.errors import InputError
from autocode.files import write_files_together

MAX_CARD_BYTES = 16 * 2**20
MAX_EXCERPTS_BYTES = 512 * 2**20
MAX_WEIGHTS_BYTES = 1024 * 2**20
TENSORS = ("coef", "intercept", "centroids")


@dataclass
class SavedModel:
    """What a model folder holds; `excerpts` is None for a format-1 folder, which had none."""

    folder: Path
    card: dict[str, Any]
    tensors: dict[str, np.ndarray]
    excerpts: list[ModelExcerpt] | None


def is_model_folder(folder: Path) -> bool:
    return (folder / CARD_FILE).is_file() and (folder / WEIGHTS_FILE).is_file()


def write_model_folder(
    folder: str | Path,
    card: dict[str, Any],
    tensors: dict[str, np.ndarray],
    excerpts: list[ModelExcerpt],
) -> Path:
    """Write card, weights and excerpts into `folder` (created if needed), all or nothing."""
    from safetensors.numpy import save

    weights = save(
        {name: tensors[name].astype(np.float32) for name in TENSORS},
        # One key only: safetensors writes metadata from a hash map, in no fixed order.
        metadata={"format": f"{FORMAT}/{card['format_version']}"},
    )
    rows = excerpts_to_rows(excerpts)
    contents = {
        WEIGHTS_FILE: weights,
        EXCERPTS_FILE: json.dumps(rows, indent=1, ensure_ascii=False) + "\n",
        CARD_FILE: json.dumps(card, indent=2, ensure_ascii=False) + "\n",
    }
    write_files_together(Path(folder), contents)
    return Path(folder)


def read_model_folder(folder: str | Path) -> SavedModel:
    """Read and check a model folder; InputError naming the file at the first problem."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    folder = Path(folder)
    if not is_model_folder(folder):
        raise InputError(
            folder, f"not a saved ThemeClassifier (needs {CARD_FILE} and {WEIGHTS_FILE})"
        )
    card_path, weights_path = folder / CARD_FILE, folder / WEIGHTS_FILE
    card = _read_json(card_path, MAX_CARD_BYTES)
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise InputError(card_path, "not an autocode model card")
    if card.get("format_version") not in READABLE_VERSIONS:
        raise InputError(
            card_path,
            f"model format version {card.get('format_version')!r} is not one this autocode "
            f"reads ({', '.join(map(str, READABLE_VERSIONS))}); upgrade autocode",
        )
    _check_size(weights_path, MAX_WEIGHTS_BYTES)
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as error:
        raise InputError(weights_path, f"cannot read weights: {error}") from None
    missing = [name for name in TENSORS if name not in tensors]
    if missing:
        raise InputError(weights_path, f"missing tensors {', '.join(missing)}")
    excerpts = None
    excerpts_path = folder / EXCERPTS_FILE
    if card["format_version"] >= 2:
        if not excerpts_path.is_file():
            raise InputError(excerpts_path, "missing: the model's hand-coded excerpts")
        theme_ids = card.get("theme_ids")
        if not isinstance(theme_ids, list):
            raise InputError(card_path, "model card names no theme ids")
        rows = _read_json(excerpts_path, MAX_EXCERPTS_BYTES)
        excerpts = excerpts_from_rows(rows, excerpts_path, [str(t) for t in theme_ids])
    return SavedModel(folder, card, tensors, excerpts)


def _check_size(path: Path, limit: int) -> None:
    size = path.stat().st_size
    if size > limit:
        raise InputError(path, f"{size:,} bytes is more than a model file may be ({limit:,})")


def _read_json(path: Path, limit: int) -> object:
    _check_size(path, limit)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise InputError(path, f"not valid JSON: {error}") from None
