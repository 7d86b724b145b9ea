"""Saturation from transcripts, as `autocode saturation PATH...` runs it: the codes of each
interview (candidate codes clustered over every unit, or the classifier's themes), what the
JSON records about the inputs, the baseline files a clustered run saves, and the parts of the
HTML report; and the check of one new interview against such a baseline."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autocode.cluster import ClusterConfig
from autocode.embed import Embedder, EmbeddingCache, default_cache_path
from autocode.io import read
from autocode.models import load_model
from autocode.saturation.baseline import (
    CODES_FILE,
    VECTORS_FILE,
    NewInterviewReport,
    baseline_files,
    check_against_baseline,
    load_baseline,
    npz_bytes,
)
from autocode.saturation.codes import InterviewCodes, SaturationInputError
from autocode.saturation.guest import check_guest_parameters
from autocode.saturation.outputs import cluster_report_parts, json_bytes, theme_report_parts
from autocode.saturation.pipeline import (
    cluster_interview_codes,
    embed_interviews,
    read_interviews,
    theme_interview_codes,
)

CODE_SOURCES = ("clusters", "themes")
Step = Callable[[str], AbstractContextManager[Any]]  # shows a long step (a spinner), or nothing


def _no_step(_: str) -> AbstractContextManager[Any]:
    return nullcontext()


def cached_embedder(model: str | None, cache: Path | None, no_cache: bool) -> Embedder:
    """An Embedder of `model` with the user's vector cache (or `cache`, or none)."""
    store = None if no_cache else EmbeddingCache(cache or default_cache_path())
    return Embedder(model, cache=store)


@dataclass
class TranscriptCodes:
    """What a transcripts run of `autocode saturation` computed, before anything is written."""

    data: InterviewCodes
    inputs: dict[str, Any]  # what saturation.json records about the inputs
    files: dict[str, bytes]  # the baseline files of a clustered run
    report_parts: dict[str, Any]  # what saturation.html shows of the coded transcripts


def transcript_codes(
    paths: list[Path],
    codes: str,
    model: str | Path,
    embed_model: str | None,
    settings: dict[str, Any],
    order: list[str] | None,
    *,
    cache: Path | None = None,
    no_cache: bool = False,
    step: Step = _no_step,
    notify: Callable[[str], None] = lambda line: None,
) -> TranscriptCodes:
    """Read the transcripts in order, segment and embed them, and code every interview."""
    if codes not in CODE_SOURCES:
        raise SaturationInputError(f"--codes must be one of {', '.join(CODE_SOURCES)}")
    transcripts = read_interviews(paths, order_by=settings["order_by"], order=order)
    check_guest_parameters(
        len(transcripts),
        settings["base_size"],
        settings["run_length"],
        settings["threshold"],
        settings["run_step"],
    )
    classifier = None
    if codes == "themes":
        classifier = load_model(model)
        embed_model = classifier.embedder
    embedder = cached_embedder(embed_model, cache, no_cache)
    with step(f"segmenting and embedding {len(transcripts)} transcripts"):
        embedded = embed_interviews(transcripts, embedder)
    inputs: dict[str, Any] = {
        "mode": "transcripts",
        "paths": [str(p) for p in paths],
        "codes": codes,
        "embedder": embedded.model_id,
        "segment_config": embedded.segment_config.to_dict(),
        "interviews": [
            {"id": t.id, "source": t.metadata.get("source"), "units": len(u)}
            for t, u in zip(embedded.transcripts, embedded.units, strict=True)
        ],
        "interviews_without_units": embedded.without_units,
    }
    for interview in embedded.without_units:
        notify(f"note: {interview} has no participant meaning unit; it contributes no codes")
    if classifier is not None:
        data = theme_interview_codes(embedded, classifier.use_embedder(embedder))
        inputs["model"] = {"path": str(model), "themes": list(classifier.theme_ids_)}
        return TranscriptCodes(data, inputs, {}, theme_report_parts(embedded, classifier))
    config = ClusterConfig(min_cluster_size=settings["min_cluster_size"])
    with step(f"clustering {len(embedded.all_units)} units"):
        data, code_set = cluster_interview_codes(embedded, config)
    arrays, document = baseline_files(embedded, code_set, embed_model)
    inputs["cluster_parameters"] = asdict(code_set.parameters)
    inputs["candidate_codes"] = document["codes"]
    inputs["outlier_units"] = len(code_set.outliers)
    files = {VECTORS_FILE: npz_bytes(arrays), CODES_FILE: json_bytes(document)}
    return TranscriptCodes(data, inputs, files, cluster_report_parts(embedded, code_set))


def check_new_interview(
    baseline_dir: Path,
    path: Path,
    *,
    quantile: float,
    threshold: float,
    cache: Path | None = None,
    no_cache: bool = False,
    step: Step = _no_step,
) -> tuple[NewInterviewReport, dict[str, bytes]]:
    """Does the interview at `path` add anything to the baseline in `baseline_dir`? The report
    and the file (new-interview.json) that records it."""
    if not 0 < quantile <= 1:
        raise SaturationInputError(f"--quantile must be in (0, 1], got {quantile}")
    if not 0 <= threshold <= 1:
        raise SaturationInputError(f"--threshold must be between 0 and 1, got {threshold}")
    loaded = load_baseline(baseline_dir)
    transcript = read(path)
    embedder = cached_embedder(loaded.embed_model, cache, no_cache)
    with step(f"checking {transcript.id} against {baseline_dir}"):
        report = check_against_baseline(
            loaded, transcript, embedder, quantile=quantile, threshold=threshold
        )
    document = {**report.to_dict(), "baseline": str(baseline_dir), "new_interview": str(path)}
    return report, {"new-interview.json": json_bytes(document)}
