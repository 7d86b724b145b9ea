"""The seed corpus (corpus/seed) checked against the text of the paper it was extracted from.

The paper is in ../shared/seed (not redistributed with the repository); the tests that read it
skip when it is absent. The others check the corpus files on their own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED = REPO_ROOT / "corpus" / "seed"
PAPER = REPO_ROOT.parent / "shared" / "seed" / "papineni-lind-2023.txt"

THEMES = {"T1", "T2", "T3", "T4", "T5"}
STAGES = {
    "requirement_analysis",
    "data_management",
    "benchmarking_metrics",
    "user_acceptance_testing",
    "privacy_policy",
}
PARTICIPANTS = [f"P{n}" for n in range(1, 16)]
WITHHELD = {"P13", "P14", "P15"}
EXCERPT_COLUMNS = [
    "excerpt_id",
    "participant",
    "text",
    "themes",
    "stage",
    "section",
    "duplicate_of",
    "note",
]
# Double quotation marks and the opening single mark; ’ is the paper's apostrophe and stays.
QUOTE_MARKS = re.compile('[“”"«»‘]')
P3_SECTION = "P3’s Textural and Structural Descriptions"


def normalise(text: str) -> str:
    """Join hyphenated line breaks keeping the hyphen ("time-\\nconsuming"), collapse whitespace."""
    text = re.sub(r"-[ \t]*\r?\n\s*", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(SEED / name, dtype=str, keep_default_na=False, encoding="utf-8")


def ids(cell: str) -> list[str]:
    return [part for part in cell.split(";") if part]


@pytest.fixture(scope="module")
def paper() -> str:
    if not PAPER.is_file():
        pytest.skip(f"paper text not found at {PAPER}")
    return PAPER.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def paper_text(paper: str) -> str:
    return normalise(paper)


@pytest.fixture(scope="module")
def excerpts() -> pd.DataFrame:
    return read("excerpts.csv")


@pytest.fixture(scope="module")
def paraphrases() -> pd.DataFrame:
    return read("paraphrases.csv")


@pytest.fixture(scope="module")
def participants() -> pd.DataFrame:
    return read("participants.csv")


def find_in_order(paper_text: str, frame: pd.DataFrame, id_column: str) -> list[str]:
    """Find every text at or after the previous row's position; return the rows not found
    verbatim (these must match once quotation marks are ignored and say why in their note)."""
    unquoted = QUOTE_MARKS.sub("", paper_text)
    position = unquoted_position = 0
    inexact: list[str] = []
    for row in frame.itertuples(index=False):
        text = normalise(row.text)
        found = paper_text.find(text, position)
        if found >= 0:
            position = found
            unquoted_position = len(QUOTE_MARKS.sub("", paper_text[:found]))
            continue
        inexact.append(getattr(row, id_column))
        loose = unquoted.find(QUOTE_MARKS.sub("", text), unquoted_position)
        assert loose >= 0, f"{getattr(row, id_column)} not found in the paper: {row.text[:80]!r}"
        assert "quotation mark" in row.note, f"{getattr(row, id_column)}: deviation not noted"
        unquoted_position = loose
    return inexact


def test_excerpt_columns_and_ids(excerpts: pd.DataFrame) -> None:
    assert list(excerpts.columns) == EXCERPT_COLUMNS
    assert list(excerpts["excerpt_id"]) == [f"PL-{n:03d}" for n in range(1, len(excerpts) + 1)]


def test_excerpts_occur_in_the_paper_in_order(paper_text: str, excerpts: pd.DataFrame) -> None:
    inexact = find_in_order(paper_text, excerpts, "excerpt_id")
    # Only the quote whose opening mark is printed inside a bracket ([“Clients]) deviates.
    assert len(inexact) <= 1, inexact


def test_excerpt_texts_are_trimmed(excerpts: pd.DataFrame) -> None:
    for row in excerpts.itertuples(index=False):
        assert row.text == row.text.strip(), row.excerpt_id
        assert not row.text.endswith(","), row.excerpt_id
        assert row.text[0] not in '“”"‘', row.excerpt_id


def test_paraphrases_occur_in_the_paper_in_order(
    paper_text: str, paraphrases: pd.DataFrame
) -> None:
    assert find_in_order(paper_text, paraphrases, "paraphrase_id") == []


def test_paraphrase_ids_and_participants(paraphrases: pd.DataFrame) -> None:
    assert list(paraphrases["paraphrase_id"]) == [
        f"PP-{n:03d}" for n in range(1, len(paraphrases) + 1)
    ]
    for row in paraphrases.itertuples(index=False):
        named = ids(row.participants)
        assert named and set(named) <= set(PARTICIPANTS), row.paraphrase_id
        assert named == sorted(named, key=lambda p: int(p[1:])), row.paraphrase_id
        assert ids(row.themes) or row.stage, f"{row.paraphrase_id} has neither theme nor stage"


def test_sections_are_printed_headings(paper: str, excerpts: pd.DataFrame) -> None:
    headings = {line.strip() for line in paper.splitlines()}
    paraphrase_sections = set(read("paraphrases.csv")["section"])
    for section in set(excerpts["section"]) | paraphrase_sections:
        assert section in headings or section.startswith(P3_SECTION), section


@pytest.mark.parametrize("name", ["excerpts.csv", "paraphrases.csv"])
def test_theme_and_stage_ids_are_known(name: str) -> None:
    frame = read(name)
    for row in frame.itertuples(index=False):
        assert set(ids(row.themes)) <= THEMES, row
        assert row.stage in STAGES | {""}, row


def test_excerpt_participants_and_withheld_sections(excerpts: pd.DataFrame) -> None:
    assert set(excerpts["participant"]) <= set(PARTICIPANTS)
    withheld = excerpts[excerpts["participant"].isin(WITHHELD)]
    assert len(withheld) > 0
    # P13-P15 quotes can only come from the theme, structural and discussion sections.
    assert not withheld["section"].str.contains("Descriptions").any()


def test_duplicates_point_to_an_earlier_row_of_the_same_participant(
    excerpts: pd.DataFrame,
) -> None:
    position = {eid: i for i, eid in enumerate(excerpts["excerpt_id"])}
    speaker = dict(zip(excerpts["excerpt_id"], excerpts["participant"], strict=True))
    for i, row in enumerate(excerpts.itertuples(index=False)):
        if not row.duplicate_of:
            continue
        assert position[row.duplicate_of] < i, row.excerpt_id
        assert speaker[row.duplicate_of] == row.participant, row.excerpt_id
        first = excerpts.iloc[position[row.duplicate_of]]
        assert first["duplicate_of"] == "", f"{row.excerpt_id} must point to the first occurrence"


def test_fragments_are_short(excerpts: pd.DataFrame) -> None:
    fragments = excerpts[excerpts["note"].str.startswith("fragment")]
    assert len(fragments) >= 4
    assert (fragments["text"].str.split().str.len() <= 4).all()


def test_participants_table(participants: pd.DataFrame) -> None:
    assert list(participants["participant"]) == PARTICIPANTS
    for row in participants.itertuples(index=False):
        if row.participant in WITHHELD:
            assert row.withheld == "true"
            assert (row.themes, row.stages, row.stage_themes, row.source) == ("", "", "", "")
            continue
        assert row.withheld == "false"
        assert ids(row.themes) and set(ids(row.themes)) <= THEMES, row.participant
        stages = ids(row.stages)
        assert set(stages) <= STAGES, row.participant
        for link in filter(None, row.stage_themes.split("|")):
            stage, themes = link.split(":")
            assert stage in stages, (row.participant, stage)
            assert set(themes.split(",")) <= THEMES, (row.participant, link)


def test_participant_sources_are_quoted_from_the_paper(
    paper_text: str, participants: pd.DataFrame
) -> None:
    for row in participants.itertuples(index=False):
        for piece in filter(None, row.source.split(" ... ")):
            assert normalise(piece) in paper_text, (row.participant, piece[:60])


def test_codebook(paper_text: str) -> None:
    document = yaml.safe_load((SEED / "codebook.yaml").read_text(encoding="utf-8"))
    assert [theme["id"] for theme in document["themes"]] == sorted(THEMES)
    assert {stage["id"] for stage in document["stages"]} == STAGES
    for theme in document["themes"]:
        assert normalise(theme["statement"]) in paper_text, theme["id"]
        assert theme["tam_construct"].startswith("perceived"), theme["id"]
