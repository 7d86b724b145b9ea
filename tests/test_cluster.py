"""Candidate codes on real text: the seed study's excerpts, off-topic sentences, and synthetic
vectors at 20,000 units; theme mapping with a real ThemeClassifier; agreement with human themes."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autocode.classify import ThemeClassifier
from autocode.cluster import (
    NO_THEME,
    ClusterConfig,
    CodeSet,
    find_candidate_codes,
    scaled_parameters,
)
from autocode.cluster.agreement import cluster_agreement
from autocode.cluster.keywords import class_tfidf, keyword_label, stop_words, terms, tokenize
from autocode.corpus import load_corpus
from autocode.embed import Embedder
from autocode.errors import InputError
from autocode.types import Unit

SEED = Path(__file__).resolve().parents[1] / "corpus" / "seed"
COOKING = [
    "I roast the vegetables with olive oil and garlic before they go into the soup.",
    "Knead the bread dough for ten minutes and let it rise in a warm kitchen.",
    "My grandmother's lasagna recipe uses fresh pasta sheets and a slow tomato sauce.",
    "Whisk the eggs with sugar until pale, then fold in the flour for the sponge cake.",
    "Simmer the onions in butter until they caramelise, then deglaze the pan with wine.",
    "For the curry, toast cumin and coriander seeds before adding the coconut milk.",
    "Season the steak with salt and pepper and sear it in a very hot cast iron pan.",
    "Chop the parsley finely and stir it into the lemon butter sauce for the fish.",
]


def make_units(texts: list[str], speakers: list[str]) -> list[Unit]:
    """One unit per text; each speaker's texts form one transcript named after them."""
    return [
        Unit(s, i, s, 0, len(t), t) for i, (t, s) in enumerate(zip(texts, speakers, strict=True))
    ]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="module")
def seed() -> dict:
    """The seed excerpts that have a theme: texts, 0/1 labels, one human theme, participants."""
    texts, labels, groups = load_corpus(SEED).theme_examples()
    assert (labels.sum(axis=1) == 1).all(), "the seed excerpts each have one theme"
    human = [str(labels.columns[row.argmax()]) for row in labels.to_numpy()]
    return {"texts": texts, "labels": labels, "groups": groups, "human": human}


@pytest.fixture(scope="module")
def seed_vectors(seed: dict, embedder: Embedder) -> np.ndarray:
    return embedder.encode(seed["texts"])


@pytest.fixture(scope="module")
def seed_codes(seed: dict, seed_vectors: np.ndarray) -> CodeSet:
    return find_candidate_codes(make_units(seed["texts"], seed["groups"]), seed_vectors)


@pytest.fixture(scope="module")
def classifier(seed: dict, embedder: Embedder) -> ThemeClassifier:
    model = ThemeClassifier().use_embedder(embedder)
    return model.fit(seed["texts"], seed["labels"], groups=seed["groups"])


# -- the seed excerpts ------------------------------------------------------------------------
def test_seed_excerpts_form_codes_rather_than_outliers(seed_codes: CodeSet) -> None:
    n = len(seed_codes.labels)
    assert len(seed_codes.codes) >= 4
    assert len(seed_codes.outliers) < 0.5 * n
    sizes = [code.size for code in seed_codes.codes]
    assert sizes == sorted(sizes, reverse=True)
    assert min(sizes) >= seed_codes.parameters.min_cluster_size
    assert [code.id for code in seed_codes.codes][:3] == ["C01", "C02", "C03"]
    for position, code in enumerate(seed_codes.codes):
        assert list(np.flatnonzero(seed_codes.labels == position)) == list(code.unit_indices)
    clustered = sum(sizes)
    assert clustered + len(seed_codes.outliers) == n
    assert seed_codes.outliers == list(np.flatnonzero(seed_codes.labels == -1))


def test_clustering_is_deterministic(seed: dict, seed_vectors: np.ndarray) -> None:
    units = make_units(seed["texts"], seed["groups"])
    first = find_candidate_codes(units, seed_vectors)
    second = find_candidate_codes(units, seed_vectors.copy())
    assert np.array_equal(first.labels, second.labels)
    pd.testing.assert_frame_equal(first.to_frame(), second.to_frame())


def test_keywords_have_no_stop_words_or_fillers(seed_codes: CodeSet) -> None:
    banned = stop_words() | {"uh", "um", "yeah", "like", "okay"}
    for code in seed_codes.codes:
        assert code.keywords, code.id
        for keyword in code.keywords:
            assert not set(keyword.split()) & banned, (code.id, keyword)
        assert code.label.split(", ")[0] in code.keywords


def test_tokenizer_drops_fillers_and_keeps_adjacent_phrases() -> None:
    [words] = tokenize(["Um, you know, the clients kind of hate scope-creep, like, yeah. Okay?"])
    found = terms(words)
    assert "scope creep" in found
    assert not {"um", "know", "kind", "like", "yeah", "okay", "the"} & set(found)
    [plural, _] = tokenize(["The models failed.", "One model worked."])
    assert "model" in plural  # folded because "model" occurs too


def test_tokenizer_drops_anonymisation_placeholders() -> None:
    [words] = tokenize(["At XXXX we asked [redacted] about xxx churn and the xbox data."])
    assert terms(words) == ["asked", "churn", "xbox", "data", "xbox data"]


def test_a_missing_spacy_pipeline_is_a_clear_input_error() -> None:
    with pytest.raises(InputError, match="cannot load spaCy pipeline"):
        tokenize(["text"], spacy_model="no_such_spacy_pipeline_xyz")


def test_class_tfidf_prefers_words_concentrated_in_a_group() -> None:
    docs = [["data", "client"], ["data", "client"], ["data", "retrain"], ["data", "retrain"]]
    keywords = class_tfidf(docs, [0, 0, 1, 1])
    assert keywords[0][0][0] == "client"
    assert keywords[1][0][0] == "retrain"
    assert keyword_label(["scope", "client", "scope creep", "data"]) == "scope creep, client, data"


def test_exemplars_belong_to_their_code_and_are_closest_to_its_centre(
    seed_codes: CodeSet, seed_vectors: np.ndarray, seed: dict
) -> None:
    for code in seed_codes.codes:
        assert len(code.exemplars) == min(3, code.size)
        assert set(code.exemplars) <= set(code.unit_indices)
        assert code.exemplar_texts == tuple(seed["texts"][i] for i in code.exemplars)
        core = [i for i in code.unit_indices if seed_codes.membership[i] == "core"]
        assert len(core) == code.core_size and set(code.exemplars) <= set(core)
        members = seed_vectors[core]
        centre = members.mean(axis=0)
        closeness = members @ (centre / np.linalg.norm(centre))
        assert seed_codes.labels[code.exemplars[0]] == seed_codes.codes.index(code)
        assert core[int(closeness.argmax())] == code.exemplars[0]


def test_codes_count_transcripts_and_participants(seed_codes: CodeSet, seed: dict) -> None:
    for code in seed_codes.codes:
        participants = {seed["groups"][i] for i in code.unit_indices}
        assert code.participants == code.transcripts == len(participants)
    # Two speakers in one transcript are two participants of one transcript.
    speakers = ["S0", "S1", "S0", "S1", "S2", "S2", "S2", "S2"]
    units = [
        Unit("focus-group", i, s, 0, len(COOKING[i]), COOKING[i]) for i, s in enumerate(speakers)
    ]
    noise = np.random.default_rng(0).normal(0, 0.01, (8, 8))
    vectors = np.repeat(np.eye(2, 8), 4, axis=0) + noise
    codes = find_candidate_codes(units, vectors, config=ClusterConfig(min_cluster_size=3))
    assert [(c.size, c.transcripts, c.participants) for c in codes.codes] == [(4, 1, 2), (4, 1, 1)]


def test_frame_has_one_row_per_code(seed_codes: CodeSet) -> None:
    frame = seed_codes.to_frame()
    assert list(frame["id"]) == [code.id for code in seed_codes.codes]
    for column in ["label", "keywords", "size", "transcripts", "participants", "theme"]:
        assert column in frame.columns
    assert {"exemplar_1", "exemplar_2", "exemplar_3"} <= set(frame.columns)
    assert (frame["theme"] == "").all()  # no classifier, no theme


# -- sizes ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n", "min_cluster_size", "cap"),
    [(20, 3, 15), (129, 4, 33), (5284, 25, 1321), (20000, 49, 5000)],
)
def test_parameters_scale_with_corpus_size(n: int, min_cluster_size: int, cap: int) -> None:
    parameters = scaled_parameters(n)
    assert parameters.min_cluster_size == min_cluster_size
    assert parameters.min_samples < parameters.min_cluster_size
    assert parameters.max_cluster_size == cap
    assert parameters.selection_method == "eom"
    assert parameters.dimensions == 5
    leaf = scaled_parameters(n, ClusterConfig(selection_method="leaf"))
    assert leaf.max_cluster_size == 0  # HDBSCAN's cap applies to eom only


def test_twenty_units_give_codes(seed: dict, embedder: Embedder) -> None:
    texts: list[str] = []
    for word in ["plan", "client", "clean"]:
        texts += [t for t in seed["texts"] if word in t.lower() and t not in texts][:5]
    texts += COOKING[:5]
    assert len(texts) == 20
    units = make_units(texts, [f"P{i % 4}" for i in range(20)])
    codes = find_candidate_codes(units, embedder.encode(texts))
    assert codes.parameters.min_cluster_size == 3
    assert len(codes.codes) >= 2
    assert len(codes.outliers) <= 10
    cooking = codes.labels[15:]
    assert (cooking == cooking[0]).all() and cooking[0] != -1
    assert not set(codes.labels[:15]) & {cooking[0]}


def test_tiny_and_empty_inputs() -> None:
    empty = find_candidate_codes([], np.zeros((0, 8)))
    assert empty.codes == [] and empty.outliers == [] and len(empty.to_frame()) == 0
    two = find_candidate_codes(make_units(COOKING[:2], ["A", "B"]), np.eye(2, 8))
    assert two.codes == [] and two.outliers == [0, 1]
    with pytest.raises(ValueError, match="one vector row per unit"):
        find_candidate_codes(make_units(COOKING[:2], ["A", "B"]), np.eye(3, 8))


def synthetic_corpus(n: int, k: int, seed: int = 0) -> tuple[list[Unit], np.ndarray, np.ndarray]:
    """`k` clusters of unequal size around random directions in 384 dimensions (within-cluster
    cosine about 0.45, as for real sentences on one topic), plus 10% scattered units. Each
    cluster's texts draw on its own words among shared fillers and stop words."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, 384))
    sizes = np.maximum((rng.dirichlet(np.full(k, 2.0)) * n * 0.9).astype(int), 5)
    truth = np.concatenate(
        [np.full(s, c) for c, s in enumerate(sizes)] + [np.full(n - sizes.sum(), -1)]
    )
    scale = np.where(truth[:, None] >= 0, 0.06, 1.0)
    vectors = np.where(truth[:, None] >= 0, centres[np.maximum(truth, 0)] / np.sqrt(384), 0)
    vectors = (vectors + rng.normal(size=(n, 384)) * scale / np.sqrt(384 / 384)).astype(np.float32)
    vocabulary = [[f"topic{c}word{w}" for w in range(6)] for c in range(k)]
    every_word = [word for words in vocabulary for word in words]
    texts = []
    for label in truth:
        words = rng.choice(vocabulary[label] if label >= 0 else every_word, 3)
        texts.append(f"Um, you know, the {words[0]} and {words[1]}, like, {words[2]} yeah.")
    units = [Unit(f"T{i % 50}", i, "P", 0, len(t), t) for i, t in enumerate(texts)]
    return units, vectors, truth


def test_twenty_thousand_units_are_clustered_quickly() -> None:
    units, vectors, truth = synthetic_corpus(20_000, k=25)
    started = time.perf_counter()
    codes = find_candidate_codes(units, vectors)
    elapsed = time.perf_counter() - started
    assert elapsed < 60, f"{elapsed:.1f} s"
    assert codes.parameters.min_cluster_size == 49
    assert 10 <= len(codes.codes) <= 60
    assert len(codes.outliers) < 0.5 * len(units)
    agreement = cluster_agreement(codes.labels, truth.tolist(), include_outliers=False)
    assert agreement.nmi > 0.6
    for code in codes.codes[:5]:
        dominant = np.bincount(truth[list(code.unit_indices)] + 1).argmax() - 1
        assert code.keywords[0].startswith(f"topic{dominant}word"), (code.id, code.keywords)


# -- themes ------------------------------------------------------------------------------------
def test_codes_map_to_the_theme_of_their_excerpts(
    seed: dict, seed_vectors: np.ndarray, classifier: ThemeClassifier
) -> None:
    units = make_units(seed["texts"], seed["groups"])
    codes = find_candidate_codes(units, seed_vectors, classifier=classifier)
    thresholds = dict(zip(classifier.theme_ids_, classifier.thresholds_, strict=True))
    proba = classifier.proba_from_vectors(seed_vectors)
    agree = clear = 0
    for code in codes.codes:
        mean = proba.iloc[list(code.unit_indices)].mean()
        if code.theme is not None:
            assert code.theme_probability == pytest.approx(mean[code.theme])
            assert code.theme_probability >= thresholds[code.theme]
        others = mean.drop(code.theme) if code.theme is not None else mean
        assert code.runner_up == others.idxmax()
        assert code.runner_up_probability == pytest.approx(others.max())
        themes = pd.Series([seed["human"][i] for i in code.unit_indices]).value_counts()
        if themes.iloc[0] >= 0.7 * code.size:
            clear += 1
            agree += code.theme == themes.index[0]
    assert clear >= 3
    assert agree >= 0.8 * clear


def test_a_top_theme_classifier_maps_each_code_to_its_most_probable_theme(
    seed: dict, seed_vectors: np.ndarray, classifier: ThemeClassifier
) -> None:
    units = make_units(seed["texts"], seed["groups"])
    top_one = copy.copy(classifier)
    top_one.min_themes = 1
    top_one.thresholds_ = np.full(len(classifier.theme_ids_), 0.99)  # reached by no code
    codes = find_candidate_codes(units, seed_vectors, classifier=top_one)
    proba = classifier.proba_from_vectors(seed_vectors)
    for code in codes.codes:
        mean = proba.iloc[list(code.unit_indices)].mean()
        assert code.theme == mean.idxmax()
        assert code.theme_probability == pytest.approx(mean.max())
        assert code.runner_up == mean.drop(code.theme).idxmax()


def test_no_theme_reaching_its_threshold_means_a_possible_new_theme(
    seed: dict, seed_vectors: np.ndarray, classifier: ThemeClassifier
) -> None:
    units = make_units(seed["texts"], seed["groups"])
    strict = copy.copy(classifier)
    strict.thresholds_ = np.full(len(classifier.theme_ids_), 0.99)
    codes = find_candidate_codes(units, seed_vectors, classifier=strict)
    assert all(code.theme is None and code.runner_up for code in codes.codes)
    assert (codes.to_frame()["theme"] == NO_THEME).all()
    lenient = copy.copy(classifier)
    lenient.thresholds_ = np.zeros(len(classifier.theme_ids_))
    codes = find_candidate_codes(units, seed_vectors, classifier=lenient)
    assert all(code.theme is not None for code in codes.codes)


def test_off_topic_code_unlike_the_references_is_a_possible_new_theme(
    seed: dict, seed_vectors: np.ndarray, classifier: ThemeClassifier, embedder: Embedder
) -> None:
    texts = seed["texts"] + COOKING
    units = make_units(texts, seed["groups"] + ["P99"] * len(COOKING))
    vectors = np.vstack([seed_vectors, embedder.encode(COOKING)])
    codes = find_candidate_codes(
        units, vectors, classifier=classifier, reference_vectors=seed_vectors
    )
    cooking = codes.labels[len(seed["texts"]) :]
    position = np.bincount(cooking[cooking >= 0]).argmax()
    assert (cooking == position).sum() >= 6
    code = codes.codes[position]
    assert code.reference_similarity < 0.25
    assert code.theme is None and code.theme_probability is None
    assert code.runner_up in classifier.theme_ids_
    assert codes.to_frame().iloc[position]["theme"] == NO_THEME
    others = [c for c in codes.codes if c is not code]
    assert all(c.reference_similarity > 0.9 for c in others)  # their units are references
    assert sum(c.theme is not None for c in others) >= 3


# -- outliers ----------------------------------------------------------------------------------
def test_outliers_can_be_assigned_to_the_nearest_code(
    seed: dict, seed_vectors: np.ndarray, seed_codes: CodeSet
) -> None:
    units = make_units(seed["texts"], seed["groups"])
    none = find_candidate_codes(units, seed_vectors, config=ClusterConfig(assign_outliers=False))
    assert none.reassigned == [] and set(none.membership) <= {"core", "unassigned"}
    everything = find_candidate_codes(
        units, seed_vectors, config=ClusterConfig(assign_min_similarity=-1)
    )
    assert everything.outliers == []
    assert everything.reassigned == none.outliers
    core = none.labels >= 0
    same = cluster_agreement(everything.labels[core], none.labels[core], include_outliers=True)
    assert same.ari == 1.0  # the core members keep their codes (numbered by final size)
    strict = find_candidate_codes(
        units, seed_vectors, config=ClusterConfig(assign_min_similarity=0.99)
    )
    assert strict.outliers == none.outliers and strict.reassigned == []
    # the default threshold comes from the core members: a low quantile of their similarity
    assert set(seed_codes.reassigned) < set(none.outliers)
    assert seed_codes.assign_threshold is not None
    core_similarity = seed_codes.similarity[seed_codes.membership == "core"]
    assert seed_codes.assign_threshold == pytest.approx(np.quantile(core_similarity, 0.1))
    assigned = seed_codes.similarity[seed_codes.reassigned]
    assert (assigned >= seed_codes.assign_threshold).all()
    left = seed_codes.similarity[seed_codes.unassigned]
    assert (left < seed_codes.assign_threshold).all()


# -- agreement with human labels ----------------------------------------------------------------
def test_cluster_agreement_counts_outliers_as_documented() -> None:
    labels = [0, 0, 1, 1, -1, -1]
    human = ["a", "a", "b", "a", "b", "a"]
    counted = cluster_agreement(labels, human, include_outliers=True)
    assert counted.purity == pytest.approx(4 / 6)
    assert (counted.n_units, counted.n_clusters, counted.n_outliers) == (6, 3, 2)
    excluded = cluster_agreement(labels, human, include_outliers=False)
    assert excluded.purity == pytest.approx(3 / 4)
    assert (excluded.n_units, excluded.n_clusters, excluded.n_outliers) == (4, 2, 2)
    perfect = cluster_agreement([0, 0, 1, 1], ["x", "x", "y", "y"], include_outliers=True)
    assert perfect.nmi == perfect.ari == perfect.purity == 1.0


def test_seed_codes_agree_with_human_themes_beyond_chance(seed_codes: CodeSet, seed: dict) -> None:
    real = cluster_agreement(seed_codes.labels, seed["human"], include_outliers=True)
    shuffled = np.random.default_rng(0).permutation(seed["human"]).tolist()
    chance = cluster_agreement(seed_codes.labels, shuffled, include_outliers=True)
    assert real.nmi > 0.25 and real.ari > 0.1 and real.purity > 0.5
    assert real.nmi > chance.nmi + 0.1
    assert real.purity > chance.purity + 0.15
