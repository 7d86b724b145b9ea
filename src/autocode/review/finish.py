"""Finishing a review: the model's codes for every unit the reviewer did not decide become model
codings of the project, so that an export holds the finished corpus, the reviewed part (the
reviewer's `human:NAME` codings) and the machine-coded part (`model:review-NAME@VERSION`) told
apart. A unit that holds any human coding of the codebook is never coded over."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from autocode.review.pool import UnitPool
from autocode.review.scoring import Scores
from autocode.store import Project
from autocode.types import Coding


@dataclass(frozen=True)
class Stored:
    """What a finish wrote: the coder, the units it coded and the codings."""

    coder: str
    units: int
    codings: int


def store_finished(
    project: Project,
    pool: UnitPool,
    scores: Scores,
    decided: Iterable[int],
    reviewer: str,
    codebook: str,
) -> Stored:
    """Store `scores`' codes for every undecided unit no human coding overlaps as the
    reviewer's finish coder's codings, replacing an earlier finish of the reviewer in one
    transaction."""
    coder = finish_coder(reviewer, scores.version)
    human = project.codings(coder_prefix="human:", codebook=codebook)
    codings = finished_codings(pool, scores, decided, human, coder)
    written = project.replace_codings(finish_prefix(reviewer), codings, codebook=codebook)
    return Stored(coder, len({(c.transcript_id, c.unit_index) for c in codings}), written)


def finish_coder(reviewer: str, model_version: str) -> str:
    """`model:review-NAME@VERSION` for the reviewer `human:NAME`."""
    return f"{finish_prefix(reviewer)}{model_version.rsplit(':', 1)[-1]}"


def finish_prefix(reviewer: str) -> str:
    return f"model:review-{reviewer.removeprefix('human:')}@"


def finished_codings(
    pool: UnitPool,
    scores: Scores,
    decided: Iterable[int],
    human: Iterable[Coding],
    coder: str,
) -> list[Coding]:
    """A coding (with its probability) for each code the model gives each pool unit that is
    neither decided nor overlapped by a human coding."""
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for coding in human:
        spans[coding.transcript_id].append((coding.start, coding.end))
    skip = set(decided)
    codings = []
    for position, unit in enumerate(pool.units):
        if position in skip or any(
            start < unit.end and end > unit.start for start, end in spans[unit.transcript_id]
        ):
            continue
        for code_id, probability in scores.suggestion(position):
            codings.append(
                Coding(
                    unit.transcript_id,
                    unit.start,
                    unit.end,
                    code_id,
                    coder,
                    confidence=float(probability),
                    unit_index=unit.index,
                )
            )
    return codings
