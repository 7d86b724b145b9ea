"""Agreement between any coders of a project, humans and models alike.

    comparison = compare_coders(project, ["human:ana", "human:ben", "model:seed-themes@0.1"])
    document = comparison.to_json()

Per code: each pair of coders' Cohen's kappa, percent agreement and Brennan-Prediger kappa with
bootstrap intervals (`autocode.agreement.pairs`), and across all the coders Krippendorff's alpha
(nominal), Fleiss' kappa, multi-rater percent agreement and Brennan-Prediger kappa
(`autocode.agreement.multi`). When every item carries exactly one code (mutually exclusive codes,
like an ATLAS.ti semantic domain), the same across-coder statistics over the codes as categories
(`codebook_level`). Items are units, characters or documents (`autocode.agreement.items`).

A model is judged as one more coder (`model_as_coder`): per code, whether its kappa with each
human lies inside the range of the humans' kappas with each other (below, within, above), and
whether it lies inside the humans' bootstrap intervals, which matters with two humans only,
whose range is one value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from autocode import __version__
from autocode.agreement.across import across_coders, codebook_statistics
from autocode.agreement.disagreements import Disagreement, find_disagreements
from autocode.agreement.items import CoderItems, Coverage, Level, coder_items
from autocode.agreement.pairs import PairScores, pair_scores
from autocode.agreement.units import choose_codebook, code_targets, ensure_units, resolve_codes
from autocode.agreement.verdict import model_as_coder
from autocode.errors import InputError
from autocode.store import Project
from autocode.types import MODEL_PREFIX, coder_problem


@dataclass
class CoderComparison:
    """What `compare_coders` measured; `to_json()` is the stable document."""

    coders: list[str]
    level: str
    codebook: str
    code_names: dict[str, str]
    settings: dict[str, Any]
    items: CoderItems
    pairs: PairScores
    per_code: dict[str, dict[str, Any]]
    codebook_level: dict[str, Any]
    model_as_coder: list[dict[str, Any]]
    disagreements: list[Disagreement] = field(default_factory=list)
    unused_codes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """`{"coders", "level", "codebook_level", "codes": {id: {"krippendorff_alpha",
        "fleiss_kappa", "pairs": [{"coders", "cohen_kappa", "percent_agreement",
        "brennan_prediger", "ci"}]}}}` plus descriptive fields; nan is null."""
        codes = {}
        for k, code in enumerate(self.pairs.code_ids):
            pairs = []
            for p, pair in enumerate(self.pairs.pairs):
                row: dict[str, Any] = {"coders": list(pair)}
                for name, values in self.pairs.estimates.items():
                    row[name] = _number(values[p, k])
                row["ci"] = _interval(self.pairs, "cohen_kappa", p, k)
                row["percent_agreement_ci"] = _interval(self.pairs, "percent_agreement", p, k)
                row["brennan_prediger_ci"] = _interval(self.pairs, "brennan_prediger", p, k)
                row["n_items"] = int(self.pairs.n_items[p])
                pairs.append(row)
            codes[code] = {
                "name": self.code_names[code],
                **{key: _plain(value) for key, value in self.per_code[code].items()},
                "pairs": pairs,
            }
        return {
            "autocode_version": __version__,
            "coders": list(self.coders),
            "level": self.level,
            "codebook": self.codebook,
            "settings": dict(self.settings),
            "n_items": len(self.items),
            "n_groups": self.pairs.n_groups,
            "codebook_level": {key: _plain(value) for key, value in self.codebook_level.items()},
            "codes": codes,
            "model_as_coder": [_plain(line) for line in self.model_as_coder],
            "n_disagreements": len(self.disagreements),
            "unused_codes": list(self.unused_codes),
        }


def _number(value: float | np.floating | np.integer) -> float | int | None:
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    if np.isnan(value):
        return None
    return round(value, 4) if not value.is_integer() else value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (float, np.floating, np.integer)) and not isinstance(value, bool):
        return _number(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _interval(scores: PairScores, name: str, p: int, k: int) -> list[float | None]:
    return [_number(scores.lo[name][p, k]), _number(scores.hi[name][p, k])]


def compare_coders(
    project: Project,
    coders: Sequence[str],
    codebook: str | None = None,
    level: Level = "unit",
    *,
    only_units_coded_by_all: bool = True,
    code_level: Literal["coded", "top"] = "coded",
    codes: Sequence[str] | None = None,
    transcripts: Sequence[str] | None = None,
    min_overlap: float = 0.5,
    whole_transcripts: bool = False,
    coverage: Coverage = "auto",
    bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> CoderComparison:
    """Agreement of `coders` (module docstring) on the codes of `codebook` (the project's only
    codebook when not given). `codes` (ids or names) restricts the codes; by default every code
    some coder used on the compared items. `transcripts` restricts the transcripts. Raises
    InputError for fewer than two coders, a coder the project does not know or one with no
    codings in the codebook, and when no item was coded by the coders."""
    coders = _check_coders(project, coders)
    codebook = choose_codebook(project, codebook)
    completed = _completed(project, coders)
    _check_codings(project, coders, codebook, completed)
    book = project.codebook(codebook)
    targets = code_targets(book, code_level)
    level_codes = list(dict.fromkeys(targets.values()))
    selected = resolve_codes(book, codes, level_codes) if codes else level_codes
    items = coder_items(
        project,
        coders,
        codebook,
        level,
        code_level=code_level,
        code_ids=selected,
        transcripts=transcripts,
        only_coded_by_all=only_units_coded_by_all,
        min_overlap=min_overlap,
        whole_transcripts=whole_transcripts,
        coverage=coverage,
        completed=completed,
    )
    if not len(items):
        who = "all of" if only_units_coded_by_all else "two or more of"
        raise InputError(project.path, f"no {level} was coded by {who} {', '.join(coders)}")
    used = (items.values * items.covered[:, :, None]).any(axis=(0, 1))
    unused = [code for code, yes in zip(items.code_ids, used, strict=True) if not yes]
    if not codes:
        items = _with_codes(items, [c for c in items.code_ids if c not in set(unused)])
        if not items.code_ids:
            raise InputError(project.path, f"no coder used a code of {codebook!r} on these items")
    scores = pair_scores(items, bootstrap, seed, confidence)
    per_code = {code: across_coders(items, k) for k, code in enumerate(items.code_ids)}
    return CoderComparison(
        coders=list(coders),
        level=level,
        codebook=codebook,
        code_names={code: book.get(code).name for code in items.code_ids},
        settings={
            "code_level": code_level,
            "only_units_coded_by_all": only_units_coded_by_all,
            "min_overlap": min_overlap,
            "whole_transcripts": whole_transcripts,
            "coverage": coverage,
            "bootstrap_resamples": bootstrap,
            "seed": seed,
            "confidence": confidence,
            "transcripts": sorted(set(items.sources)),
        },
        items=items,
        pairs=scores,
        per_code=per_code,
        codebook_level=codebook_statistics(items),
        model_as_coder=model_as_coder(scores, coders),
        disagreements=find_disagreements(project, items),
        unused_codes=unused if not codes else [],
    )


def segment_coded_transcripts(project_dir: str | Path, coders: Sequence[str]) -> list[str]:
    """Segment (as `autocode code` does) the transcripts the coders coded that have no units
    yet, under the project's writer lock; returns their ids."""
    from autocode.segment import DEFAULT_SEGMENT_CONFIG

    with Project.open(project_dir) as project:
        coded = {c.transcript_id for coder in coders for c in project.codings(coder=coder)}
        missing = [
            tid for tid in project.transcript_ids() if tid in coded and not project.units(tid)
        ]
    if not missing:
        return []
    with Project.open(project_dir, writer=True) as writer:
        return ensure_units(writer, missing, config=DEFAULT_SEGMENT_CONFIG)


def _check_coders(project: Project, coders: Sequence[str]) -> list[str]:
    chosen = [coder.strip() for coder in coders if coder.strip()]
    for coder in chosen:
        problem = coder_problem(coder)
        if problem:
            raise InputError(project.path, problem)
    repeated = sorted({coder for coder in chosen if chosen.count(coder) > 1})
    if repeated:
        raise InputError(project.path, f"coder {repeated[0]} is given twice")
    if len(chosen) < 2:
        raise InputError(
            project.path, f"compare at least two coders, got {', '.join(chosen) or 'none'}"
        )
    return chosen


def _completed(project: Project, coders: Sequence[str]) -> dict[str, set[str]]:
    """Per model coder, the transcripts a batch run marked as coded by it."""
    return {
        coder: project.completed_transcripts(coder)
        for coder in coders
        if coder.startswith(MODEL_PREFIX)
    }


def _check_codings(
    project: Project, coders: Sequence[str], codebook: str, completed: dict[str, set[str]]
) -> None:
    known = {coding.coder for coding in project.codings()}
    for coder in coders:
        if coder not in known and not completed.get(coder):
            shown = ", ".join(sorted(known)) or "none"
            raise InputError(project.path, f"has no coder {coder} (its coders: {shown})")
        if not project.codings(coder=coder, codebook=codebook) and not completed.get(coder):
            elsewhere = [b for b in project.codebooks() if project.codings(coder=coder, codebook=b)]
            raise InputError(
                project.path,
                f"{coder} has no codings in codebook {codebook!r}"
                + (
                    f" (only in {', '.join(repr(name) for name in elsewhere)})" if elsewhere else ""
                ),
            )


def _with_codes(items: CoderItems, code_ids: list[str]) -> CoderItems:
    index = [items.code_ids.index(code) for code in code_ids]
    return CoderItems(
        items.level,
        items.coders,
        code_ids,
        items.values[:, :, index],
        items.covered,
        items.weights,
        items.groups,
        items.sources,
        items.spans,
    )
