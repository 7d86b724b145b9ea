"""Where a project's review stands, without the browser: the finished corpus's estimated
agreement with the reviewer (`autocode status`), and finishing it from the command line.

The estimate is the one the review panel shows: the corpus model is retrained on the model's
hand-coded excerpts and the reviewer's decisions in force (audit cards marked), exactly as the
session's background retraining does. Reading never writes to the project; `finish` writes the
model's codes for the undecided units as the review's Finish button does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autocode.embed import Embedder
from autocode.errors import InputError
from autocode.reliability.estimate import DEFAULT_TARGET, check_target
from autocode.review.finish import store_finished
from autocode.review.inputs import check_review
from autocode.review.pool import UnitPool
from autocode.review.progress import corpus_panel
from autocode.review.state import ReviewState
from autocode.review.training import excerpt_labels, job_from_state, train
from autocode.store import Project
from autocode.store.summary import project_summary


@dataclass(frozen=True)
class ReviewStatus:
    """The corpus panel of one reviewer's review of one codebook."""

    project: Path
    reviewer: str
    codebook: str
    units: int
    decided: int
    corpus: dict[str, Any]
    finished: dict[str, Any] | None = None

    @property
    def line(self) -> str:
        return str(self.corpus["line"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": str(self.project),
            "reviewer": self.reviewer,
            "codebook": self.codebook,
            "units": self.units,
            "decided": self.decided,
            "corpus": self.corpus,
            "finished": self.finished,
        }


class _ReadThrough:
    """The project's vector cache, read but never written (status only reads the project)."""

    def __init__(self, project: Project) -> None:
        self._project = project

    def get_embeddings(self, model_id: str, text_hashes: Sequence[str]) -> Any:
        return self._project.get_embeddings(model_id, text_hashes)

    def put_embeddings(self, model_id: str, text_hashes: Sequence[str], matrix: Any) -> None:
        return None


def review_status(
    project_dir: str | Path,
    *,
    reviewer: str | None = None,
    codebook: str | None = None,
    model: str | Path | None = None,
    target: float = DEFAULT_TARGET,
    finish: bool = False,
    seed: int = 0,
) -> ReviewStatus:
    """The corpus estimate of a project's review; with `finish`, also store the model's codes
    for the units the reviewer did not decide (InputError when there is no review yet)."""
    check_target(target)
    folder = Path(project_dir)
    chosen = _reviewer(folder, reviewer)
    setup = check_review(folder, model=model, codebook=codebook, reviewer=chosen)
    with Project.open(folder, writer=finish) as project:
        classifier = setup.model.classifier
        embedder = Embedder(classifier.embedder, cache=_ReadThrough(project))
        pool = UnitPool.load(project, embedder)
        state = ReviewState(pool, project.decisions_in_force(setup.reviewer, setup.codebook))
        code_ids = list(project.codebook(setup.codebook).ids)
        names = {code.id: code.name for code in project.codebook(setup.codebook).codes}
        if not state.labels:
            if finish:
                raise InputError(folder, f"{setup.reviewer} has no decisions to finish from yet")
            panel = corpus_panel(None, names, 0, len(pool))
            panel["line"] = (
                f"no review yet: {setup.reviewer} has decided none of the {len(pool):,} units "
                f"of codebook {setup.codebook!r}; start one with `autocode review --project "
                f"{folder}`"
            )
            return ReviewStatus(folder, setup.reviewer, setup.codebook, len(pool), 0, panel)
        excerpts = list(classifier.excerpts_ or [])
        base = (
            embedder.encode([e.text for e in excerpts])
            if excerpts
            else np.zeros((0, pool.vectors.shape[1]))
        )
        name = setup.reviewer.removeprefix("human:")
        job = job_from_state(
            state,
            pool,
            code_ids,
            base,
            excerpt_labels(excerpts, code_ids),
            number=0,
            version=f"review:{name}:status",
            strategy="corpus",
            seed=seed,
            target=target,
        )
        result = train(job, pool.vectors)
        panel = corpus_panel(result.estimate, names, len(state.labels), len(pool))
        finished = None
        if finish and result.scores is not None:
            stored = store_finished(
                project, pool, result.scores, state.labels, setup.reviewer, setup.codebook
            )
            finished = {"coder": stored.coder, "codings": stored.codings}
        return ReviewStatus(
            folder, setup.reviewer, setup.codebook, len(pool), len(state.labels), panel, finished
        )


def _reviewer(folder: Path, reviewer: str | None) -> str | None:
    """The given reviewer, else the one reviewer with decisions in the project."""
    if reviewer is not None:
        return reviewer
    project_summary(folder)  # a readable project, or one line saying why not
    with Project.open(folder) as project:
        names = sorted({d.reviewer for d in project.decisions() if d.action != "undo"})
    if len(names) > 1:
        listed = ", ".join(n.removeprefix("human:") for n in names)
        raise InputError(folder, f"several reviewers ({listed}): name one with --reviewer")
    return names[0].removeprefix("human:") if names else None
