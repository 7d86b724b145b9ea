"""Part files: one transcript's batch result (units, vectors, codings) as a Parquet file.

A part's name is derived from the transcript (id and content hash) and the model fingerprint,
so a rerun finds what it already has and rewrites nothing; a part is written to a temporary
name and renamed, so a killed process never leaves half of one. Parts are what Dask workers hand
back; the client alone commits them into the project store.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from autocode.store.base import sha256_text
from autocode.types import Coding, Transcript, Unit

if TYPE_CHECKING:
    from autocode.models.batch_model import BatchModel

PARTS_FOLDER = "parts"


@dataclass
class Part:
    """What a worker computed for one transcript."""

    transcript_id: str
    units: list[Unit]
    vectors: np.ndarray  # one row per unit
    codes: list[list[tuple[str, float]]]  # per unit: (theme id, confidence) of themes present

    def codings(self, coder: str) -> list[Coding]:
        return [
            Coding(
                self.transcript_id, unit.start, unit.end, code, coder, confidence, None, unit.index
            )
            for unit, present in zip(self.units, self.codes, strict=True)
            for code, confidence in present
        ]


def part_name(transcript: Transcript, fingerprint: str) -> str:
    """`<text hash 16>-<id hash 8>-<fingerprint hash 16>.parquet`."""

    text, identity = sha256_text(transcript.text)[:16], sha256_text(transcript.id)[:8]
    return f"{text}-{identity}-{sha256_text(fingerprint)[:16]}.parquet"


def part_bytes(part: Part) -> bytes:
    dim = part.vectors.shape[1] if part.vectors.ndim == 2 else 0
    flat = pa.array(np.ascontiguousarray(part.vectors, dtype=np.float32).ravel(), pa.float32())
    table = pa.table(
        {
            "unit_index": pa.array([u.index for u in part.units], pa.int32()),
            "speaker": pa.array([u.speaker for u in part.units], pa.string()),
            "start": pa.array([u.start for u in part.units], pa.int64()),
            "end": pa.array([u.end for u in part.units], pa.int64()),
            "text": pa.array([u.text for u in part.units], pa.string()),
            "vector": pa.FixedSizeListArray.from_arrays(flat, dim)
            if dim
            else pa.nulls(0, pa.list_(pa.float32(), 1)),
            "codes": pa.array([[c for c, _ in p] for p in part.codes], pa.list_(pa.string())),
            "confidences": pa.array(
                [[x for _, x in p] for p in part.codes], pa.list_(pa.float64())
            ),
        },
        metadata={"transcript_id": part.transcript_id, "dim": str(dim)},
    )
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def write_part(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    staging = folder / f".{name}.{os.getpid()}.tmp"
    staging.write_bytes(data)
    os.replace(staging, target)
    return target


def read_part(path: Path) -> Part:
    table = pq.read_table(path)
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    transcript_id, dim = meta["transcript_id"], int(meta["dim"])
    rows = table.select(["unit_index", "speaker", "start", "end", "text"]).to_pylist()
    units = [
        Unit(transcript_id, r["unit_index"], r["speaker"], r["start"], r["end"], r["text"])
        for r in rows
    ]
    if units:
        flat = table.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        vectors = flat.astype(np.float32).reshape(len(units), dim)
    else:
        vectors = np.zeros((0, dim), dtype=np.float32)
    codes = [
        list(zip(c, x, strict=True))
        for c, x in zip(
            table.column("codes").to_pylist(), table.column("confidences").to_pylist(), strict=True
        )
    ]
    return Part(transcript_id, units, vectors, codes)


def classify_parts(
    model: BatchModel, batch: Sequence[tuple[Transcript, list[Unit]]], vectors: np.ndarray
) -> list[Part]:
    """Each transcript's units with their vectors and the themes the classifier marks present."""
    themes = model.theme_ids
    proba = np.zeros((0, len(themes)))
    chosen = np.zeros((0, len(themes)), dtype=int)
    if len(vectors):
        frame, decided = model.classifier.predict_from_vectors(vectors)
        proba, chosen = frame.to_numpy(), decided.to_numpy()
    parts = []
    row = 0
    for transcript, units in batch:
        present = [
            [
                (theme, float(proba[row + i, j]))
                for j, theme in enumerate(themes)
                if chosen[row + i, j]
            ]
            for i in range(len(units))
        ]
        parts.append(Part(transcript.id, units, vectors[row : row + len(units)], present))
        row += len(units)
    return parts
