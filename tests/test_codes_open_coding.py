"""Candidate codes a researcher would keep, on real transcripts: small talk kept apart, outliers
reduced with a threshold from the codes' own members, phrase labels, code groups, and how all of
it reaches units.csv, codes.csv, report.html and the REFI-QDA exports."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from autocode.classify import ThemeClassifier
from autocode.cluster import ClusterConfig, CodeSet, find_candidate_codes
from autocode.cluster.hierarchy import group_codes
from autocode.cluster.keywords import stop_words, tokenize
from autocode.cluster.labels import mmr, phrases
from autocode.cluster.refi import CODER, QDC_FILE, QDPX_FILE, SMALL_TALK_CODE
from autocode.cluster.small_talk import SMALL_TALK_WORDS, small_talk_reasons
from autocode.corpus import load_corpus
from autocode.embed import Embedder
from autocode.io import read_many
from autocode.io.refi_import import import_qdc, import_qdpx
from autocode.models import excerpts_from_corpus
from autocode.models.evidence import EvidenceIndex
from autocode.segment import SegmentConfig, segment_many
from autocode.suggest import SuggestConfig, Suggestions, suggest_codes
from autocode.suggest.output import write_suggestions
from autocode.types import Unit

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "corpus" / "seed"
EXAMPLES = REPO / "examples" / "transcripts"
INTERVIEWS = ("Interview_19.txt", "Interview_30.txt", "Interview_12.txt")
# Said by the interviewees of these three interviews (as segmented without coherence).
SMALL_TALK_SAID = ("Perfect. Thank you.", "you too. Bye-bye. Bye.", "Thank you so much.")
FAST = SegmentConfig(coherence=False)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="module")
def interviews(testdata: Path, embedder: Embedder) -> tuple[list, list[Unit], np.ndarray]:
    folder = testdata / "coded" / "ml_quality_interviews" / "transcripts"
    transcripts, errors = read_many([folder / name for name in INTERVIEWS])
    assert not errors
    units = [unit for found in segment_many(transcripts, FAST) for unit in found]
    return transcripts, units, embedder.encode([unit.text for unit in units])


@pytest.fixture(scope="module")
def interview_codes(interviews: tuple, embedder: Embedder) -> CodeSet:
    _, units, vectors = interviews
    return find_candidate_codes(units, vectors, embedder=embedder)


@pytest.fixture(scope="module")
def seed_units(embedder: Embedder) -> tuple[list[Unit], np.ndarray]:
    texts, _, groups = load_corpus(SEED).theme_examples()
    pairs = enumerate(zip(texts, groups, strict=True))
    units = [Unit(g, i, g, 0, len(t), t) for i, (t, g) in pairs]
    return units, embedder.encode(texts)


# -- small talk ----------------------------------------------------------------------------------
def test_small_talk_of_real_interviews_is_kept_out_of_the_codes(
    interviews: tuple, interview_codes: CodeSet
) -> None:
    _, units, _ = interviews
    talk = interview_codes.small_talk
    said = [units[i].text for i in talk]
    for text in SMALL_TALK_SAID:
        assert text in said
    assert 0.02 * len(units) < len(talk) < 0.15 * len(units)
    for i in talk:
        assert interview_codes.labels[i] == -1 and interview_codes.membership[i] == "small_talk"
        assert interview_codes.small_talk_reasons[i]  # every decision says why
        assert len(units[i].text.split()) <= 25
        assert i not in interview_codes.unassigned and i in interview_codes.outliers
    talking = [u for u in units if len(u.text.split()) > 40 and "thank" in u.text.lower()]
    kept = {(u.transcript_id, u.index) for u in talking}
    assert not kept & {(units[i].transcript_id, units[i].index) for i in talk}
    for code in interview_codes.codes:  # no code is mostly small talk
        assert not set(code.unit_indices) & set(talk)


def test_hand_coded_excerpts_and_example_transcripts_are_not_small_talk(
    seed_units: tuple, embedder: Embedder
) -> None:
    units, vectors = seed_units
    seed = find_candidate_codes(units, vectors, embedder=embedder)
    assert seed.small_talk == []
    transcripts, _ = read_many(sorted(EXAMPLES.glob("P*_interview.txt")))
    examples = [unit for found in segment_many(transcripts, FAST) for unit in found]
    found = find_candidate_codes(
        examples, embedder.encode([u.text for u in examples]), embedder=embedder
    )
    assert found.small_talk == []


def test_each_small_talk_rule_and_the_switch(interviews: tuple, embedder: Embedder) -> None:
    texts = ["Thank you, perfect.", "Uh, yes.", "Can you hear me now?", "We retrain weekly."]
    reasons = small_talk_reasons(texts, tokenize(texts), np.array([0.2, 0.2, 0.9, 0.2]))
    assert reasons[0] == "small-talk words: thank, perfect"
    assert reasons[1].startswith("no content words")
    assert reasons[2].startswith("small-talk words: hear")
    assert reasons[3] == ""
    like = small_talk_reasons(["Gimme a sec, my dog."], tokenize(["Gimme a sec, my dog."]), [0.6])
    assert like[0].startswith("like small talk (similarity 0.60")
    _, units, vectors = interviews
    kept = find_candidate_codes(
        units, vectors, embedder=embedder, config=ClusterConfig(small_talk=False)
    )
    assert "small_talk" not in set(kept.membership) and not any(kept.small_talk_reasons)
    thanks = [i for i, u in enumerate(units) if u.text == "Thank you so much."]
    assert thanks and all(kept.membership[i] != "small_talk" for i in thanks)


# -- outliers ------------------------------------------------------------------------------------
def test_outliers_join_a_code_only_when_as_close_as_its_members(
    interviews: tuple, interview_codes: CodeSet
) -> None:
    _, units, vectors = interviews
    codes = interview_codes
    kinds = pd.Series(codes.membership).value_counts().to_dict()
    assert set(kinds) == {"core", "assigned", "unassigned", "small_talk"}
    core = codes.membership == "core"
    assert codes.assign_threshold == pytest.approx(np.quantile(codes.similarity[core], 0.1))
    assigned = np.asarray(codes.reassigned)
    assert (codes.similarity[assigned] >= codes.assign_threshold).all()
    unassigned = np.asarray(codes.unassigned)
    assert (codes.similarity[unassigned] < codes.assign_threshold).all()
    # an assigned unit is in the code whose centre it is closest to, and similarity is cosine
    matrix = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    for i in assigned[:20]:
        code = codes.codes[codes.labels[i]]
        centre = matrix[[j for j in code.unit_indices if codes.membership[j] == "core"]]
        centre = centre.mean(axis=0) / np.linalg.norm(centre.mean(axis=0))
        assert float(matrix[i] @ centre) == pytest.approx(codes.similarity[i], abs=1e-4)
    for code in codes.codes:
        assert code.size == code.core_size + code.assigned
    without = find_candidate_codes(units, vectors, config=ClusterConfig(assign_outliers=False))
    assert len(codes.unassigned) < 0.7 * (len(without.outliers) - len(without.small_talk))


# -- labels --------------------------------------------------------------------------------------
def test_phrases_never_span_stop_words_fillers_or_placeholders() -> None:
    text = "Uh, the XXXX data pipeline, you know, broke [redacted] model drift again"
    found = phrases(tokenize([text])[0])
    assert "data pipeline" in found and "model drift" in found
    banned = stop_words() | {"xxxx", "redacted", "uh", "know"}
    assert found and not any(set(p.split()) & banned for p in found)
    assert "pipeline broke" not in found  # "you know" is a gap


def test_mmr_prefers_a_new_direction_over_a_near_duplicate() -> None:
    candidates = np.array([[1.0, 0.0], [0.99, 0.141], [0.6, 0.8]])
    candidates /= np.linalg.norm(candidates, axis=1, keepdims=True)
    target = np.array([0.9, 0.436])
    assert mmr(candidates, target, 2, diversity=0.0) == [1, 0]  # by relevance alone
    assert mmr(candidates, target, 2, diversity=0.5) == [1, 2]


def test_labels_are_phrases_of_the_codes_own_units(
    interviews: tuple, interview_codes: CodeSet
) -> None:
    _, units, _ = interviews
    banned = stop_words() | {"xxxx", "redacted"}
    labels = [code.label for code in interview_codes.codes]
    assert len(set(labels)) == len(labels)  # no two codes share a label
    for code in interview_codes.codes:
        assert code.label == code.phrases[0] and 1 <= len(code.phrases) <= 3
        assert 1 <= len(code.label.split()) <= 3
        words = set(code.label.split())
        assert not words <= banned and not words <= SMALL_TALK_WORDS
        member_text = " ".join(units[i].text.lower() for i in code.unit_indices)
        for word in words:  # plurals are folded: "models" gives "model"
            assert re.search(rf"\b{re.escape(word)}", member_text), (code.id, word)
        assert code.keywords


# -- hierarchy -----------------------------------------------------------------------------------
def test_codes_are_grouped_about_five_to_a_parent(
    interview_codes: CodeSet, seed_units: tuple
) -> None:
    codes = interview_codes
    assert len(codes.groups) == max(2, round(len(codes.codes) / 5))
    grouped = [code_id for group in codes.groups for code_id in group.code_ids]
    assert sorted(grouped) == sorted(code.id for code in codes.codes)
    for group in codes.groups:
        assert group.size == sum(c.size for c in codes.codes if c.id in group.code_ids)
        assert all(c.parent == group.id for c in codes.codes if c.id in group.code_ids)
        assert group.label
    units, vectors = seed_units
    seed = find_candidate_codes(units, vectors, config=ClusterConfig(hierarchy=False))
    assert seed.groups == [] and all(code.parent is None for code in seed.codes)
    assert group_codes(np.eye(3, 8)) == []  # too few codes to group
    # close centroids go together
    centroids = np.array([[1, 0, 0], [0.95, 0.3, 0], [0, 1, 0], [0, 0.95, 0.3], [0, 0, 1.0]])
    groups = group_codes(centroids, codes_per_group=2)
    assert [0, 1] in groups and any({2, 3} <= set(g) for g in groups)


# -- outputs -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def written(
    interviews: tuple, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Suggestions, Path]:
    transcripts, _, _ = interviews
    corpus = load_corpus(SEED)
    texts, labels, groups = corpus.theme_examples()
    classifier = ThemeClassifier(threshold=0.5).use_embedder(embedder)
    classifier.fit(texts, labels, groups=groups)
    result = suggest_codes(
        transcripts,
        classifier,
        EvidenceIndex.from_excerpts(excerpts_from_corpus(corpus), embedder),
        embedder=embedder,
        config=SuggestConfig(segment=FAST),
        themes=corpus.codebook.codes,
    )
    out = tmp_path_factory.mktemp("suggest")
    write_suggestions(result, out)
    return result, out


def test_units_and_codes_csv_carry_membership_labels_and_groups(written: tuple) -> None:
    result, out = written
    units = pd.read_csv(out / "units.csv", keep_default_na=False)
    assert set(units["membership"]) == {"core", "assigned", "unassigned", "small_talk"}
    talk = units[units["membership"] == "small_talk"]
    assert (talk["code"] == "").all() and (talk["small_talk"] != "").all()
    assert (talk["code_similarity"] == "").all()
    coded = units[units["code"] != ""]
    assert set(coded["membership"]) == {"core", "assigned"}
    assert (coded["code_group"].str.match(r"G\d+")).all()
    assert (units.loc[units["membership"] == "unassigned", "code"] == "").all()
    codes = pd.read_csv(out / "codes.csv", keep_default_na=False)
    for column in ("label", "phrases", "keywords", "parent", "parent_label", "core", "assigned"):
        assert column in codes.columns
    assert (codes["core"] + codes["assigned"] == codes["size"]).all()
    counts = coded.groupby("code").size()
    assert counts.to_dict() == dict(zip(codes["id"], codes["size"], strict=True))
    assert result.settings["counts"]["small_talk"] == len(talk)


def test_report_shows_groups_labels_small_talk_and_unassigned(written: tuple) -> None:
    result, out = written
    page = (out / "report.html").read_text(encoding="utf-8")
    for anchor in ("code-groups", "codes", "outliers", "small-talk"):
        assert f'<section id="{anchor}">' in page
    for group in result.codes.groups:
        assert f'id="group-{group.id}"' in page
    for code in result.codes.codes:
        assert f"<strong>{code.label}</strong>" in page
    assert f"{len(result.codes.small_talk)} small-talk unit(s)" in page
    assert f"{len(result.codes.unassigned)} unassigned unit(s)" in page
    assert "assigned after clustering, similarity" in page
    assert "Small talk: small-talk words" in page


def test_qdpx_and_qdc_nest_candidate_codes_under_their_groups(written: tuple) -> None:
    result, out = written
    codebook = import_qdc(out / QDC_FILE)
    by_name = {code.name: code for code in codebook.codes}
    parents = {code.id: code for code in codebook.codes}
    for group in result.codes.groups:
        assert f"{group.id} {group.label}" in by_name
    for code in result.codes.codes:
        nested = by_name[f"{code.id} {code.label}"]
        group = result.codes.group_of(code)
        assert group is not None
        assert parents[nested.parent_id].name == f"{group.id} {group.label}"
    xml = etree.fromstring((out / QDC_FILE).read_bytes())
    top = xml.find("{*}Codes")
    assert len(top) == len(result.codes.groups) + 2  # the groups, small talk and unassigned
    project = import_qdpx(out / QDPX_FILE)
    assert {t.id for t in project.transcripts} == {t.id for t in result.transcripts}
    names = {code.id: code.name for code in project.codebook.codes}
    coded = {}
    for coding in project.codings:
        assert coding.coder == CODER
        coded[(coding.transcript_id, coding.start)] = names[coding.code_id]
    for position, unit in enumerate(result.units):
        label = int(result.codes.labels[position])
        expected = (
            f"{result.codes.codes[label].id} {result.codes.codes[label].label}"
            if label >= 0
            else {"small_talk": "small talk", "unassigned": "unassigned"}[
                result.codes.membership[position]
            ]
        )
        assert coded[(unit.transcript_id, unit.start)] == expected
    assert SMALL_TALK_CODE in {code.id for code in project.codebook.codes} or any(
        code.name == "small talk" for code in project.codebook.codes
    )
