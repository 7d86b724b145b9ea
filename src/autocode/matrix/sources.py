"""Which codings a matrix counts: one coder's, the model's, or the finished corpus's.

- `human:NAME`: that reviewer's codings.
- `model:NAME` or `model:NAME@VERSION`: that model's codings (a name must match one version).
- `model`: the codebook's model coder, when there is exactly one.
- `corpus`: the finished corpus: a unit a human coded or decided keeps the human codes (every
  human coder's, joined), every other unit takes the model's codes (a review's finish coder
  `model:review-NAME@...` first, else the codebook's only model coder, else `model_coder`).

A coding stored with its unit index counts for that unit; a span without one (a REFI import) counts
for each unit it covers by the overlap rule of `autocode.agreement.units` (half the unit, or half
the span inside it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from autocode.agreement.units import offset_labels
from autocode.errors import InputError
from autocode.store import Project
from autocode.store.tables import CodingTable, UnitTable
from autocode.types import HUMAN_PREFIX, MODEL_PREFIX, Codebook, coder_problem

CORPUS, MODEL = "corpus", "model"
FINISH_PREFIX = "model:review-"
MIN_OVERLAP = 0.5


@dataclass(frozen=True)
class CodedUnits:
    """Every unit of the project and the codes of one codebook it carries from one source."""

    codebook: Codebook
    labels: np.ndarray  # bool, units x codes of `codebook` in codebook order
    source: str  # the source as given
    coders: dict[str, int]  # coder -> units whose codes came from it


def source_problem(source: str) -> str | None:
    """What is wrong with a source as written, or None."""
    if source in (CORPUS, MODEL):
        return None
    problem = coder_problem(source)
    if problem is None:
        return None
    return f"a coder is corpus, model, human:NAME or model:NAME, not {source!r}"


def coded_units(
    project: Project,
    units: UnitTable,
    codebook: Codebook,
    source: str,
    model_coder: str | None = None,
) -> CodedUnits:
    """The units x codes table of `codebook` from `source` (see the module docstring)."""
    table = project.coding_table(codebook.name)
    coders = sorted(set(table.coders.tolist()))
    where = f"codebook {codebook.name!r}"
    if source.startswith(HUMAN_PREFIX):
        if source not in coders:
            raise InputError(where, f"has no codings by {source} (coders: {_listed(coders)})")
        chosen = table.where(table.coders == source)
        return CodedUnits(codebook, _labels(units, chosen, codebook), source, {source: len(units)})
    if source.startswith(MODEL_PREFIX) or source == MODEL:
        coder = _model_coder(coders, source, where)
        chosen = table.where(table.coders == coder)
        return CodedUnits(codebook, _labels(units, chosen, codebook), source, {coder: len(units)})
    return _finished(project, units, codebook, table, coders, model_coder, where)


def _finished(
    project: Project,
    units: UnitTable,
    codebook: Codebook,
    table: CodingTable,
    coders: list[str],
    model_coder: str | None,
    where: str,
) -> CodedUnits:
    human_mask = np.array([c.startswith(HUMAN_PREFIX) for c in table.coders], dtype=bool)
    human = _labels(units, table.where(human_mask), codebook)
    decided = human.any(axis=1)
    decisions = project.decided_units(codebook.name)
    if decisions:
        keys = zip(units.transcript_ids.tolist(), units.indices.tolist(), strict=True)
        decided |= np.fromiter((key in decisions for key in keys), dtype=bool, count=len(units))
    labels = human.copy()
    counts = {"human": int(decided.sum())}
    machine = [c for c in coders if c.startswith(MODEL_PREFIX)]
    if model_coder is not None or machine:
        finishers = [c for c in machine if c.startswith(FINISH_PREFIX)]
        if model_coder is None and len(finishers) == 1:
            coder = finishers[0]
        else:
            coder = _model_coder(coders, model_coder or MODEL, where)
        model = _labels(units, table.where(table.coders == coder), codebook)
        labels[~decided] = model[~decided]
        counts[coder] = int((~decided).sum())
    return CodedUnits(codebook, labels, CORPUS, counts)


def _model_coder(coders: list[str], source: str, where: str) -> str:
    models = [c for c in coders if c.startswith(MODEL_PREFIX)]
    if source == MODEL:
        batch = [c for c in models if not c.startswith(FINISH_PREFIX)] or models
        if len(batch) == 1:
            return batch[0]
        if not batch:
            raise InputError(where, "has no model codings; code the project first (autocode code)")
        raise InputError(where, f"has codings of several models ({_listed(batch)}): name one")
    matching = [c for c in models if c == source or c.startswith(f"{source}@")]
    if len(matching) == 1:
        return matching[0]
    if not matching:
        raise InputError(where, f"has no codings by {source} (coders: {_listed(coders)})")
    raise InputError(where, f"{source} names several coders ({_listed(matching)}): name one")


def _labels(units: UnitTable, codings: CodingTable, codebook: Codebook) -> np.ndarray:
    code_ids = codebook.ids
    position = {code: j for j, code in enumerate(code_ids)}
    labels = np.zeros((len(units), len(code_ids)), dtype=bool)
    if not len(codings) or not len(units):
        return labels
    columns = np.array([position.get(code, -1) for code in codings.code_ids.tolist()])
    with_unit = codings.unit_indices >= 0
    keys = zip(
        codings.transcript_ids[with_unit].tolist(),
        codings.unit_indices[with_unit].tolist(),
        strict=True,
    )
    rows = np.array([units.positions.get(key, -1) for key in keys], dtype=np.int64)
    keep = (rows >= 0) & (columns[with_unit] >= 0)
    labels[rows[keep], columns[with_unit][keep]] = True
    spans = codings.where(~with_unit & (columns >= 0))
    by_transcript = pd.Series(np.arange(len(spans))).groupby(spans.transcript_ids, sort=False)
    for transcript_id, at in by_transcript.indices.items():
        if transcript_id in units.transcript_rows:
            first, end = units.transcript_rows[transcript_id]
            _span_labels(units, spans.where(at), first, end, position, labels)
    return labels


def _span_labels(
    units: UnitTable,
    spans: CodingTable,
    first: int,
    end: int,
    position: dict[str, int],
    labels: np.ndarray,
) -> None:
    """Codings without a unit index (imported spans) of the transcript whose units are rows
    `first:end`, by the overlap rule."""
    by_code: dict[str, list[tuple[int, int]]] = {}
    for code, start, stop in zip(spans.code_ids, spans.starts, spans.ends, strict=True):
        by_code.setdefault(code, []).append((int(start), int(stop)))
    codes = list(by_code)
    found = offset_labels(
        units.starts[first:end], units.ends[first:end], by_code, codes, MIN_OVERLAP
    )
    for j, code in enumerate(codes):
        labels[first:end, position[code]] |= found[:, j].astype(bool)


def _listed(names: list[str]) -> str:
    return ", ".join(names) or "none"
