"""What open coding returns: candidate codes, their parent groups, and each unit's membership."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from autocode.cluster.outliers import ASSIGNED, SMALL_TALK, UNASSIGNED

NO_THEME = "no theme: possible new theme"


@dataclass(frozen=True)
class CandidateCode:
    """One cluster of similar units: a code the researcher may adopt, rename or reject.

    `unit_indices` and `exemplars` index the units given to `find_candidate_codes`; the members
    are the core units HDBSCAN found (`core_size`) and the outliers assigned afterwards.
    `label` is the first of `phrases` (or the keywords when there is no phrase); `parent` the id
    of the code group it belongs to (None without a hierarchy). `theme` is None when no theme is
    confident (`runner_up` is then the nearest theme); both theme fields are None when no
    classifier was given. `reference_similarity` is the median over the code's units of their
    cosine similarity to the nearest reference vector, when references were given.
    """

    id: str
    label: str
    keywords: tuple[str, ...]
    size: int
    transcripts: int
    participants: int  # distinct (transcript, speaker) pairs
    unit_indices: tuple[int, ...]
    exemplars: tuple[int, ...]  # core members closest to the centroid, most representative first
    exemplar_texts: tuple[str, ...]
    theme: str | None = None
    theme_probability: float | None = None
    runner_up: str | None = None
    runner_up_probability: float | None = None
    reference_similarity: float | None = None
    phrases: tuple[str, ...] = ()
    core_size: int | None = None
    parent: str | None = None

    @property
    def theme_display(self) -> str:
        """The theme id, or "no theme: possible new theme" (empty without a classifier)."""
        if self.theme is not None:
            return self.theme
        return NO_THEME if self.runner_up is not None else ""

    @property
    def assigned(self) -> int:
        """Members that were outliers and joined the code afterwards."""
        return self.size - (self.size if self.core_size is None else self.core_size)


@dataclass(frozen=True)
class CodeGroup:
    """A parent code: candidate codes whose centroids are close (`code_ids`, in code order)."""

    id: str
    label: str
    phrases: tuple[str, ...]
    code_ids: tuple[str, ...]
    size: int  # units in its codes


@dataclass
class CodeSet:
    """Candidate codes of a set of units.

    `labels[i]` is the position in `codes` of unit i's code, or -1 for a unit in no code.
    `membership[i]` says how unit i got there: "core" (HDBSCAN put it in the code), "assigned"
    (an outlier close enough to the code's centroid), "unassigned" (an outlier too far from
    every code) or "small_talk" (kept out of clustering; `small_talk_reasons[i]` says why).
    `similarity[i]` is its cosine similarity to its code's centroid (unassigned: the nearest
    code's; NaN for small talk) and `nearest_code[i]` the position of the code with the most
    similar centre (-1 for small talk). `outliers` lists every unit in no code (unassigned and small
    talk), `reassigned` the assigned ones, `assign_threshold` the similarity they needed.
    """

    codes: list[CandidateCode]
    labels: np.ndarray
    outliers: list[int]
    parameters: Any  # autocode.cluster.ClusteringParameters
    reassigned: list[int] = field(default_factory=list)
    membership: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    similarity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    nearest_code: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    small_talk_reasons: list[str] = field(default_factory=list)
    groups: list[CodeGroup] = field(default_factory=list)
    assign_threshold: float | None = None

    @property
    def small_talk(self) -> list[int]:
        """Units recognised as small talk or interview logistics."""
        return np.flatnonzero(self.membership == SMALL_TALK).tolist()

    @property
    def unassigned(self) -> list[int]:
        """Outliers that joined no code: possible new codes, or noise."""
        return np.flatnonzero(self.membership == UNASSIGNED).tolist()

    def group_of(self, code: CandidateCode) -> CodeGroup | None:
        return next((group for group in self.groups if group.id == code.parent), None)

    def to_frame(self) -> pd.DataFrame:
        """One row per code, for codes.csv."""
        exemplar_count = max((len(code.exemplars) for code in self.codes), default=0)
        rows = []
        for code in self.codes:
            group = self.group_of(code)
            row: dict[str, object] = {
                "id": code.id,
                "label": code.label,
                "phrases": "; ".join(code.phrases),
                "keywords": "; ".join(code.keywords),
                "parent": group.id if group else "",
                "parent_label": group.label if group else "",
                "size": code.size,
                "core": code.size - code.assigned,
                "assigned": code.assigned,
                "transcripts": code.transcripts,
                "participants": code.participants,
                "theme": code.theme_display,
                "theme_probability": code.theme_probability,
                "runner_up": code.runner_up,
                "runner_up_probability": code.runner_up_probability,
                "reference_similarity": code.reference_similarity,
            }
            for k in range(exemplar_count):
                texts = code.exemplar_texts
                row[f"exemplar_{k + 1}"] = texts[k] if k < len(texts) else ""
            rows.append(row)
        columns = [
            "id", "label", "phrases", "keywords", "parent", "parent_label", "size", "core",
            "assigned", "transcripts", "participants", "theme", "theme_probability", "runner_up",
            "runner_up_probability", "reference_similarity",
            *(f"exemplar_{k + 1}" for k in range(exemplar_count)),
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=columns)


__all__ = ["ASSIGNED", "NO_THEME", "CandidateCode", "CodeGroup", "CodeSet"]
