"""A clustered baseline saved by `autocode saturation`, and checking a new interview against it.

A run over transcripts with candidate codes saves, beside its saturation results:
- `baseline.npz`: `vectors` (units x dimensions, float32, L2-normalised), `labels` (the code
  of each unit as a position in the code list, -1 outlier), `interview` (position of each
  unit's interview), `start`/`end` (character offsets of each unit in its transcript). No
  pickled objects: it is read with `allow_pickle=False`.
- `codes.json`: the embedding model, the segmentation settings, the interviews, the codes (id,
  label, keywords, size) and the codes per interview.

`check_against_baseline` then segments and embeds a new interview the same way and asks of its
units what `autocode.saturation.new_interview` defines: how many fall within an existing code,
how many are far from every code, whether the far ones form new codes (candidate codes among the
far units, found by `autocode.cluster` with its usual size scaling, here to the number of far
units), and the new-information ratio they would add (new codes / codes of the baseline).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autocode.cluster import ClusterConfig, CodeSet, find_candidate_codes
from autocode.embed import Embedder
from autocode.errors import InputError
from autocode.io.archive_guard import ArchiveBudget, check_for_library
from autocode.saturation.new_interview import (
    NewInterviewCheck,
    check_new_interview,
    held_out_shares,
    saturation_verdict,
)
from autocode.saturation.pipeline import EmbeddedInterviews, embed_interviews
from autocode.segment import SegmentConfig
from autocode.types import Transcript

FORMAT = "autocode-saturation-baseline"
FORMAT_VERSION = 1
VECTORS_FILE = "baseline.npz"
CODES_FILE = "codes.json"


@dataclass
class Baseline:
    """Everything a new interview is compared with (see the module docstring)."""

    vectors: np.ndarray
    labels: np.ndarray
    interview_of_unit: np.ndarray
    model_id: str
    embed_model: str | None
    segment_config: SegmentConfig
    interview_ids: list[str]
    codes: list[dict[str, Any]]

    @property
    def n_codes(self) -> int:
        return len(self.codes)


def baseline_files(
    embedded: EmbeddedInterviews, code_set: CodeSet, embed_model: str | None
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays of baseline.npz and the document of codes.json for a clustered run."""
    arrays = {
        "vectors": np.asarray(embedded.vectors, dtype=np.float32),
        "labels": np.asarray(code_set.labels, dtype=np.int32),
        "interview": embedded.interview_of_unit.astype(np.int32),
        "start": np.array([u.start for u in embedded.all_units], dtype=np.int64),
        "end": np.array([u.end for u in embedded.all_units], dtype=np.int64),
    }
    per_interview: dict[str, dict[str, int]] = {i: {} for i in embedded.interview_ids}
    position = embedded.interview_of_unit
    for unit, label in enumerate(code_set.labels.tolist()):
        if label >= 0:
            counts = per_interview[embedded.interview_ids[position[unit]]]
            code_id = code_set.codes[label].id
            counts[code_id] = counts.get(code_id, 0) + 1
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "embedder": {"name": embed_model, "id": embedded.model_id},
        "segment_config": embedded.segment_config.to_dict(),
        "cluster_parameters": asdict(code_set.parameters),
        "interviews": [
            {"id": t.id, "source": t.metadata.get("source"), "units": len(units)}
            for t, units in zip(embedded.transcripts, embedded.units, strict=True)
        ],
        "codes": [
            {"id": c.id, "label": c.label, "keywords": list(c.keywords), "size": c.size}
            for c in code_set.codes
        ],
        "codes_per_interview": per_interview,
    }
    return arrays, document


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An .npz archive (what `np.load` reads) with fixed timestamps: same arrays, same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(entry, "w") as stream:
                np.lib.format.write_array(stream, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def load_baseline(directory: str | Path) -> Baseline:
    """Read a baseline folder; every problem is an InputError naming the file."""
    folder = Path(directory)
    codes_path, vectors_path = folder / CODES_FILE, folder / VECTORS_FILE
    for required in (codes_path, vectors_path):
        if not required.is_file():
            raise InputError(
                required,
                "missing: the baseline is the --out folder of `autocode saturation` run over "
                "transcripts with --codes clusters",
            )
    try:
        document = json.loads(codes_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(codes_path, f"not valid JSON: {error}") from None
    if document.get("format") != FORMAT or document.get("format_version") != FORMAT_VERSION:
        raise InputError(codes_path, f"not a {FORMAT} version {FORMAT_VERSION} file")
    check_for_library(vectors_path, ArchiveBudget(vectors_path), "saturation baseline (.npz)")
    try:
        with np.load(vectors_path, allow_pickle=False) as arrays:
            vectors, labels = arrays["vectors"], arrays["labels"]
            interview_of_unit = arrays["interview"]
    except (OSError, ValueError, KeyError) as error:
        raise InputError(vectors_path, f"cannot read the baseline arrays: {error}") from None
    codes = document["codes"]
    if vectors.ndim != 2 or not labels.shape == interview_of_unit.shape == (len(vectors),):
        raise InputError(vectors_path, "vectors, labels and interviews do not line up")
    if labels.size and (labels.min() < -1 or labels.max() >= len(codes)):
        raise InputError(vectors_path, f"labels must lie in -1..{len(codes) - 1}")
    if not codes:
        raise InputError(codes_path, "the baseline has no code to compare with")
    return Baseline(
        vectors=vectors,
        labels=labels.astype(int),
        interview_of_unit=interview_of_unit.astype(int),
        model_id=document["embedder"]["id"],
        embed_model=document["embedder"]["name"],
        segment_config=SegmentConfig(**document["segment_config"]),
        interview_ids=[i["id"] for i in document["interviews"]],
        codes=codes,
    )


@dataclass
class NewInterviewReport:
    """The check of one new interview, the new codes its far units form, and the verdict."""

    check: NewInterviewCheck
    baseline_interviews: int
    new_codes: list[dict[str, Any]]
    threshold: float
    verdict: str
    baseline_shares_within: dict[str, float]  # each baseline interview against the others

    @property
    def new_information_ratio(self) -> float:
        return len(self.new_codes) / self.check.n_baseline_codes

    def to_dict(self) -> dict[str, Any]:
        check = asdict(self.check)
        return {
            "interview_id": self.check.interview_id,
            "baseline_interviews": self.baseline_interviews,
            "baseline_codes": self.check.n_baseline_codes,
            "units": self.check.n_units,
            "within_existing_codes": self.check.n_within,
            "far_from_every_code": self.check.n_far,
            "share_within": self.check.share_within,
            "baseline_share_within_held_out": self.baseline_shares_within,
            "distance_threshold": self.check.distance_threshold,
            "quantile": self.check.quantile,
            "new_codes": self.new_codes,
            "new_information_ratio": self.new_information_ratio,
            "threshold": self.threshold,
            "verdict": self.verdict,
            "units_detail": {k: check[k] for k in ("distances", "nearest_codes")},
        }


def check_against_baseline(
    baseline: Baseline,
    transcript: Transcript,
    embedder: Embedder,
    *,
    quantile: float = 0.95,
    threshold: float = 0.05,
) -> NewInterviewReport:
    """Segment and embed `transcript` like the baseline, and check it (see the module doc)."""
    if embedder.model_id != baseline.model_id:
        raise InputError(
            transcript.metadata.get("source", transcript.id),
            f"the baseline was embedded with {baseline.model_id}, this run has "
            f"{embedder.model_id}; use the same embedding model",
        )
    embedded = embed_interviews([transcript], embedder, baseline.segment_config)
    units = embedded.units[0]
    vectors = embedded.vectors.reshape(len(units), baseline.vectors.shape[1])
    check = check_new_interview(
        baseline.vectors, baseline.labels, vectors, interview_id=transcript.id, quantile=quantile
    )
    far = [i for i, d in enumerate(check.distances) if d > check.distance_threshold]
    new_codes: list[dict[str, Any]] = []
    if far:
        found = find_candidate_codes([units[i] for i in far], vectors[far], config=ClusterConfig())
        new_codes = [
            {
                "id": f"N{k + 1}",
                "label": code.label,
                "keywords": list(code.keywords),
                "size": code.size,
                "exemplars": list(code.exemplar_texts),
            }
            for k, code in enumerate(found.codes)
        ]
    shares = held_out_shares(
        baseline.vectors, baseline.labels, baseline.interview_of_unit, quantile=quantile
    )
    reference = {baseline.interview_ids[position]: share for position, share in shares.items()}
    verdict = saturation_verdict(
        check,
        baseline_interviews=len(baseline.interview_ids),
        n_new_codes=len(new_codes),
        threshold=threshold,
        reference_shares=list(reference.values()),
    )
    return NewInterviewReport(
        check, len(baseline.interview_ids), new_codes, threshold, verdict, reference
    )
