"""The corpus loader: the seed corpus loads; bad corpus files give one line, exit 2, no output."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from autocode.corpus import load_corpus, split_ids
from autocode.errors import InputError

SEED = Path(__file__).resolve().parents[1] / "corpus" / "seed"


def test_seed_corpus_loads_with_its_five_themes() -> None:
    corpus = load_corpus(SEED)
    assert corpus.theme_ids == ["T1", "T2", "T3", "T4", "T5"]
    assert [stage.id for stage in corpus.stages] == [
        "requirement_analysis",
        "data_management",
        "benchmarking_metrics",
        "user_acceptance_testing",
        "privacy_policy",
    ]
    texts, labels, groups = corpus.theme_examples()
    assert len(texts) == len(labels) == len(groups) > 100
    assert labels.sum(axis=1).min() >= 1
    assert set(groups) <= {f"P{i}" for i in range(1, 16)}


def test_duplicates_are_merged_into_their_first_occurrence() -> None:
    corpus = load_corpus(SEED)
    utterances = corpus.utterances()
    duplicates = corpus.excerpts[corpus.excerpts["duplicate_of"] != ""]
    assert len(utterances) == len(corpus.excerpts) - len(duplicates)
    for row in duplicates.itertuples():
        first = utterances.set_index("excerpt_id").loc[row.duplicate_of]
        assert set(split_ids(row.themes)) <= set(split_ids(first["themes"]))


def test_weak_examples_carry_the_participants_they_describe() -> None:
    weak = load_corpus(SEED).weak_examples()
    assert len(weak.texts) == len(weak.labels) == len(weak.groups)
    described = set().union(*weak.groups)
    assert "P6" in described
    definitions = [g for g in weak.groups if not g]
    assert len(definitions) >= 5  # each theme's name/statement/definition, never held out


def test_participant_table_leaves_out_withheld_participants() -> None:
    table = load_corpus(SEED).participant_themes()
    assert table is not None
    assert list(table.index) == [f"P{i}" for i in range(1, 13)]
    assert table.loc["P1"].tolist() == [1, 1, 1, 1, 1]


def _broken_copy(tmp_path: Path, edit) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED, corpus)
    edit(corpus)
    return corpus


def _rewrite_excerpts(corpus: Path, change) -> None:
    frame = pd.read_csv(corpus / "excerpts.csv", dtype=str, keep_default_na=False)
    change(frame)
    frame.to_csv(corpus / "excerpts.csv", index=False)


BAD_CORPORA = {
    "missing column": (
        lambda c: _rewrite_excerpts(c, lambda f: f.pop("themes")),
        "excerpts.csv: missing column(s): themes",
    ),
    "unknown theme": (
        lambda c: _rewrite_excerpts(
            c, lambda f: f.__setitem__("themes", f["themes"].where(f.index != 4, "T9"))
        ),
        "excerpts.csv, row 6: unknown theme id(s) T9",
    ),
    "empty text": (
        lambda c: _rewrite_excerpts(
            c, lambda f: f.__setitem__("text", f["text"].where(f.index != 2, "   "))
        ),
        "excerpts.csv, row 4: empty text",
    ),
    "not utf-8": (
        lambda c: (c / "excerpts.csv").write_bytes(
            (c / "excerpts.csv")
            .read_bytes()
            .replace(b"scope creep", "scope cr\xe9ep".encode("cp1252"))
        ),
        "excerpts.csv: not UTF-8 text",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CORPORA))
def test_bad_corpus_is_rejected_by_the_loader(tmp_path: Path, case: str) -> None:
    edit, message = BAD_CORPORA[case]
    corpus = _broken_copy(tmp_path, edit)
    with pytest.raises(InputError) as caught:
        load_corpus(corpus)
    assert message in str(caught.value)


@pytest.mark.parametrize("case", sorted(BAD_CORPORA))
def test_bad_corpus_gives_one_line_exit_2_and_writes_nothing(tmp_path: Path, case: str) -> None:
    edit, message = BAD_CORPORA[case]
    corpus = _broken_copy(tmp_path, edit)
    output = tmp_path / "out" / "evaluation.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "autocode",
            "evaluate",
            "--corpus",
            str(corpus),
            "--json",
            str(output),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert message in lines[0]
    assert "Traceback" not in completed.stderr
    assert not output.exists()
    assert not output.parent.exists()


def test_the_stage_layer_reads_stages_where_themes_were() -> None:
    seed = load_corpus(SEED)
    stages = seed.layer("stages")
    assert seed.layers == ["themes", "stages"] and seed.layer("themes") is seed
    assert stages.codebook.name == "Papineni & Lind (2023) ML lifecycle stages"
    assert stages.theme_ids == [
        "requirement_analysis",
        "data_management",
        "benchmarking_metrics",
        "user_acceptance_testing",
        "privacy_policy",
    ]
    texts, labels, _ = stages.theme_examples()
    assert len(texts) == 32 and (labels.sum(axis=1) == 1).all()  # one stage per quote
    assert labels.sum().to_dict()["requirement_analysis"] == 8
    weak = stages.weak_examples()
    assert len(weak.texts) == 27 + 5 * 2  # stage paraphrases, each stage's name and definition
    stated = stages.participant_themes()
    assert stated is not None and stated.loc["P6"].sum() == 5 and stated.loc["P1"].sum() == 0


def test_an_unknown_layer_is_one_input_error() -> None:
    with pytest.raises(
        InputError, match="has no codebook 'tasks'; it codes excerpts with themes, stages"
    ):
        load_corpus(SEED).layer("tasks")
