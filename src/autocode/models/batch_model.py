"""A saved theme classifier as batch coding sees it: coder name, resume fingerprint, codebook.

- coder: `model:<name>@<version>`. The name is the model folder's name; the version is the
  autocode version recorded in the model card plus the first 8 hex digits of the training-data
  hash, e.g. `model:seed-themes@0.1.0+d93d7ea9`. A model retrained on other data is another coder,
  so its codings sit beside the old model's instead of replacing them.
- fingerprint: what must be equal for an earlier result to be reused. It covers the embedder id,
  the training-data hash, the theme ids, thresholds, `min_themes`, the novelty gate, the head's
  settings, a hash of the weights and theme centroids (so a model retrained with other settings
  on the same data codes again) and the segmentation settings (other units are another result).
  A transcript is skipped only when it was coded under the same fingerprint with the same text.
- codebook: the model's themes as its card names and defines them (`ThemeClassifier.codebook_`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autocode.classify import ThemeClassifier
from autocode.models import load_model, resolve_model
from autocode.segment import SegmentConfig
from autocode.types import Codebook


@dataclass(frozen=True)
class BatchModel:
    """A loaded classifier with the names batch coding records its results under."""

    classifier: ThemeClassifier
    name: str
    version: str
    codebook: Codebook

    @property
    def coder(self) -> str:
        return f"model:{self.name}@{self.version}"

    @property
    def theme_ids(self) -> list[str]:
        return list(self.classifier.theme_ids_)

    @property
    def embedder_id(self) -> str:
        return str(self.classifier.card_["embedder"]["id"])

    def fingerprint(self, segment_config: SegmentConfig) -> str:
        """`<embedder id>/<training data hash, 12>/<digest of everything else, 16>`."""
        classifier = self.classifier
        weights = hashlib.sha256()
        for name in ("coef_", "intercept_", "centroids_"):
            array = getattr(classifier, name)
            if array is not None:
                weights.update(name.encode() + np.ascontiguousarray(array, dtype="<f8").tobytes())
        tau = classifier.novelty_tau_
        identity = {
            "embedder": self.embedder_id,
            "data_sha256": self._data_hash,
            "themes": self.theme_ids,
            "thresholds": [round(float(t), 12) for t in classifier.thresholds_],
            "min_themes": classifier.min_themes,
            "novelty_tau": None if tau is None else round(float(tau), 12),
            "head": classifier.card_.get("head"),
            "weights_sha256": weights.hexdigest(),
            "segment": segment_config.to_dict(),
        }
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8"))
        return f"{self.embedder_id}/{self._data_hash[:12]}/{digest.hexdigest()[:16]}"

    @property
    def _data_hash(self) -> str:
        return str(self.classifier.card_.get("training", {}).get("data_sha256") or "unknown")


def load_batch_model(model: str | Path) -> BatchModel:
    """Load a saved ThemeClassifier by shipped name or folder (InputError when it is not one)
    and name it for batch use."""
    folder = resolve_model(model)
    return named_model(load_model(folder), folder)


def named_model(classifier: ThemeClassifier, folder: Path) -> BatchModel:
    """A loaded classifier named after its folder and versioned by its training data."""
    card = classifier.card_
    name = Path(folder).resolve().name
    data_hash = str(card.get("training", {}).get("data_sha256") or "")
    version = str(card.get("autocode_version") or "unknown")
    if data_hash:
        version = f"{version}+{data_hash[:8]}"
    return BatchModel(classifier, name, version, classifier.codebook_)
