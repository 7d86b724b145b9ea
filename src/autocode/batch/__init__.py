"""Batch coding: apply a saved theme classifier to many transcripts, resumably, into a project.

    result = code_transcripts(["interviews/"], "models/seed-themes", "study")

What a run does:
1. Reads every file (`autocode.io.read_many`); unreadable files are collected in
   `result.errors` (with `strict=True` the first one is raised before anything is written).
2. Opens (or creates) the project with its writer lock, adds the model's codebook and records
   the run (command, configuration, package versions, model).
3. Skips transcripts already coded under the model's fingerprint (see autocode.models.batch_model)
   with the same text; a changed file is coded again.
4. Streams the rest: transcripts are segmented one at a time and gathered until a batch holds
   `batch_units` units; the batch's unit texts are embedded in one call (through the project's
   embedding cache), classified, and each transcript is committed with its units and codings in
   one transaction. Only one batch of vectors is ever in memory.
5. Writes the exports (autocode.batch.export) and marks the run done.

With `cluster` (`local`, `local:N`, `tcp://HOST:PORT`), step 4 runs on Dask workers instead
(autocode.batch.distributed): same units, vectors and codings, committed in the same order.

A run killed at any point (kill -9 included) leaves whole transcripts only; the next run marks it
interrupted, skips what was committed and codes the rest, ending with the codings an
uninterrupted run gives. Embeddings computed before the kill are reused from the cache.

Codings: every unit gets one coding per theme the classifier marks present
(`ThemeClassifier.predict_from_vectors`: each theme's threshold, at least `min_themes` themes,
and none for a unit its novelty gate finds off-topic), with the theme's probability as the
confidence. Probabilities of themes not marked present are not stored as codings; they are in
the coded-units export.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from autocode.batch.export import ReportInputs, export_coded_units
from autocode.batch.local import LocalCoder
from autocode.batch.results import BatchProgress, BatchResult
from autocode.embed import Embedder, vector_space
from autocode.errors import InputError, Terminated
from autocode.io import read_many
from autocode.language import languages_of
from autocode.models import prefer_backend_for
from autocode.models.batch_model import BatchModel, load_batch_model
from autocode.segment import DEFAULT_SEGMENT_CONFIG, SegmentConfig
from autocode.store import Project, sha256_text
from autocode.store.schema import DATABASE_NAME
from autocode.types import Codebook, Transcript
from autocode.versions import package_versions

__all__ = [
    "DEFAULT_BATCH_UNITS",
    "DEFAULT_SEGMENT_CONFIG",
    "BatchProgress",
    "BatchResult",
    "LocalCoder",
    "code_transcripts",
    "ensure_codebook",
    "refuse_other_vectors",
]

COMMAND = "code"
DEFAULT_BATCH_UNITS = 1024
# Batch coding merges sentences into units by length only. Coherence merging embeds the
# sentences of every multi-sentence turn before the units (1.7 texts embedded per unit on the
# benchmark interviews), and the pipeline then runs at about 0.55 of the raw encode speed instead
# of 0.9 (medians of 3 rounds, benchmarks/results/batch.json). The price: shorter units (median
# 94 characters instead of 110; 1.3 times as many), each coded on its own. `--coherence` opts in.


def code_transcripts(
    paths: Sequence[str | Path],
    model_dir: str | Path,
    project_dir: str | Path,
    *,
    out_dir: str | Path | None = None,
    segment_config: SegmentConfig = DEFAULT_SEGMENT_CONFIG,
    batch_units: int = DEFAULT_BATCH_UNITS,
    strict: bool = False,
    wait: float = 0.0,
    device: str | None = None,
    report: bool = True,
    progress: BatchProgress | None = None,
    model: BatchModel | None = None,
    read_options: Mapping[str, Any] | None = None,
    backend: str | None = None,
    cluster: str | None = None,
) -> BatchResult:
    """Code every transcript in `paths` (files or folders) with the model saved in `model_dir`.

    Results go into the project at `project_dir` (created if missing) and, as files, into
    `out_dir` (default `<project_dir>/exports`). `wait` is how long to wait for another process
    holding the project's writer lock; without it a second run fails at once with the store's
    message. `report=False` leaves out the HTML report. Pass an already loaded `model` (from
    `load_batch_model(model_dir)`) to skip loading it. `read_options` go to the readers that
    take them (survey `id_column`, `text_column`, `sheet`). `backend` is the embedding backend
    (None: the process's choice, see autocode.embed); `cluster` runs the coding on Dask.
    A backend that is not built, a cluster that cannot be reached, or a project holding codings
    made with other vectors raises InputError before the project is touched.
    """
    if batch_units < 1:
        raise ValueError("batch_units must be at least 1")
    transcripts, errors = read_many(paths, strict=strict, **(read_options or {}))
    if model is None and backend is None:
        prefer_backend_for(model_dir, languages_of(t.metadata for t in transcripts))
    model = model or load_batch_model(model_dir)
    fingerprint = model.fingerprint(segment_config)
    embedder = Embedder(model.classifier.embedder, device=device, backend=backend)
    embedder_id = embedder.cache_id  # raises here when the backend's files are missing
    project_dir = Path(project_dir)
    out = Path(out_dir) if out_dir is not None else project_dir / "exports"
    if out.exists() and not out.is_dir():
        raise InputError(out, "is a file; the exports need a folder")
    config = {
        "paths": [str(path) for path in paths],
        "model_dir": str(model_dir),
        "fingerprint": fingerprint,
        "segment": segment_config.to_dict(),
        "batch_units": batch_units,
        "strict": strict,
        "out_dir": str(out),
        "backend": embedder.backend,
        "embedder_cache_id": embedder_id,
        "cluster": cluster,
    }
    if (project_dir / DATABASE_NAME).is_file():
        with Project.open(project_dir) as existing:  # reading writes nothing
            refuse_other_vectors(existing, model)
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(_cluster_client(cluster)) if cluster else None
        project = stack.enter_context(Project.open_or_create(project_dir, writer=True, wait=wait))
        codebook = ensure_codebook(project, model.codebook)
        run_id = project.start_run(COMMAND, config, package_versions(), model=model.coder)
        result = BatchResult(run_id, model.coder, fingerprint, codebook, len(transcripts))
        result.errors = list(errors)
        began = time.perf_counter()
        try:
            coder = LocalCoder(
                project, model, fingerprint, run_id, codebook, segment_config, device, embedder
            )
            if client is not None:
                from autocode.batch.distributed import dask_coder

                runner = dask_coder(coder, client, project_dir, embedder.backend)
                runner.code(transcripts, result, batch_units, strict, progress)
            else:
                coder.code(transcripts, result, batch_units, strict, progress)
            result.seconds = time.perf_counter() - began
            done = project.coded_hashes(fingerprint)
            exported = [t for t in transcripts if done.get(t.id) == sha256_text(t.text)]
            inputs = _report_inputs(model, exported, config, result) if report else None
            result.exports, result.report_skipped = export_coded_units(
                project, exported, model, out, coder.new_embedder, batch_units, inputs
            )
        except KeyboardInterrupt as interrupt:
            terminated = isinstance(interrupt, Terminated)
            reason = "terminated (SIGTERM)" if terminated else "interrupted by the user"
            project.finish_run(run_id, "interrupted", reason)
            raise
        except BaseException as error:
            project.finish_run(run_id, "failed", f"{type(error).__name__}: {error}")
            raise
        project.finish_run(run_id, "done")
    return result


def _report_inputs(
    model: BatchModel,
    transcripts: Sequence[Transcript],
    config: dict[str, Any],
    result: BatchResult,
) -> ReportInputs:
    return ReportInputs(
        title="autocode: batch coding",
        subtitle=(
            f"{len(transcripts)} transcript(s) coded by {model.coder}. Model coding: check it "
            "against your own before relying on it."
        ),
        settings={"model": model.coder, **config},
        problems=[str(error) for error in result.errors],
    )


def _cluster_client(cluster: str) -> contextlib.AbstractContextManager[Any]:
    from autocode.batch.distributed import ClusterSpec, open_client

    return open_client(ClusterSpec.parse(cluster))


def refuse_other_vectors(project: Project, model: BatchModel) -> None:
    """InputError when the project holds model codings made with vectors of another embedder
    (another backend's): one project's codings stay comparable."""
    ours = vector_space(model.embedder_id)
    for run in project.runs():
        fingerprint = str(run.config.get("fingerprint") or "")
        theirs = fingerprint.rsplit("/", 2)[0] if fingerprint.count("/") >= 2 else ""
        if run.command == COMMAND and theirs and vector_space(theirs) != ours:
            raise InputError(
                project.path,
                f"holds codings made with embedder {theirs} (run {run.id}); this model embeds "
                f"with {model.embedder_id}: code into another --project",
            )


def ensure_codebook(project: Project, codebook: Codebook) -> str:
    """Store the model's codebook, or add its missing codes to a stored one of that name.

    Codes already stored keep their names and definitions (a researcher may have edited them).
    """
    if codebook.name not in project.codebooks():
        project.add_codebook(codebook)
        return codebook.name
    stored = project.codebook(codebook.name)
    missing = [code for code in codebook.codes if code.id not in stored.ids]
    if missing:
        project.add_codebook(Codebook(codebook.name, stored.codes + missing), replace=True)
    return codebook.name
