"""The coded datasets of the review benchmark: units, 0/1 code labels, and a pool/evaluation split
that never puts one participant (or respondent, or text) on both sides.

The seed corpus; the exam-proctoring survey, one question and all questions (primary coder); the
games-as-art texts as coded spans and as sentences; the PDPilot interview segments. The query
strategy was chosen on splits inside the pools only (benchmarks/review.py --select).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from autocode.corpus import load_corpus

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO.parent / "shared" / "testdata" / "coded"
SPLIT_SEED = 20231  # fixes the respondent/text splits; not a tuning knob
EVAL_SHARE = 1 / 3


@dataclass
class Dataset:
    name: str
    note: str
    texts: list[str]
    labels: np.ndarray  # (n, k) 0/1
    code_ids: list[str]
    in_pool: np.ndarray  # (n,) bool: pool rows; the others are the held-out evaluation rows
    groups: list[str]  # participant / respondent / text of each row

    def facts(self) -> dict:
        pool, held = self.labels[self.in_pool], self.labels[~self.in_pool]
        return {
            "note": self.note,
            "codes": self.code_ids,
            "pool_units": int(self.in_pool.sum()),
            "evaluation_units": int((~self.in_pool).sum()),
            "pool_positives_per_code": pool.sum(axis=0).astype(int).tolist(),
            "evaluation_positives_per_code": held.sum(axis=0).astype(int).tolist(),
            "pool_groups": len({g for g, p in zip(self.groups, self.in_pool, strict=True) if p}),
            "evaluation_groups": len(
                {g for g, p in zip(self.groups, self.in_pool, strict=True) if not p}
            ),
        }


def _group_split(groups: list[str], eval_groups: set[str] | None = None) -> np.ndarray:
    """Pool mask: the given evaluation groups, or a seeded third of the groups, held out."""
    if eval_groups is None:
        distinct = sorted(set(groups))
        rng = np.random.default_rng(SPLIT_SEED)
        count = round(len(distinct) * EVAL_SHARE)
        eval_groups = set(rng.permutation(distinct)[:count].tolist())
    return np.array([g not in eval_groups for g in groups])


def _labels(rows: list[list[str]], codes: list[str]) -> np.ndarray:
    index = {code: j for j, code in enumerate(codes)}
    matrix = np.zeros((len(rows), len(codes)), dtype=int)
    for i, row in enumerate(rows):
        for code in row:
            if code in index:
                matrix[i, index[code]] = 1
    return matrix


def _frequent(rows: list[list[str]], minimum: int) -> list[str]:
    counts = Counter(code for row in rows for code in set(row))
    return sorted(code for code, n in counts.items() if n >= minimum)


def _checked(dataset: Dataset, minimum_each_side: int = 2) -> Dataset:
    """Drop codes with fewer than `minimum_each_side` positives in the evaluation rows or fewer
    than the 3 start examples + 2 in the pool: their kappa or their start would mean nothing."""
    pool = dataset.labels[dataset.in_pool].sum(axis=0)
    held = dataset.labels[~dataset.in_pool].sum(axis=0)
    keep = (pool >= 5) & (held >= minimum_each_side)
    dataset.labels = dataset.labels[:, keep]
    dataset.code_ids = [c for c, k in zip(dataset.code_ids, keep, strict=True) if k]
    return dataset


def seed_corpus() -> Dataset:
    corpus = load_corpus(REPO / "corpus" / "seed")
    texts, labels, participants = corpus.theme_examples()
    # Every third participant by number is held out (P3, P6, P9, P12).
    held = {p for p in set(participants) if int(p.lstrip("P")) % 3 == 0}
    return _checked(
        Dataset(
            "seed",
            "corpus/seed: each distinct utterance with a theme is a unit (duplicates merged, "
            "themes unioned), labelled with its textural themes T1-T5; the participants "
            "P3, P6, P9 and P12 are the evaluation split, the others the pool.",
            texts,
            labels.to_numpy(dtype=int),
            list(labels.columns),
            _group_split(participants, held),
            participants,
        )
    )


def _exam_question(file: str) -> tuple[list[str], list[list[str]], list[str]]:
    frame = pd.read_csv(TESTDATA / "exam_proctoring_survey" / "irr_inputs" / file, dtype=str)
    frame = frame.fillna("")
    text_column = frame.columns[1]
    frame = frame[frame[text_column].str.strip() != ""]
    code_columns = [c for c in frame.columns if c.startswith("Code")]
    rows = [
        [c.strip() for c in row if c.strip() and "->" not in c]
        for row in frame[code_columns].itertuples(index=False)
    ]
    return list(frame[text_column].str.strip()), rows, list(frame["ResponseId"])


def exam_proctoring(file: str = "Yes_and_No_Q5_primary.csv", name: str = "exam_q5") -> Dataset:
    texts, rows, respondents = _exam_question(file)
    codes = _frequent(rows, 8)
    return _checked(
        Dataset(
            name,
            f"exam-proctoring survey, {file}: each non-empty answer is a unit, labelled with "
            "the primary coder's top-level codes (sub-codes `a->b` folded into their parent, "
            "which the coder always also gave) used on at least 8 answers; a seeded third "
            "of the respondents is the evaluation split.",
            texts,
            _labels(rows, codes),
            codes,
            _group_split(respondents),
            respondents,
        )
    )


SPAN = re.compile(r"\*\*(.+?)\*\*<sup>(.*?)</sup>", re.S)


def games_as_art_spans(minimum: int = 15) -> Dataset:
    frame = pd.read_csv(TESTDATA / "games_as_art" / "bopp_test_coded_texts.csv", dtype=str)
    texts, rows, owners = [], [], []
    for number, coded in enumerate(frame["coded_text"].fillna("")):
        for match in SPAN.finditer(coded):
            texts.append(match.group(1).strip())
            rows.append([c.strip() for c in match.group(2).split(";") if c.strip()])
            owners.append(f"text{number}")
    codes = _frequent(rows, minimum)
    return _checked(
        Dataset(
            "games_as_art_spans",
            "games-as-art (bopp_test_coded_texts.csv): each highlighted span "
            "`**span**<sup>codes</sup>` is a unit, labelled with its codes; codes on at least "
            f"{minimum} spans are kept (spans with only rarer codes stay, as negatives); a "
            "seeded third of the 90 answers (all their spans) is the evaluation split.",
            texts,
            _labels(rows, codes),
            codes,
            _group_split(owners),
            owners,
        )
    )


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _plain_with_spans(coded: str) -> tuple[str, list[tuple[int, int, list[str]]]]:
    """The answer's plain text and its coded spans as (start, end, codes) offsets into it."""
    plain, spans, cursor = [], [], 0
    length = 0
    for match in SPAN.finditer(coded):
        before = coded[cursor : match.start()]
        plain.append(before)
        length += len(before)
        span = match.group(1)
        codes = [c.strip() for c in match.group(2).split(";") if c.strip()]
        spans.append((length, length + len(span), codes))
        plain.append(span)
        length += len(span)
        cursor = match.end()
    plain.append(coded[cursor:])
    return "".join(plain), spans


def games_as_art_sentences(minimum: int = 15) -> Dataset:
    frame = pd.read_csv(TESTDATA / "games_as_art" / "bopp_test_coded_texts.csv", dtype=str)
    texts, rows, owners = [], [], []
    for number, coded in enumerate(frame["coded_text"].fillna("")):
        plain, spans = _plain_with_spans(coded)
        start = 0
        for piece in [*SENTENCE_END.split(plain)]:
            begin = plain.index(piece, start)
            end = begin + len(piece)
            start = end
            if not any(ch.isalnum() for ch in piece):
                continue
            codes = sorted({c for s, e, cs in spans if s < end and e > begin for c in cs})
            texts.append(piece.strip())
            rows.append(codes)
            owners.append(f"text{number}")
    codes = _frequent(rows, minimum)
    return _checked(
        Dataset(
            "games_as_art_sentences",
            "games-as-art (bopp_test_coded_texts.csv) as the review app sees a document: each "
            "sentence of the 90 answers is a unit (split after . ! ?), labelled with the codes "
            "of every highlighted span it overlaps (none for unhighlighted sentences); codes on "
            f"at least {minimum} sentences are kept; the same seeded third of the answers as "
            "for the spans is the evaluation split.",
            texts,
            _labels(rows, codes),
            codes,
            _group_split(owners),
            owners,
        )
    )


def exam_all_questions(minimum: int = 10) -> Dataset:
    texts, rows, respondents = [], [], []
    folder = TESTDATA / "exam_proctoring_survey" / "irr_inputs"
    for path in sorted(folder.glob("*_primary.csv")):
        answers, codes, ids = _exam_question(path.name)
        texts += answers
        rows += codes
        respondents += ids
    codes = _frequent(rows, minimum)
    return _checked(
        Dataset(
            "exam_all_questions",
            "exam-proctoring survey, all 14 questions' primary-coder files: each non-empty "
            "answer is a unit, labelled with the primary coder's top-level codes used on at "
            f"least {minimum} answers over all questions (an answer with only rarer codes is a "
            "negative for all); a seeded third of the respondents (all their answers) is the "
            "evaluation split.",
            texts,
            _labels(rows, codes),
            codes,
            _group_split(respondents),
            respondents,
        )
    )


def pdpilot_segments() -> Dataset:
    frame = pd.read_csv(TESTDATA / "pdpilot_ml_interviews" / "derived_coded_segments.csv")
    frame["category"] = frame["code_path"].str.split(" > ").str[0].str.strip()
    grouped = frame.groupby(["document", "segment"], sort=True)["category"].agg(
        lambda c: sorted(set(c))
    )
    documents = [doc for doc, _ in grouped.index]
    rows = list(grouped)
    codes = _frequent(rows, 8)
    return _checked(
        Dataset(
            "pdpilot_segments",
            "PDPilot interviews (derived_coded_segments.csv, MAXQDA export): each distinct coded "
            "segment is a unit, labelled with the top-level categories of its code paths; "
            "participants P6 and P7 are the evaluation split, P1-P5 the pool.",
            [segment.strip() for _, segment in grouped.index],
            _labels(rows, codes),
            codes,
            _group_split(documents, {"P6", "P7"}),
            documents,
        )
    )


def reported() -> list[Dataset]:
    datasets = [seed_corpus()]
    if TESTDATA.is_dir():
        datasets += [
            exam_proctoring(),
            exam_all_questions(),
            games_as_art_spans(),
            games_as_art_sentences(),
            pdpilot_segments(),
        ]
    return datasets
