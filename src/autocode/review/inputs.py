"""Checks before a review starts: the project, its codebook, the model and the reviewer.

Everything here only reads: the project is inspected through the store's read-only summary
(`autocode.store.summary`), so a bad command line leaves the project byte-identical.
Each problem is one InputError naming the folder or model and what to do.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from autocode.agreement.units import codebook_named
from autocode.errors import InputError
from autocode.models import DEFAULT_MODEL
from autocode.models.batch_model import BatchModel, load_batch_model
from autocode.review.ordering import STRATEGIES
from autocode.store.summary import ProjectSummary, project_summary

_REVIEWER_NAME = re.compile(r"[^\W_][\w .@'-]{0,63}", re.UNICODE)


@dataclass(frozen=True)
class ReviewSetup:
    """A checked command line: what the session opens."""

    project_dir: Path
    model: BatchModel
    codebook: str
    reviewer: str  # human:NAME
    order: str


def check_review(
    project_dir: str | Path,
    *,
    model: str | Path | None = None,
    codebook: str | None = None,
    reviewer: str | None = None,
    order: str = "corpus",
) -> ReviewSetup:
    """The checked setup, or InputError for the first problem found."""
    folder = Path(project_dir)
    facts = project_summary(folder)
    if order not in STRATEGIES:
        raise InputError(folder, f"unknown review order {order!r}; use one of {list(STRATEGIES)}")
    name = reviewer_name(reviewer)
    if codebook is not None:
        codebook = codebook_named(sorted(facts.codebooks), codebook) or codebook
    loaded = load_batch_model(model) if model is not None else _default_model(facts, codebook)
    chosen = _choose_codebook(folder, facts, codebook, loaded)
    return ReviewSetup(folder, loaded, chosen, f"human:{name}", order)


def _default_model(facts: ProjectSummary, codebook: str | None) -> BatchModel:
    """A model that coded the project and still loads: one of `codebook` when it is named, the
    shipped theme classifier when it coded the project beside other models (`make demo` codes
    with themes and stages), else the latest; without any, the shipped one. Models are loaded
    only until one is chosen."""
    specs = list(facts.coded_models)
    if codebook is None:
        specs.sort(key=lambda spec: spec != DEFAULT_MODEL)  # stable: the rest stay latest first
    fallback = None
    for model in _loadable(specs):
        if codebook is None or model.codebook.name == codebook:
            return model
        fallback = fallback or model
    return fallback or load_batch_model(DEFAULT_MODEL)


def _loadable(specs: list[str]) -> Iterator[BatchModel]:
    for spec in specs:
        try:
            yield load_batch_model(spec)
        except InputError:
            continue


def reviewer_name(reviewer: str | None) -> str:
    """NAME of `human:NAME` (the OS user by default); InputError for an unusable name."""
    name = reviewer if reviewer is not None else getpass.getuser()
    name = name.removeprefix("human:").strip()
    if not _REVIEWER_NAME.fullmatch(name):
        raise InputError(
            "--reviewer",
            f"{name!r} is not a usable reviewer name (letters, digits, space . @ ' -, "
            "up to 64 characters)",
        )
    return name


def _choose_codebook(
    folder: Path, facts: ProjectSummary, requested: str | None, model: BatchModel
) -> str:
    if not facts.transcripts:
        raise InputError(
            folder,
            f"holds no transcripts; code some first: autocode code TRANSCRIPTS --project {folder}",
        )
    if not facts.units:
        raise InputError(
            folder,
            "holds transcripts but no meaning units to review; segment and code them first: "
            f"autocode code TRANSCRIPTS --project {folder}",
        )
    if not facts.codebooks:
        raise InputError(
            folder, "holds no codebook; import one (autocode import) or code with a model"
        )
    names = sorted(facts.codebooks)
    if requested is not None:
        if requested not in facts.codebooks:  # check_review resolved a part of a name
            raise InputError(folder, f"has no codebook {requested!r} (it holds {names})")
        chosen = requested
    elif model.codebook.name in facts.codebooks:
        chosen = model.codebook.name
    elif len(names) == 1:
        chosen = names[0]
    else:
        raise InputError(folder, f"holds codebooks {names}: name one with --codebook")
    missing = [code for code in model.theme_ids if code not in facts.codebooks[chosen]]
    if missing:
        raise InputError(
            model.name,
            f"was trained on codebook {model.codebook.name!r}, whose codes {missing} are not in "
            f"the project's codebook {chosen!r}; review with the model that coded this "
            "project (--model) or name its codebook (--codebook)",
        )
    return chosen
