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

After HDBSCAN (each step has a module of its own in this package, with its measurements):
- small talk and interview logistics are recognised first and kept out of clustering
  (`codes/small_talk.py`);
- outliers join the nearest code when at least as close as most of the codes' own members are
  (`codes/outliers.py`); the rest stay unassigned;
- each code gets a phrase label chosen by embedding similarity and MMR from its own units'
  n-grams, beside its c-TF-IDF keywords (`codes/labels.py`);
- related codes are grouped under parent codes (`codes/hierarchy.py`);
- each code maps to a theme of the classifier, or is a possible new theme (`codes/themes.py`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from autocode.cluster.code_set import NO_THEME, CandidateCode, CodeGroup, CodeSet
from autocode.cluster.hierarchy import group_codes
from autocode.cluster.keywords import class_tfidf, keyword_label, terms, tokenize
from autocode.cluster.labels import TextEncoder, candidate_phrases, phrase_labels
from autocode.cluster.outliers import OUTLIER, reduce_outliers
from autocode.cluster.small_talk import (
    SmallTalkRule,
    is_small_talk_phrase,
    prototypes_for,
    small_talk_reasons,
)
from autocode.cluster.themes import ThemeMapping, nearest_similarity, theme_mapping
from autocode.numeric import unit_rows
from autocode.types import Unit

if TYPE_CHECKING:
    from autocode.classify import ThemeClassifier

__all__ = [
    "NO_THEME", "OUTLIER", "CandidateCode", "ClusterConfig", "ClusteringParameters", "CodeGroup",
    "CodeSet", "find_candidate_codes", "scaled_parameters",
]  # fmt: skip


@dataclass(frozen=True)
class ClusterConfig:
    """How candidate codes are found (the defaults are justified in the module docstring).

    `min_cluster_size` None scales it to the corpus: max(3, round(size_factor * sqrt(n))).
    `max_cluster_share` caps eom clusters at that share of the units (never below 5 x
    min_cluster_size); None for no cap. `reduce_to` None clusters the full vectors (slow for
    large n). `small_talk` keeps small talk and interview logistics out of the codes
    (autocode.cluster.small_talk; the prototype rule needs an embedder). `assign_outliers` gives
    each outlier to the code with the most similar centroid when the cosine similarity (full
    vectors) reaches `assign_min_similarity`, or when that is None the `assign_quantile` of the
    core members' similarity to their own centroid (autocode.cluster.outliers). Labels: up to
    `label_phrases` phrases by MMR (`label_diversity`) from `label_candidates` candidates per
    code (autocode.cluster.labels). `hierarchy` groups the codes, about `codes_per_group` to a
    parent. `novelty_similarity` applies only with reference vectors. `spacy_model` names an
    installed trained pipeline whose lemmas the keywords then use.
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
    small_talk: bool = True  # keep small talk and interview logistics out of the codes
    small_talk_rule: SmallTalkRule = field(default_factory=SmallTalkRule)
    assign_outliers: bool = True  # give outliers to the nearest code when similar enough
    assign_min_similarity: float | None = None  # None: from the core members (assign_quantile)
    assign_quantile: float = 0.1
    label_candidates: int = 30  # phrases embedded per code
    label_phrases: int = 3
    label_diversity: float = 0.3
    hierarchy: bool = True
    codes_per_group: float = 5.0
    novelty_similarity: float = 0.25  # median unit's nearest reference below this: no theme
    spacy_model: str | None = None  # a trained pipeline for lemmas; None: blank tokenizer

    def __post_init__(self) -> None:
        if self.selection_method not in ("eom", "leaf"):
            raise ValueError(f"selection_method must be 'eom' or 'leaf': {self.selection_method!r}")
        if self.min_cluster_size is not None and self.min_cluster_size < 2:
            raise ValueError("min_cluster_size must be at least 2")
        if self.reduce_to is not None and self.reduce_to < 1:
            raise ValueError("reduce_to must be at least 1 (or None)")
        if not 0 <= self.assign_quantile <= 1:
            raise ValueError("assign_quantile must be between 0 and 1")


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


_normalise = unit_rows


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


def _code_order(labels: np.ndarray) -> list[int]:
    """Cluster numbers by size (largest first), then by their first unit."""
    clusters = sorted(set(labels.tolist()) - {OUTLIER})
    first = {c: int(np.flatnonzero(labels == c)[0]) for c in clusters}
    return sorted(clusters, key=lambda c: (-int((labels == c).sum()), first[c]))


def _centroids(vectors: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    if not count:
        return np.zeros((0, vectors.shape[1]), dtype=vectors.dtype)
    return _normalise(np.vstack([vectors[labels == j].mean(axis=0) for j in range(count)]))


def _small_talk(
    texts: list[str],
    tokens: list[list[str | None]],
    vectors: np.ndarray,
    embedder: TextEncoder | None,
    config: ClusterConfig,
    languages: list[str | None],
    reference: np.ndarray | None,
) -> list[str]:
    if not config.small_talk:
        return [""] * len(texts)
    similarity = None
    rule = config.small_talk_rule
    if embedder is not None:
        similarity = np.zeros(len(texts), dtype=np.float32)
        thresholds = np.zeros(len(texts), dtype=np.float32)
        for language in dict.fromkeys(languages):
            rows = [k for k, code in enumerate(languages) if code == language]
            prototypes = np.asarray(
                embedder.encode(list(prototypes_for(language))), dtype=np.float32
            )
            thresholds[rows] = prototype_threshold(prototypes, reference, rule)
            similarity[rows] = nearest_similarity(vectors[rows], prototypes)
        return small_talk_reasons(texts, tokens, similarity, rule, languages, thresholds)
    return small_talk_reasons(texts, tokens, similarity, rule, languages)


def prototype_threshold(
    prototypes: np.ndarray, reference: np.ndarray | None, rule: SmallTalkRule
) -> float:
    """The least similarity to a prototype that makes small talk: the rule's, raised to just
    above the most similar hand-coded excerpt (none of which is small talk) when there are
    reference excerpts. Embedders differ in scale: the seed excerpts reach 0.44 with MiniLM
    (the rule's 0.45 stays) and 0.89 with multilingual-e5, whose vectors all lie close."""
    if reference is None or not len(reference):
        return rule.prototype_similarity
    highest = float(nearest_similarity(np.asarray(reference, dtype=np.float32), prototypes).max())
    return max(rule.prototype_similarity, math.ceil((highest + 0.005) * 100) / 100)


def _label_candidates(
    tokens: list[list[str | None]],
    labels: Sequence[int],
    config: ClusterConfig,
    languages: Sequence[str | None] = (None,),
) -> dict[int, list[str]]:
    """Candidate label phrases per code, none made only of small-talk words ("right", "let")."""
    found = candidate_phrases(tokens, labels, top=config.label_candidates, exclude=[OUTLIER])
    return {
        int(group): [phrase for phrase in phrases if not is_small_talk_phrase(phrase, languages)]
        for group, phrases in found.items()
    }


def _cluster_labels(
    vectors: np.ndarray, small_talk: np.ndarray, config: ClusterConfig
) -> tuple[np.ndarray, ClusteringParameters]:
    """HDBSCAN labels of the units that are not small talk, numbered largest code first; the
    parameters are scaled to all the units, small talk included."""
    kept = np.flatnonzero(~small_talk)
    parameters = scaled_parameters(len(vectors), config)
    raw = np.full(len(vectors), OUTLIER, dtype=int)
    raw[kept] = cluster_vectors(vectors[kept], parameters)
    renumber = {old: new for new, old in enumerate(_code_order(raw))}
    return np.array([renumber.get(int(c), OUTLIER) for c in raw], dtype=int), parameters


def _groups(
    codes: list[CandidateCode],
    centroids: np.ndarray,
    labels: np.ndarray,
    vectors: np.ndarray,
    tokens: list[list[str | None]],
    embedder: TextEncoder | None,
    config: ClusterConfig,
    languages: Sequence[str | None],
) -> tuple[list[CandidateCode], list[CodeGroup]]:
    """Parent codes over `codes`, labelled like codes from the units of their codes."""
    if not config.hierarchy:
        return codes, []
    groups = group_codes(centroids, codes_per_group=config.codes_per_group)
    if not groups:
        return codes, []
    of_code = {j: g for g, members in enumerate(groups) for j in members}
    unit_groups = [of_code.get(int(label), OUTLIER) for label in labels]
    found = _label_candidates(tokens, unit_groups, config, languages)
    group_centroids = _centroids(vectors, np.asarray(unit_groups), len(groups))
    chosen = phrase_labels(
        [found.get(g, []) for g in range(len(groups))],
        group_centroids,
        encoder=embedder,
        background=vectors.mean(axis=0),
        count=config.label_phrases,
        diversity=config.label_diversity,
    )
    width = max(1, len(str(len(groups))))
    result = []
    for g, members in enumerate(groups):
        label = chosen[g][0] if chosen[g] else codes[members[0]].label
        result.append(
            CodeGroup(
                id=f"G{g + 1:0{width}d}",
                label=label,
                phrases=chosen[g],
                code_ids=tuple(codes[j].id for j in members),
                size=sum(codes[j].size for j in members),
            )
        )
    parents = {j: result[of_code[j]].id for j in of_code}
    return [replace(code, parent=parents[j]) for j, code in enumerate(codes)], result


def find_candidate_codes(
    units: Sequence[Unit],
    vectors: np.ndarray,
    *,
    classifier: ThemeClassifier | None = None,
    reference_vectors: np.ndarray | None = None,
    config: ClusterConfig = ClusterConfig(),
    embedder: TextEncoder | None = None,
) -> CodeSet:
    """Cluster `units` (rows of `vectors`) into candidate codes, largest first, ids C01, C02, ...

    `classifier` maps each code to a theme; `reference_vectors` (e.g. the embedded excerpts the
    classifier was trained on) flag codes unlike anything it has seen as possible new themes.
    `embedder` (the one that made `vectors`) embeds small-talk prototypes and candidate label
    phrases; without it small talk is found by its words only and labels are ranked by
    c-TF-IDF. Vectors must come from the classifier's embedder when either is given.
    """
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or len(matrix) != len(units):
        raise ValueError(f"need one vector row per unit: {len(units)} units, {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ValueError("vectors contain NaN or infinite values")
    matrix = _normalise(matrix)
    texts = [unit.text for unit in units]
    languages = [unit.language for unit in units]
    present = tuple(dict.fromkeys(languages)) or (None,)
    tokens = tokenize(texts, spacy_model=config.spacy_model, languages=languages)
    reference = None
    if reference_vectors is not None and len(reference_vectors):
        reference = _normalise(np.asarray(reference_vectors, dtype=np.float32))
    reasons = _small_talk(texts, tokens, matrix, embedder, config, languages, reference)
    small_talk = np.array([bool(reason) for reason in reasons], dtype=bool)
    core_labels, parameters = _cluster_labels(matrix, small_talk, config)
    count = int(core_labels.max()) + 1 if len(core_labels) else 0
    centroids = _centroids(matrix, core_labels, count)
    membership = reduce_outliers(
        matrix,
        core_labels,
        centroids,
        small_talk=small_talk,
        assign=config.assign_outliers,
        quantile=config.assign_quantile,
        min_similarity=config.assign_min_similarity,
    )
    # Largest code first, counting the units that joined.
    order = _code_order(membership.labels)
    renumber = np.full(count + 1, OUTLIER, dtype=int)  # an outlier's -1 reads the last entry
    renumber[order] = np.arange(count)
    labels, core_labels = renumber[membership.labels], renumber[core_labels]
    centroids = centroids[order] if count else centroids
    keywords = class_tfidf(
        [terms(words) for words in tokens], labels.tolist(), top=config.keywords, exclude=[OUTLIER]
    )
    found = _label_candidates(tokens, labels, config, present)
    chosen = phrase_labels(
        [found.get(j, []) for j in range(count)],
        centroids,
        encoder=embedder,
        background=matrix.mean(axis=0) if len(matrix) else None,
        count=config.label_phrases,
        diversity=config.label_diversity,
    )
    proba = classifier.proba_from_vectors(matrix) if classifier is not None else None
    nearest = None
    if reference_vectors is not None and len(reference_vectors):
        nearest = nearest_similarity(matrix, np.asarray(reference_vectors, dtype=np.float32))
    width = max(2, len(str(count)))
    codes = []
    for j in range(count):
        members = np.flatnonzero(labels == j)
        core = np.flatnonzero(core_labels == j)
        closeness = matrix[core] @ centroids[j]
        exemplars = core[np.argsort(-closeness, kind="stable")[: config.exemplars]]
        words = tuple(term for term, _ in keywords.get(j, []))
        theme: ThemeMapping = (None,) * 4
        similarity = None if nearest is None else float(np.median(nearest[members]))
        if classifier is not None and proba is not None:
            novel = similarity is not None and similarity < config.novelty_similarity
            theme = theme_mapping(classifier, proba, members, novel)
        label = chosen[j][0] if chosen[j] else keyword_label(words, config.label_keywords)
        codes.append(
            CandidateCode(
                id=f"C{j + 1:0{width}d}",
                label=label or units[exemplars[0]].text[:60],
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
                phrases=chosen[j],
                core_size=len(core),
            )
        )
    codes, groups = _groups(codes, centroids, labels, matrix, tokens, embedder, config, present)
    return CodeSet(
        codes=codes,
        labels=labels,
        outliers=np.flatnonzero(labels == OUTLIER).tolist(),
        parameters=parameters,
        reassigned=np.flatnonzero((labels >= 0) & (core_labels == OUTLIER)).tolist(),
        membership=membership.kinds,
        similarity=membership.similarity,
        nearest_code=renumber[membership.nearest],
        small_talk_reasons=reasons,
        groups=groups,
        assign_threshold=membership.threshold,
    )
