"""Evaluating against a project's human coding (`autocode evaluate --project`): a saved model
applied to every unit, or methods cross-validated by participant, as one agreement document."""

from __future__ import annotations

from typing import Any

from autocode.embed import Embedder
from autocode.errors import InputError
from autocode.models import load_model, resolve_model
from autocode.project.agreement import (
    agreement_document,
    cross_validate_examples,
    predict_units,
    project_methods,
)
from autocode.project.selection import QUIET, ProjectSelection, Reporter
from autocode.project.training import fold_groups


def evaluate_project(
    selection: ProjectSelection,
    model: str | None,
    cross_validate: bool,
    folds: int,
    baselines: bool,
    resamples: int,
    seed: int,
    status: Reporter = QUIET,
) -> dict[str, Any]:
    """The agreement document of a saved model (`model`) or of cross-validated methods
    (`cross_validate`) with the selected human coding, per code at unit and character level."""
    if (model is None) == (not cross_validate):
        raise InputError(selection.project, "give either --model MODEL or --cross-validate")
    with selection.open() as (store, embedder):
        if model is not None:
            classifier = load_model(model)
            training = classifier.card_.get("training_data") or {}
            selection.defaults_from(training, store.codebooks())
            examples = selection.examples(store, embedder, status, classifier.theme_ids_)
            classifier.use_embedder(Embedder(classifier.embedder, cache=store))
            with status.status(f"coding {len(examples.units)} units"):
                predictions = [predict_units(classifier, examples, resolve_model(model).name)]
            return agreement_document(
                examples,
                predictions,
                protocol=f"model {model} applied to every unit, with its own thresholds",
                n_resamples=resamples,
                seed=seed,
                notes=_training_overlap(training, examples.text_hashes),
                extra={"model": str(model)},
            )
        examples = selection.examples(store, embedder, status)
        n_groups = len(set(fold_groups(examples.groups)))
        scheme = (
            "leave-one-group-out"
            if n_groups <= max(folds, 20)
            else f"grouped {folds}-fold cross-validation"
        )
        predictions = []
        for method in project_methods(examples, embedder, baselines=baselines):
            with status.status(f"cross-validating {method.name} ({scheme})"):
                predictions.append(cross_validate_examples(examples, method, folds))
        return agreement_document(
            examples,
            predictions,
            protocol=f"{scheme} over {n_groups} groups; every model and threshold fitted on the "
            "training folds only",
            n_resamples=resamples,
            seed=seed,
        )


def _training_overlap(training: dict[str, Any], evaluated: dict[str, str]) -> list[str]:
    trained_on = training.get("transcripts") or {}
    shared = [tid for tid, digest in evaluated.items() if trained_on.get(tid) == digest]
    if not shared:
        return []
    return [
        f"{len(shared)} of the {len(evaluated)} transcripts were used to train the model: "
        "agreement on them measures fit, not how well it codes new transcripts "
        "(see --cross-validate)."
    ]
