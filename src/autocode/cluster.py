"""Candidate codes (open coding): HDBSCAN clusters of meaning units with labels, keywords,
exemplars and the theme each maps to.

How clustering is set up, and why (measured on the seed excerpts, n=129; PDPilot coded segments,
n=260; exam-proctoring answers, n=531; sentences of 19 ML-quality interviews, n=150 to 5,284; and
20,000 synthetic clustered vectors):

- Geometry: unit vectors are L2-normalised, reduced by PCA to `reduce_to` dimensions (5 by
  default, as BERTopic's UMAP) and normalised again, so euclidean distance ranks like cosine.
  PCA is an eigen-decomposition of the d x d covariance: exact, deterministic (signs fixed) and
  fast (0.1 s at 20,000 x 384; scikit-learn's full SVD took 25 s on the same busy machine).
  More dimensions gave HDBSCAN less density contrast on real interview sentences: at n=5,284,
  5 dims gave 18 codes and 53% outliers, 10 dims 13 codes and 65%; on the seed excerpts NMI
  was 0.36 at 5 dims and 0.29 at 10 (on corpora this small the two are close and swap with the
  sample: adding the 17 unthemed seed utterances made 10 dims slightly better).
- `min_cluster_size = max(3, round(0.35 * sqrt(n)))`: 3 at n=20, 4 at 129, 25 at 5,284, 49 at
  20,000. A code needs a few units even in a pilot study, and the number of codes should grow
  more slowly than the number of units.
- `min_samples = 1`: larger values make HDBSCAN more conservative, and small corpora then come
  out mostly as outliers (BERTopic users' most common complaint). Seed excerpts, min_samples
  1/2/3: 13%/19%/52% outliers, NMI 0.36/0.32/0.26; n=5,284: 53%/57%/66% outliers.
- `cluster_selection_method = "eom"` at every size, with `max_cluster_size` capped at 25% of the
  units (never below 5 x min_cluster_size). Uncapped, eom sometimes returned one cluster holding
  85-97% of interview sentences (at n=150 and 1,500, and at 8-10 dimensions); "leaf" avoids
  that but leaves more outliers at every size tried (seed excerpts 21% vs 13%, n=1,500 65% vs
  55%, n=5,284 75% vs 53%). The cap keeps eom's fewer outliers without the giant cluster.
  Both are settable in `ClusterConfig`.
- Nothing is random: the same vectors give the same codes, so no seed is needed.

Theme mapping: a code's probability for a theme is the mean of its units' probabilities from the
ThemeClassifier. That is on the scale of the per-unit thresholds the classifier chose, and it is
not over-confident the way the classifier applied to a centroid is (the centroid averages away
what is not shared). The classifier's own decision rule is applied to that mean, as to a unit:
the code maps to the most probable of the themes it gives. For a classifier that always gives
its top theme (`min_themes` >= 1, as the shipped one) that is the most probable theme; for one
with `min_themes` = 0 it is the most probable theme that reaches its threshold, and a code with
none is "no theme: possible new theme" (`runner_up` then names the nearest theme). Requiring the
threshold of a top-1 classifier instead (the earlier rule) left codes of the themes with high
thresholds unmapped and sent them to the low-threshold ones: on the seed utterances with
out-of-fold probabilities, 6 of 13 codes matched their majority human theme, against 9 of 13
now (benchmarks/results/theme_mapping.json).

A classifier trained on one study has seen nothing else, and its probabilities far from its
training data are extrapolation: the seed classifier gives sentences about cooking 0.60 for T2
(threshold 0.45) and a French-language code 0.48 for T3. Given `reference_vectors` (embeddings
of the hand-coded excerpts it was trained on), each unit's cosine similarity to its nearest
reference is computed, and a code whose median unit is below `novelty_similarity` (0.25) is a
possible new theme whatever the classifier says. The median ignores the odd in-domain unit that
joins an off-topic code (a centroid does not). Measured against the seed excerpts: cooking 0.20,
a French-language code 0.17; codes of other interviews about ML 0.26 and up (PDPilot 0.27 and
up), exam-proctoring answers 0.30 and up. It catches clearly foreign material, not every change
of subject.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from autocode.keywords import class_tfidf, keyword_label, terms, tokenize
from autocode.types import Unit

if TYPE_CHECKING:
    from autocode.classify import ThemeClassifier

NO_THEME = "no theme: possible new theme"
OUTLIER = -1


@dataclass(frozen=True)
class ClusterConfig:
    """How candidate codes are found (the defaults are justified in the module docstring).

    `min_cluster_size` None scales it to the corpus: max(3, round(size_factor * sqrt(n))).
    `max_cluster_share` caps eom clusters at that share of the units (never below 5 x
    min_cluster_size); None for no cap. `reduce_to` None clusters the full vectors (slow for
    large n). `assign_outliers` gives each outlier to the code with the most similar centroid
    when the cosine similarity (full vectors) reaches `assign_min_similarity`; 0.6 is about the
    lower quartile of members' similarity to their own centroid on the seed excerpts, where only
    5% of outliers came above 0.57. `novelty_similarity` applies only with reference vectors.
    `spacy_model` names an installed trained pipeline whose lemmas the keywords then use.
    """

    min_cluster_size: int | None = None  # None: max(3, round(size_factor * sqrt(n)))
    size_factor: float = 0.35
    min_samples: int = 1
    selection_method: Literal["eom", "leaf"] = "eom"
    max_cluster_share: float | None = 0.25  # eom only; None: no cap
    reduce_to: int | None = 5  # PCA dimensions; None: cluster the full vectors
    exemplars: int = 3
    keywords: int = 8
    label_keywords: int = 3
    assign_outliers: bool = False  # give outliers to the nearest code when similar enough
    assign_min_similarity: float = 0.6  # cosine to the code's centroid, full vectors
    novelty_similarity: float = 0.25  # median unit's nearest reference below this: no theme
    spacy_model: str | None = None  # a trained pipeline for lemmas; None: blank tokenizer

    def __post_init__(self) -> None:
        if self.selection_method not in ("eom", "leaf"):
            raise ValueError(f"selection_method must be 'eom' or 'leaf': {self.selection_method!r}")
        if self.min_cluster_size is not None and self.min_cluster_size < 2:
            raise ValueError("min_cluster_size must be at least 2")
        if self.reduce_to is not None and self.reduce_to < 1:
            raise ValueError("reduce_to must be at least 1 (or None)")


@dataclass(frozen=True)
class ClusteringParameters:
    """The HDBSCAN settings actually used for a corpus of `n_units`."""

    n_units: int
    min_cluster_size: int
    min_samples: int
    selection_method: str
    max_cluster_size: int  # 0: no cap
    dimensions: int | None


def scaled_parameters(
    n_units: int, config: ClusterConfig = ClusterConfig()
) -> ClusteringParameters:
    """HDBSCAN settings for `n_units` units (see the module docstring for the reasons)."""
    size = config.min_cluster_size or max(3, round(config.size_factor * math.sqrt(n_units)))
    samples = max(1, min(config.min_samples, size - 1))
    cap = 0
    if config.max_cluster_share is not None and config.selection_method == "eom":
        cap = max(math.ceil(config.max_cluster_share * n_units), 5 * size)
    dimensions = None
    if config.reduce_to is not None and n_units > 2:
        dimensions = min(config.reduce_to, n_units - 1)
    return ClusteringParameters(n_units, size, samples, config.selection_method, cap, dimensions)


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def reduce_dimensions(vectors: np.ndarray, dimensions: int) -> np.ndarray:
    """Project onto the top principal components (exact, sign-fixed), then L2-normalise."""
    data = np.asarray(vectors, dtype=np.float64)
    centred = data - data.mean(axis=0)
    dimensions = min(dimensions, data.shape[1])
    # A d x d problem is done in milliseconds on one thread; several BLAS threads on a busy
    # machine made it take seconds.
    with threadpool_limits(limits=1, user_api="blas"):
        _, eigenvectors = np.linalg.eigh(centred.T @ centred)
    components = eigenvectors[:, ::-1][:, :dimensions]
    strongest = np.abs(components).argmax(axis=0)
    components = components * np.sign(components[strongest, np.arange(dimensions)])
    return _normalise(centred @ components)


def cluster_vectors(vectors: np.ndarray, parameters: ClusteringParameters) -> np.ndarray:
    """HDBSCAN labels (-1 outlier) for normalised `vectors`; all outliers if too few units."""
    n = len(vectors)
    if n < max(parameters.min_cluster_size, 2) + 1:
        return np.full(n, OUTLIER, dtype=int)
    import hdbscan

    points = _normalise(vectors)
    if parameters.dimensions is not None:
        points = reduce_dimensions(points, parameters.dimensions)
    model = hdbscan.HDBSCAN(
        min_cluster_size=parameters.min_cluster_size,
        min_samples=parameters.min_samples,
        cluster_selection_method=parameters.selection_method,
        max_cluster_size=parameters.max_cluster_size,
        metric="euclidean",
        # Core distances in a few dimensions take well under a second; HDBSCAN's default of 4
        # worker processes spent ~9 s starting up at 20,000 units on two busy cores.
        core_dist_n_jobs=1,
    )
    return np.asarray(model.fit_predict(points), dtype=int)


@dataclass(frozen=True)
class CandidateCode:
    """One cluster of similar units: a code the researcher may adopt, rename or reject.

    `unit_indices` and `exemplars` index the units given to `find_candidate_codes`. `theme` is
    None when no theme is confident (`runner_up` is then the nearest theme); both theme fields
    are None when no classifier was given. `reference_similarity` is the median over the code's
    units of their cosine similarity to the nearest reference vector, when references were given.
    """

    id: str
    label: str
    keywords: tuple[str, ...]
    size: int
    transcripts: int
    participants: int  # distinct (transcript, speaker) pairs
    unit_indices: tuple[int, ...]
    exemplars: tuple[int, ...]  # most representative first: closest to the centroid
    exemplar_texts: tuple[str, ...]
    theme: str | None = None
    theme_probability: float | None = None
    runner_up: str | None = None
    runner_up_probability: float | None = None
    reference_similarity: float | None = None

    @property
    def theme_display(self) -> str:
        """The theme id, or "no theme: possible new theme" (empty without a classifier)."""
        if self.theme is not None:
            return self.theme
        return NO_THEME if self.runner_up is not None else ""


@dataclass
class CodeSet:
    """Candidate codes of a set of units.

    `labels[i]` is the position in `codes` of unit i's code, or -1 for an outlier. `outliers`
    lists the units in no code; `reassigned` the units HDBSCAN left out that
    `assign_outliers` then gave to the nearest code.
    """

    codes: list[CandidateCode]
    labels: np.ndarray
    outliers: list[int]
    parameters: ClusteringParameters
    reassigned: list[int] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per code, for codes.csv."""
        exemplar_count = max((len(code.exemplars) for code in self.codes), default=0)
        rows = []
        for code in self.codes:
            row: dict[str, object] = {
                "id": code.id,
                "label": code.label,
                "keywords": "; ".join(code.keywords),
                "size": code.size,
                "transcripts": code.transcripts,
                "participants": code.participants,
                "theme": code.theme_display,
                "theme_probability": code.theme_probability,
                "runner_up": code.runner_up,
                "runner_up_probability": code.runner_up_probability,
                "reference_similarity": code.reference_similarity,
            }
            for k in range(exemplar_count):
                texts = code.exemplar_texts
                row[f"exemplar_{k + 1}"] = texts[k] if k < len(texts) else ""
            rows.append(row)
        columns = [
            "id", "label", "keywords", "size", "transcripts", "participants", "theme",
            "theme_probability", "runner_up", "runner_up_probability", "reference_similarity",
            *(f"exemplar_{k + 1}" for k in range(exemplar_count)),
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=columns)


def _code_order(labels: np.ndarray) -> list[int]:
    """Cluster numbers by size (largest first), then by their first unit."""
    clusters = sorted(set(labels.tolist()) - {OUTLIER})
    first = {c: int(np.flatnonzero(labels == c)[0]) for c in clusters}
    return sorted(clusters, key=lambda c: (-int((labels == c).sum()), first[c]))


def _centroids(vectors: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    return _normalise(np.vstack([vectors[labels == j].mean(axis=0) for j in range(count)]))


def _assign_outliers(
    vectors: np.ndarray, labels: np.ndarray, count: int, min_similarity: float
) -> tuple[np.ndarray, list[int]]:
    outliers = np.flatnonzero(labels == OUTLIER)
    if count == 0 or not len(outliers):
        return labels, []
    similarity = vectors[outliers] @ _centroids(vectors, labels, count).T
    nearest = similarity.argmax(axis=1)
    close = similarity[np.arange(len(outliers)), nearest] >= min_similarity
    labels = labels.copy()
    labels[outliers[close]] = nearest[close]
    return labels, outliers[close].tolist()


def _nearest_similarity(vectors: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Each row's cosine similarity to its most similar reference, in bounded memory."""
    references = _normalise(references)
    step = max(1, 2**24 // max(1, len(references)))
    return np.concatenate(
        [(vectors[i : i + step] @ references.T).max(axis=1) for i in range(0, len(vectors), step)]
        or [np.zeros(0)]
    )


def _theme_mapping(
    classifier: ThemeClassifier, proba: pd.DataFrame, members: np.ndarray, novel: bool
) -> tuple[str | None, float | None, str | None, float | None]:
    """(theme, probability, runner-up, probability) of a code from its units' probabilities."""
    mean = proba.iloc[members].mean(axis=0)
    given = classifier.decide(mean.to_frame().T).iloc[0].to_numpy().astype(bool)
    order = sorted(range(len(mean)), key=lambda j: (-mean.iloc[j], j))
    confident = [] if novel else [j for j in order if given[j]]
    ids = list(mean.index)
    if confident:
        best = confident[0]
        others = [j for j in order if j != best]
        second = (ids[others[0]], float(mean.iloc[others[0]])) if others else (None, None)
        return ids[best], float(mean.iloc[best]), *second
    return None, None, ids[order[0]], float(mean.iloc[order[0]])


def find_candidate_codes(
    units: Sequence[Unit],
    vectors: np.ndarray,
    *,
    classifier: ThemeClassifier | None = None,
    reference_vectors: np.ndarray | None = None,
    config: ClusterConfig = ClusterConfig(),
) -> CodeSet:
    """Cluster `units` (rows of `vectors`) into candidate codes, largest first, ids C01, C02, ...

    `classifier` maps each code to a theme; `reference_vectors` (e.g. the embedded excerpts the
    classifier was trained on) flag codes unlike anything it has seen as possible new themes.
    Vectors must come from the classifier's embedder when either is given.
    """
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or len(matrix) != len(units):
        raise ValueError(f"need one vector row per unit: {len(units)} units, {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ValueError("vectors contain NaN or infinite values")
    matrix = _normalise(matrix)
    parameters = scaled_parameters(len(units), config)
    raw = cluster_vectors(matrix, parameters)
    renumber = {old: new for new, old in enumerate(_code_order(raw))}
    labels = np.array([renumber.get(int(c), OUTLIER) for c in raw], dtype=int)
    count = len(renumber)
    reassigned: list[int] = []
    if config.assign_outliers:
        labels, reassigned = _assign_outliers(matrix, labels, count, config.assign_min_similarity)

    tokens = tokenize([unit.text for unit in units], spacy_model=config.spacy_model)
    keywords = class_tfidf(
        [terms(words) for words in tokens], labels.tolist(), top=config.keywords, exclude=[OUTLIER]
    )
    proba = classifier.proba_from_vectors(matrix) if classifier is not None else None
    centroids = _centroids(matrix, labels, count) if count else np.zeros((0, matrix.shape[1]))
    nearest = None
    if reference_vectors is not None and len(reference_vectors):
        nearest = _nearest_similarity(matrix, np.asarray(reference_vectors, dtype=np.float32))
    width = max(2, len(str(count)))
    codes = []
    for j in range(count):
        members = np.flatnonzero(labels == j)
        closeness = matrix[members] @ centroids[j]
        exemplars = members[np.argsort(-closeness, kind="stable")[: config.exemplars]]
        words = tuple(term for term, _ in keywords.get(j, []))
        theme: tuple[str | None, float | None, str | None, float | None] = (None,) * 4
        similarity = None if nearest is None else float(np.median(nearest[members]))
        if classifier is not None and proba is not None:
            novel = similarity is not None and similarity < config.novelty_similarity
            theme = _theme_mapping(classifier, proba, members, novel)
        codes.append(
            CandidateCode(
                id=f"C{j + 1:0{width}d}",
                label=keyword_label(words, config.label_keywords) or units[exemplars[0]].text[:60],
                keywords=words,
                size=len(members),
                transcripts=len({units[i].transcript_id for i in members}),
                participants=len({(units[i].transcript_id, units[i].speaker) for i in members}),
                unit_indices=tuple(int(i) for i in members),
                exemplars=tuple(int(i) for i in exemplars),
                exemplar_texts=tuple(units[i].text for i in exemplars),
                theme=theme[0],
                theme_probability=theme[1],
                runner_up=theme[2],
                runner_up_probability=theme[3],
                reference_similarity=similarity,
            )
        )
    outliers = np.flatnonzero(labels == OUTLIER).tolist()
    return CodeSet(codes, labels, outliers, parameters, reassigned)
