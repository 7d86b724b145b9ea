"""Suggested codes for new transcripts: read -> segment -> embed -> cluster -> classify -> evidence.

`suggest(paths, model_dir)` runs the whole pipeline on files and folders; `suggest_codes` starts
from Transcripts already read. Both return `Suggestions`: every meaning unit with its theme
probabilities, the themes suggested by the classifier's thresholds, its candidate code, and the
nearest hand-coded excerpts of the corpus as evidence. `autocode.suggest.output` turns that into
units.csv, codes.csv, report.html and run.json. Nothing is written here.

Nothing in the pipeline is random (HDBSCAN, PCA and the embedder are deterministic), so the same
input and settings give the same output; the seed is recorded with the run all the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autocode.classify import (
    ModelExcerpt,
    ThemeClassifier,
    data_hash,
)
from autocode.cluster import ClusterConfig, CodeSet, find_candidate_codes
from autocode.embed import (
    Embedder,
    EmbeddingCache,
    current_backend,
    default_cache_path,
    model_identity,
)
from autocode.errors import AutocodeError, InputError
from autocode.io import read_many
from autocode.language import languages_of
from autocode.language.notices import backend_notice, lexicon_notices
from autocode.models import (
    DEFAULT_MODEL,
    excerpts_from_corpus,
    load_model,
    prefer_backend_for,
    resolve_corpus,
    resolve_model,
)
from autocode.models.batch_model import named_model
from autocode.models.evidence import EvidenceIndex, Excerpt
from autocode.segment import SegmentConfig, segment_many
from autocode.types import Code, Transcript, Unit
from autocode.versions import package_versions

# step(name, total) -> advance(n): how a caller shows progress (total None: unknown length).
StepProgress = Callable[[str, int | None], Callable[[int], None]]


class NothingToCode(AutocodeError):
    """No file could be read, or what was read holds no participant speech; `errors` are the
    files that could not be read."""

    def __init__(self, message: str, errors: Sequence[InputError] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


@dataclass(frozen=True)
class SuggestConfig:
    """Every setting of a suggest run; `to_dict()` is what run.json records."""

    segment: SegmentConfig = field(default_factory=SegmentConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    evidence: int = 1  # nearest hand-coded excerpts shown per unit
    seed: int = 0

    def __post_init__(self) -> None:
        if self.evidence < 1:
            raise ValueError("SuggestConfig.evidence must be at least 1")

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment.to_dict(),
            "cluster": asdict(self.cluster),
            "evidence_per_unit": self.evidence,
            "seed": self.seed,
        }


def most_probable_first(
    suggested: pd.DataFrame, probabilities: pd.DataFrame, position: int
) -> tuple[str, ...]:
    """The codes suggested for unit `position`, most probable first (ties keep their order)."""
    flags = suggested.iloc[position]
    row = probabilities.iloc[position]
    chosen = [code for code in suggested.columns if flags[code]]
    return tuple(sorted(chosen, key=lambda code: -row[code]))


@dataclass(frozen=True)
class OtherCodebook:
    """Another model's codes for the same units (the seed's stages beside its themes)."""

    model: str  # the model folder's name
    codebook: str
    codes: list[Code]
    probabilities: pd.DataFrame
    suggested: pd.DataFrame

    def suggested_codes(self, position: int) -> tuple[str, ...]:
        return most_probable_first(self.suggested, self.probabilities, position)


@dataclass
class Suggestions:
    """What `suggest` found. Rows of `probabilities` and `suggested`, `evidence` and
    `codes.labels` follow `units` (all transcripts' units, in transcript then text order)."""

    transcripts: list[Transcript]
    units: list[Unit]
    probabilities: pd.DataFrame  # one column per theme id
    suggested: pd.DataFrame  # 0/1, the classifier's per-theme thresholds applied
    codes: CodeSet
    evidence: list[list[Excerpt]]
    themes: list[Code]  # the classifier's themes, named from the corpus codebook
    settings: dict[str, Any]
    errors: list[InputError] = field(default_factory=list)
    other_codebooks: list[OtherCodebook] = field(default_factory=list)

    def suggested_themes(self, position: int) -> tuple[str, ...]:
        """Theme ids suggested for unit `position`, most probable first."""
        return most_probable_first(self.suggested, self.probabilities, position)

    def code_of(self, position: int) -> str | None:
        """The candidate code id of unit `position`, None for an outlier."""
        label = int(self.codes.labels[position])
        return None if label < 0 else self.codes.codes[label].id


def _no_progress(name: str, total: int | None) -> Callable[[int], None]:
    return lambda n: None


def load_model_and_excerpts(
    model: str | Path = DEFAULT_MODEL, corpus: str | Path | None = None
) -> tuple[ThemeClassifier, list[ModelExcerpt], list[str]]:
    """The classifier (by shipped name or folder), the hand-coded excerpts shown as evidence,
    and warnings.

    Without `corpus` the excerpts are the ones the model folder carries. Another corpus (by name
    or folder) still works as evidence but is warned about when the model was not trained on it.
    """
    classifier = load_model(model)
    if corpus is None:
        return classifier, list(classifier.excerpts_ or []), []
    from autocode.corpus import load_corpus

    folder = resolve_corpus(corpus)
    loaded = load_corpus(folder)
    warnings = []
    texts, labels, _ = loaded.theme_examples()
    if data_hash(texts, labels.reindex(columns=classifier.theme_ids_, fill_value=0)) != (
        classifier.training_.get("data_sha256")
    ):
        warnings.append(
            f"{corpus}: not the data the model was trained on; its excerpts are shown as "
            "evidence all the same"
        )
    return classifier, excerpts_from_corpus(loaded, classifier.theme_ids_), warnings


def suggest(
    paths: Iterable[str | Path],
    model_dir: str | Path = DEFAULT_MODEL,
    *,
    corpus_dir: str | Path | None = None,
    config: SuggestConfig | None = None,
    strict: bool = False,
    embedder: Embedder | None = None,
    use_cache: bool = True,
    progress: StepProgress | None = None,
    read_options: Mapping[str, Any] | None = None,
    other_models: Sequence[str | Path] = (),
) -> Suggestions:
    """Read files and folders and suggest codes and themes for their meaning units.

    `other_models` code the same units with other codebooks (`seed-stages`); each must use the
    main model's embedder.

    Files that cannot be read are collected in `Suggestions.errors` (with `strict`, the first
    one is raised). Raises NothingToCode when no file could be read. Without an `embedder`, one
    is made for the classifier's model, with the persistent on-disk cache if `use_cache`.
    `read_options` go to the readers that take them (survey `id_column`, `text_column`, `sheet`).
    """
    config = config or SuggestConfig()
    progress = progress or _no_progress
    model_folder = resolve_model(model_dir)  # a wrong name fails before any file is read
    other_folders = [resolve_model(spec) for spec in other_models]
    paths = [Path(p) for p in paths]
    tick = progress("reading", None)
    transcripts, errors = read_many(paths, strict=strict, **(read_options or {}))
    tick(len(transcripts) + len(errors))
    if not transcripts:
        what = f"none of the {len(errors)} file(s) could be read" if errors else "no files found"
        raise NothingToCode(f"{what} in {', '.join(map(str, paths)) or 'no input'}", errors)
    languages = languages_of(t.metadata for t in transcripts)
    notices = lexicon_notices(languages)
    if embedder is None and prefer_backend_for(model_folder, languages):
        notices.append(backend_notice(languages, current_backend()))
    classifier, excerpts, warnings = load_model_and_excerpts(model_folder, corpus_dir)
    others = [_other_model(folder, classifier) for folder in other_folders]
    if embedder is None:
        cache = EmbeddingCache(default_cache_path()) if use_cache else None
        embedder = Embedder(classifier.embedder, cache=cache)
    evidence = EvidenceIndex.from_excerpts(excerpts, embedder)
    result = suggest_codes(
        transcripts,
        classifier,
        evidence,
        embedder=embedder,
        config=config,
        progress=progress,
        themes=classifier.codebook_.codes,
        others=others,
    )
    result.errors = errors
    result.settings.update(
        {
            "inputs": [_input_record(t) for t in transcripts],
            "errors": [str(error) for error in errors],
            "model": {
                "path": str(model_dir),
                "fingerprint": named_model(classifier, model_folder).fingerprint(config.segment),
                **result.settings["model"],
            },
            "corpus": str(corpus_dir) if corpus_dir is not None else None,
            "other_models": [
                {"path": str(spec), "codebook": other.codebook}
                for spec, other in zip(other_models, result.other_codebooks, strict=True)
            ],
            "languages": languages,
            "warnings": warnings,
            "notices": notices,
        }
    )
    return result


def _other_model(folder: Path, main: ThemeClassifier) -> tuple[str, ThemeClassifier]:
    """(name, classifier) of another model; InputError unless it reads the main model's vectors."""
    classifier = load_model(folder)
    theirs, ours = classifier.card_["embedder"]["id"], main.card_["embedder"]["id"]
    if theirs != ours:
        raise InputError(
            folder,
            f"uses embedder {theirs}, not the main model's {ours}; suggest with models of one "
            "embedder",
        )
    return folder.name, classifier


def suggest_codes(
    transcripts: Sequence[Transcript],
    classifier: ThemeClassifier,
    evidence: EvidenceIndex,
    *,
    embedder: Embedder | None = None,
    config: SuggestConfig | None = None,
    progress: StepProgress | None = None,
    themes: Sequence[Code] | None = None,
    others: Sequence[tuple[str, ThemeClassifier]] = (),
) -> Suggestions:
    """Segment, embed, cluster, classify and find evidence for transcripts already read;
    `others`, (name, classifier) of models of other codebooks, code the same vectors.

    `evidence` must hold vectors of the classifier's embedder; its excerpts also tell the
    clustering which codes are unlike anything hand-coded (possible new themes).
    """
    config = config or SuggestConfig()
    progress = progress or _no_progress
    embedder = embedder or Embedder(classifier.embedder)
    expected = classifier.card_["embedder"]["id"]
    if expected is not None and embedder.model_id != expected:
        raise ValueError(f"embedder {embedder.model_id} is not the classifier's {expected}")
    same_model = model_identity(config.segment.embed_model) == embedder.model_id
    tick = progress("segmenting", len(transcripts))
    per_transcript = segment_many(
        transcripts, config.segment, embedder=embedder if same_model else None, progress=tick
    )
    units = [unit for units in per_transcript for unit in units]
    if not units:
        raise NothingToCode(
            f"no participant speech to code in the {len(transcripts)} transcript(s) read "
            "(check --participants and the speaker labels)"
        )
    vectors = _embed(embedder, [unit.text for unit in units], progress("embedding", len(units)))
    tick = progress("clustering", None)
    codes = find_candidate_codes(
        units,
        vectors,
        classifier=classifier,
        reference_vectors=evidence.vectors,
        config=config.cluster,
        embedder=embedder,
    )
    tick(1)
    tick = progress("classifying and finding evidence", len(units))
    probabilities, suggested = classifier.predict_from_vectors(vectors)
    other_codebooks = []
    for name, other in others:
        other_probabilities, other_suggested = other.predict_from_vectors(vectors)
        book = other.codebook_
        other_codebooks.append(
            OtherCodebook(name, book.name, list(book.codes), other_probabilities, other_suggested)
        )
    nearest = evidence.nearest(vectors, k=config.evidence)
    tick(len(units))
    card = classifier.card_
    settings: dict[str, Any] = {
        **config.to_dict(),
        "cluster_parameters": asdict(codes.parameters),
        "model": {
            "embedder": embedder.model_id,
            "theme_ids": list(classifier.theme_ids_),
            "thresholds": dict(
                zip(classifier.theme_ids_, map(float, classifier.thresholds_), strict=True)
            ),
            "training_data_sha256": classifier.training_.get("data_sha256"),
            "trained_with_autocode": card.get("autocode_version"),
        },
        "evidence_excerpts": len(evidence),
        "counts": {
            "transcripts": len(transcripts),
            "units": len(units),
            "codes": len(codes.codes),
            "outliers": len(codes.outliers),
            "small_talk": len(codes.small_talk),
            "assigned": len(codes.reassigned),
            "unassigned": len(codes.unassigned),
            "code_groups": len(codes.groups),
        },
        "versions": package_versions(),
    }
    return Suggestions(
        transcripts=list(transcripts),
        units=units,
        probabilities=probabilities,
        suggested=suggested,
        codes=codes,
        evidence=nearest,
        themes=list(themes) if themes is not None else [Code(t, t) for t in classifier.theme_ids_],
        settings=settings,
        other_codebooks=other_codebooks,
    )


def _embed(embedder: Embedder, texts: list[str], tick: Callable[[int], None]) -> np.ndarray:
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        tick(n)

    vectors = embedder.encode(texts, progress=advance)
    tick(len(texts) - done)  # texts found in the cache
    return vectors


def _input_record(transcript: Transcript) -> dict[str, Any]:
    source = transcript.metadata.get("source", "")
    record = {"path": str(source), "transcript": transcript.id}
    record["format"] = transcript.metadata.get("format", "")
    if source and Path(source).is_file():
        record["sha256"] = hashlib.sha256(Path(source).read_bytes()).hexdigest()
    return record
