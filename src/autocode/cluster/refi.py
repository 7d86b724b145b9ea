"""Candidate codes as a REFI-QDA codebook and project, for QDA tools: each code group is a parent
code with its candidate codes nested under it, and every unit in a code is coded with it.

Code names are "C03 data source" (the id keeps names unique and lets a researcher find the code
in report.html); a code's definition holds its keywords, size and theme. The small-talk units
and the unassigned ones are coded with two more top-level codes, "small talk" and
"unassigned", so they are easy to find and delete in the tool. Codings are by the user
"autocode candidate codes" (coder `model:candidate-codes@<version>`); assigned units carry
their similarity to the code's centroid as the coding's confidence.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import autocode
from autocode.cluster.code_set import CodeSet
from autocode.cluster.outliers import ASSIGNED, SMALL_TALK, UNASSIGNED
from autocode.io.refi_model import RefiProject
from autocode.types import Code, Codebook, Coding, Transcript, Unit

CODER = f"model:candidate-codes@{autocode.__version__}"
CODER_NAME = "autocode candidate codes"
SMALL_TALK_CODE = "small-talk"
UNASSIGNED_CODE = "unassigned"
QDPX_FILE = "candidate-codes.qdpx"
QDC_FILE = "candidate-codes.qdc"


def candidate_codebook(code_set: CodeSet, name: str = "autocode candidate codes") -> Codebook:
    """Groups (parents), their candidate codes, and the small-talk and unassigned codes."""
    codes = [
        Code(
            id=group.id,
            name=f"{group.id} {group.label}",
            definition=f"Group of {len(group.code_ids)} candidate codes ({group.size} units); "
            f"phrases: {'; '.join(group.phrases)}",
        )
        for group in code_set.groups
    ]
    for code in code_set.codes:
        theme = f"; theme: {code.theme_display}" if code.theme_display else ""
        codes.append(
            Code(
                id=code.id,
                name=f"{code.id} {code.label}",
                definition=f"Candidate code, {code.size} units ({code.assigned} assigned after "
                f"clustering); keywords: {', '.join(code.keywords)}{theme}",
                parent_id=code.parent,
                examples=code.exemplar_texts,
            )
        )
    if code_set.small_talk:
        codes.append(
            Code(SMALL_TALK_CODE, "small talk", "Small talk and interview logistics: no code.")
        )
    if code_set.unassigned:
        codes.append(
            Code(UNASSIGNED_CODE, "unassigned", "Units far from every code: new codes or noise.")
        )
    return Codebook(name, codes)


def candidate_codings(code_set: CodeSet, units: Sequence[Unit]) -> list[Coding]:
    """One coding per unit: its candidate code, or the small-talk or unassigned code."""
    codings = []
    for position, unit in enumerate(units):
        label = int(code_set.labels[position])
        kind = code_set.membership[position] if len(code_set.membership) else ""
        confidence = None
        if label >= 0:
            code_id = code_set.codes[label].id
            if kind == ASSIGNED and np.isfinite(code_set.similarity[position]):
                confidence = round(float(code_set.similarity[position]), 4)
        elif kind == SMALL_TALK:
            code_id = SMALL_TALK_CODE
        elif kind == UNASSIGNED:
            code_id = UNASSIGNED_CODE
        else:
            continue
        codings.append(
            Coding(
                unit.transcript_id,
                unit.start,
                unit.end,
                code_id,
                CODER,
                confidence=confidence,
                unit_index=unit.index,
            )
        )
    return codings


def candidate_project(
    code_set: CodeSet, units: Sequence[Unit], transcripts: Sequence[Transcript], name: str
) -> RefiProject:
    """The transcripts coded with their candidate codes, nested under the code groups."""
    return RefiProject(
        name=name,
        transcripts=list(transcripts),
        codebook=candidate_codebook(code_set),
        codings=candidate_codings(code_set, units),
        users={CODER: CODER_NAME},
    )


def refi_files(
    code_set: CodeSet, units: Sequence[Unit], transcripts: Sequence[Transcript], name: str
) -> dict[str, bytes]:
    """The bytes of `candidate-codes.qdpx` and `candidate-codes.qdc`, made by the REFI exporter
    (it validates both against the schemas) in a private temporary folder."""
    from autocode.io.refi_export import export_qdc, export_qdpx

    with tempfile.TemporaryDirectory(prefix="autocode-refi-") as folder:
        project = export_qdpx(
            candidate_project(code_set, units, transcripts, name), Path(folder, "p.qdpx")
        )
        codebook = export_qdc(candidate_codebook(code_set, name), Path(folder, "c.qdc"))
        return {QDPX_FILE: project.read_bytes(), QDC_FILE: codebook.read_bytes()}
