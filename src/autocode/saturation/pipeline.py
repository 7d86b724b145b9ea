"""Transcripts to codes per interview for saturation: read in order, segment, embed, code.

`read_interviews` reads files and folders in analysis order (files as given; the files of a
folder in natural name order, so Interview_2 comes before Interview_10; or by date or an
explicit list), `embed_interviews` segments them into meaning units and embeds every unit (one
Embedder, so its cache serves both segmentation and codes), and then either
`cluster_interview_codes` (candidate codes: HDBSCAN over all units of all interviews at once,
as `autocode.cluster` does it) or `theme_interview_codes` (themes the classifier decides per
unit) gives the InterviewCodes that `assess_saturation` takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autocode.classify import ThemeClassifier
from autocode.cluster import ClusterConfig, CodeSet, find_candidate_codes
from autocode.embed import Embedder
from autocode.errors import InputError
from autocode.io import read_many
from autocode.saturation.codes import InterviewCodes, SaturationInputError
from autocode.saturation.sources import (
    codes_from_unit_labels,
    codes_from_unit_themes,
    natural_key,
    ordered_ids,
)
from autocode.segment import SegmentConfig, segment_many
from autocode.types import Transcript, Unit


def read_interviews(
    paths: Sequence[str | Path],
    *,
    order_by: str = "given",
    order: Sequence[str] | None = None,
) -> list[Transcript]:
    """Read transcript files and folders (stopping at the first unreadable file), in order.

    `order_by`: "given" (files as listed, each folder's files in natural order of their path),
    "name" (all by natural order of transcript id), "date" (`metadata["date"]`, which readers
    set only when the file states one); `order` lists every transcript id explicitly.
    """
    transcripts: list[Transcript] = []
    seen: dict[str, str] = {}
    for item in paths:
        found, _ = read_many([item], strict=True)
        if Path(item).is_dir():
            if not found:
                raise InputError(item, "holds no transcript file of a supported type")
            found.sort(key=lambda t: natural_key(str(t.metadata.get("source", t.id))))
        for transcript in found:
            source = str(transcript.metadata.get("source", item))
            if transcript.id in seen:
                raise InputError(
                    source,
                    f"gives the same transcript id {transcript.id!r} as {seen[transcript.id]}; "
                    "rename one of them",
                )
            seen[transcript.id] = source
            transcripts.append(transcript)
    if not transcripts:
        raise SaturationInputError("no transcript given")
    ids = [t.id for t in transcripts]
    dates = None
    if order_by == "date" and order is None:
        dates = {t.id: t.metadata.get("date") for t in transcripts}
        undated = [i for i, d in dates.items() if d in (None, "")]
        if undated:
            raise SaturationInputError(
                f"no date in the metadata of {len(undated)} transcript(s) ({', '.join(undated[:5])}"
                f"{', ...' if len(undated) > 5 else ''}); give the order with --order FILE"
            )
    by_id = {t.id: t for t in transcripts}
    return [by_id[i] for i in ordered_ids(ids, order_by=order_by, order=order, dates=dates)]


@dataclass
class EmbeddedInterviews:
    """Interviews in analysis order, their meaning units and one vector per unit (all units)."""

    transcripts: list[Transcript]
    units: list[list[Unit]]
    vectors: np.ndarray
    model_id: str
    segment_config: SegmentConfig = field(default_factory=SegmentConfig)

    @property
    def interview_ids(self) -> list[str]:
        return [t.id for t in self.transcripts]

    @property
    def all_units(self) -> list[Unit]:
        return [unit for units in self.units for unit in units]

    @property
    def interview_of_unit(self) -> np.ndarray:
        """Position (in analysis order) of the interview of each unit."""
        return np.repeat(np.arange(len(self.units)), [len(u) for u in self.units])

    @property
    def without_units(self) -> list[str]:
        """Interviews in which segmentation found no participant meaning unit."""
        return [t.id for t, units in zip(self.transcripts, self.units, strict=True) if not units]


def embed_interviews(
    transcripts: Sequence[Transcript],
    embedder: Embedder,
    segment_config: SegmentConfig | None = None,
) -> EmbeddedInterviews:
    """Segment every transcript and embed all units with `embedder` (its cache is used)."""
    config = segment_config or SegmentConfig(embed_model=embedder.model)
    units = segment_many(transcripts, config, embedder=embedder)
    vectors = embedder.encode([unit.text for per in units for unit in per])
    return EmbeddedInterviews(list(transcripts), units, vectors, embedder.model_id, config)


def cluster_interview_codes(
    embedded: EmbeddedInterviews, config: ClusterConfig | None = None
) -> tuple[InterviewCodes, CodeSet]:
    """Candidate codes over all units of all interviews; outliers are in no code."""
    code_set = find_candidate_codes(
        embedded.all_units, embedded.vectors, config=config or ClusterConfig()
    )
    ids = [code.id for code in code_set.codes]
    data = codes_from_unit_labels(embedded.interview_ids, embedded.units, code_set.labels, ids)
    return data, code_set


def theme_interview_codes(
    embedded: EmbeddedInterviews, classifier: ThemeClassifier
) -> InterviewCodes:
    """Themes the classifier decides for each unit (vectors must be of its embedder)."""
    _, decided = classifier.predict_from_vectors(embedded.vectors)
    return codes_from_unit_themes(embedded.interview_ids, embedded.units, decided)
