"""What a ThemeClassifier trains on: labels as a 0/1 frame, weak examples, the data hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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
