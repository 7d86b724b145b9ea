"""Candidate codes against human codes and against BERTopic 0.17.4 at its best documented
configuration, on every human-coded dataset of ../shared/testdata plus the seed corpus.

    nice .venv/bin/python benchmarks/open_coding.py   # -> benchmarks/results/open_coding.json

Datasets (units are what the humans coded; each unit's human code is the least used of its
codes in that dataset, i.e. the most specific one; units without a code are clustered but not
scored):
- seed: the 129 theme-coded utterances of corpus/seed, one of five themes each.
- ml_interviews: the 470 paragraphs of ML-practitioner interviews 7, 12, 19 and 30, coded in
  Delve by two coders each (PO, and Rached or Ilan); scored against each coder.
- qc_cs_education: the 158 distinct coded line spans of the qc demo project (2 transcripts).
- pdpilot: the 228 MAXQDA coded segments of 7 data-scientist interviews ("Anonymize" left out).
- games_as_art: the 325 highlighted spans of 90 open-ended answers.

Methods, all on the same all-MiniLM-L6-v2 vectors:
- autocode_0.1: find_candidate_codes as it was (no small-talk rule, no outlier reduction).
- autocode: the shipped defaults (small talk apart, outlier reduction, phrase labels).
- bertopic: BERTopic 0.17.4 as its "best practices" page sets it up: pre-computed embeddings,
  UMAP(n_neighbors=15, n_components=5, min_dist=0, metric=cosine, random_state=seed),
  HDBSCAN(min_cluster_size = autocode's min_cluster_size for the dataset, eom),
  CountVectorizer(stop_words="english", ngram_range=(1, 2)), representations KeyBERTInspired
  (main) and MaximalMarginalRelevance(diversity=0.3), then reduce_outliers(strategy=
  "embeddings") and update_topics with the same vectorizer and representations. One fit per
  seed; "bertopic_before_reduction" is the same fit before reduce_outliers.

Measures: NMI and ARI against the human codes on the coded units (units in no code count as one
cluster), the share of all units without a code, the number of codes, the share of units in
codes that autocode's small-talk rule flags and the codes that are mostly such units (the rule
is autocode's own, so autocode's 0 there is by construction; it says how much small talk the
others put into codes), and time (clustering and labelling, embeddings excluded; also as a ratio
to BERTopic's time in the same run). Label check: for each code, the cosine similarity (same
embedder) between its label and the name of the human code most of its coded units carry;
autocode's label is its phrase, BERTopic's the first KeyBERTInspired word (its label) and, as a
second reading, its first three words.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autocode.cluster import ClusterConfig, find_candidate_codes, scaled_parameters
from autocode.cluster.agreement import cluster_agreement
from autocode.cluster.keywords import tokenize
from autocode.cluster.small_talk import PROTOTYPES, small_talk_reasons
from autocode.cluster.themes import nearest_similarity
from autocode.corpus import load_corpus
from autocode.embed import Embedder, EmbeddingCache, default_cache_path
from autocode.io.refi_import import import_qdpx
from autocode.types import Unit
from machine import machine_facts

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO.parent / "shared" / "testdata"
RESULTS = REPO / "benchmarks" / "results" / "open_coding.json"
CODED = TESTDATA / "coded"
SEEDS = (0, 1, 2)
TODAY = ClusterConfig(small_talk=False, assign_outliers=False, hierarchy=False)
BENCH_PACKAGES = ("bertopic", "umap-learn", "numba", "pynndescent", "hdbscan")


@dataclass
class Dataset:
    name: str
    units: list[Unit]
    human: dict[str, list[str | None]]  # coder -> each unit's code (None: not coded)
    code_names: dict[str, str]  # code -> a readable name for the label check


def _units(texts: Sequence[str], sources: Sequence[str]) -> list[Unit]:
    return [
        Unit(s, i, s, 0, len(t), t) for i, (t, s) in enumerate(zip(texts, sources, strict=True))
    ]


def _most_specific(code_lists: Sequence[Sequence[str]]) -> list[str | None]:
    """Each unit's least used code in the dataset (ties: the first listed); None if uncoded."""
    used = Counter(code for codes in code_lists for code in codes)
    return [
        min(codes, key=lambda c: (used[c], codes.index(c))) if codes else None
        for codes in code_lists
    ]


def _readable(code: str) -> str:
    code = re.sub(r"\s*\[[^\]]*\]", "", code)  # "ML-pipeline-issues [MLP]"
    return re.sub(r"[-_]+", " ", code).strip()


def seed() -> Dataset:
    corpus = load_corpus(REPO / "corpus" / "seed")
    texts, labels, groups = corpus.theme_examples()
    human = [str(labels.columns[row.argmax()]) for row in labels.to_numpy()]
    names = {code.id: code.name for code in corpus.codebook.codes}
    return Dataset("seed", _units(texts, groups), {"authors": human}, names)


def ml_interviews() -> Dataset:
    rows = pd.read_csv(CODED / "ml_quality_interviews" / "derived_codings_from_pdfs.csv")
    rows = rows[rows["role"] == "codings"].copy()
    rows["codes"] = rows["codes"].fillna("")
    paragraphs = rows.drop_duplicates(["interview", "paragraph_index"]).sort_values(
        ["interview", "paragraph_index"]
    )
    keys = list(zip(paragraphs["interview"], paragraphs["paragraph_index"], strict=True))
    texts = paragraphs["text"].astype(str).tolist()
    sources = [f"Interview_{i}" for i, _ in keys]
    human: dict[str, list[str | None]] = {}
    for slot in ("first", "second"):
        lists = []
        for interview, index in keys:
            coders = sorted(rows.loc[rows["interview"] == interview, "coder"].unique())
            coder = "PO" if slot == "first" else next(c for c in coders if c != "PO")
            found = rows[
                (rows["interview"] == interview)
                & (rows["paragraph_index"] == index)
                & (rows["coder"] == coder)
            ]
            codes = found["codes"].iloc[0] if len(found) else ""
            lists.append([c.strip() for c in codes.split(";") if c.strip()])
        human["PO" if slot == "first" else "Rached/Ilan"] = _most_specific(lists)
    names = {code: _readable(code) for codes in human.values() for code in codes if code}
    return Dataset("ml_interviews", _units(texts, sources), human, names)


def qc_cs_education() -> Dataset:
    project = import_qdpx(TESTDATA / "refi_qda" / "projects" / "qc132_cs-education-demo.qdpx")
    texts = {t.id: t.text for t in project.transcripts}
    names = {code.id: code.name for code in project.codebook.codes}
    spans: dict[tuple[str, int, int], list[str]] = {}
    for coding in project.codings:
        spans.setdefault((coding.transcript_id, coding.start, coding.end), []).append(
            names[coding.code_id]
        )
    keys = sorted(spans)
    units = _units([" ".join(texts[t][s:e].split()) for t, s, e in keys], [t for t, _, _ in keys])
    human = _most_specific([spans[key] for key in keys])
    readable = {code: _readable(code) for code in set(human) if code}
    return Dataset("qc_cs_education", units, {"qc": human}, readable)


def pdpilot() -> Dataset:
    rows = pd.read_csv(CODED / "pdpilot_ml_interviews" / "derived_coded_segments.csv")
    rows = rows[~rows["code_path"].str.startswith("Anonymize")]
    grouped: dict[tuple[str, str], list[str]] = {}
    for row in rows.itertuples(index=False):
        text = " ".join(str(row.segment).split())
        grouped.setdefault((row.document, text), []).append(row.code_path)
    keys = list(grouped)
    human = _most_specific([grouped[key] for key in keys])
    names = {code: code.split(">")[-1].strip() for code in set(human) if code}
    return Dataset(
        "pdpilot", _units([t for _, t in keys], [d for d, _ in keys]), {"team": human}, names
    )


SPAN = re.compile(r"\*\*(.+?)\*\*<sup>(.*?)</sup>", re.DOTALL)


def games_as_art() -> Dataset:
    rows = pd.read_csv(CODED / "games_as_art" / "bopp_test_coded_texts.csv", encoding="utf-8")
    texts, sources, lists = [], [], []
    for k, coded in enumerate(rows["coded_text"].astype(str)):
        for span, codes in SPAN.findall(coded):
            texts.append(" ".join(span.split()))
            sources.append(f"answer_{k + 1}")
            lists.append([c.strip() for c in codes.split(";") if c.strip()])
    human = _most_specific(lists)
    names = {code: code for code in set(human) if code}
    return Dataset("games_as_art", _units(texts, sources), {"coder": human}, names)


# --- methods -----------------------------------------------------------------------------------


class _BackendEmbedder:
    """autocode's Embedder as a BERTopic backend (same vectors)."""

    def __init__(self, embedder: Embedder) -> None:
        from bertopic.backend import BaseEmbedder

        class Backend(BaseEmbedder):
            def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
                return embedder.encode(list(documents))

        self.backend = Backend()


def run_autocode(
    data: Dataset,
    vectors: np.ndarray,
    embedder: Embedder,
    config: ClusterConfig,
    with_embedder: bool,
) -> dict[str, Any]:
    start = time.perf_counter()
    codes = find_candidate_codes(
        data.units, vectors, config=config, embedder=embedder if with_embedder else None
    )
    seconds = time.perf_counter() - start
    labels = codes.labels
    names = [code.label for code in codes.codes]
    return {
        "labels": labels,
        "names": names,
        "names_top3": names,
        "seconds": seconds,
        "codes": codes,
    }


def run_bertopic(
    data: Dataset, vectors: np.ndarray, embedder: Embedder, size: int, seed_value: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    from bertopic import BERTopic
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    docs = [unit.text for unit in data.units]

    def parts() -> dict[str, Any]:
        return {
            "vectorizer_model": CountVectorizer(stop_words="english", ngram_range=(1, 2)),
            "representation_model": {
                "Main": KeyBERTInspired(),
                "MMR": MaximalMarginalRelevance(diversity=0.3),
            },
        }

    start = time.perf_counter()
    model = BERTopic(
        embedding_model=_BackendEmbedder(embedder).backend,
        umap_model=UMAP(
            n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed_value
        ),
        hdbscan_model=HDBSCAN(
            min_cluster_size=size,
            metric="euclidean",
            cluster_selection_method="eom",
            prediction_data=True,
        ),
        min_topic_size=size,
        **parts(),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        topics, _ = model.fit_transform(docs, embeddings=vectors)
        before = np.asarray(topics, dtype=int)
        fitted = time.perf_counter() - start
        reduced = model.reduce_outliers(docs, topics, strategy="embeddings", embeddings=vectors)
        model.update_topics(docs, topics=reduced, **parts())
    seconds = time.perf_counter() - start
    after = np.asarray(reduced, dtype=int)

    def named(labels: np.ndarray) -> tuple[list[str], list[str]]:
        ids = sorted(set(labels.tolist()) - {-1})
        words = [[w for w, _ in model.get_topic(t) or []] for t in ids]
        return [w[0] if w else "" for w in words], [", ".join(w[:3]) for w in words]

    def compact(labels: np.ndarray) -> np.ndarray:
        ids = sorted(set(labels.tolist()) - {-1})
        index = {t: k for k, t in enumerate(ids)}
        return np.array([index.get(int(t), -1) for t in labels], dtype=int)

    top1, top3 = named(after)
    result = {"labels": compact(after), "names": top1, "names_top3": top3, "seconds": seconds}
    return result, {"labels": compact(before), "names": [], "names_top3": [], "seconds": fitted}


# --- measures ----------------------------------------------------------------------------------


def label_similarity(
    labels: np.ndarray,
    names: Sequence[str],
    human: Sequence[str | None],
    code_names: dict[str, str],
    embedder: Embedder,
) -> float | None:
    """Mean over codes of cos(label, name of the human code most of its coded units carry)."""
    pairs = []
    for j, name in enumerate(names):
        coded = [human[i] for i in np.flatnonzero(labels == j) if human[i] is not None]
        if coded and name:
            majority = Counter(coded).most_common(1)[0][0]
            pairs.append((name, code_names.get(majority, majority)))
    if not pairs:
        return None
    a = embedder.encode([p[0] for p in pairs])
    b = embedder.encode([p[1] for p in pairs])
    return float(np.mean(np.sum(a * b, axis=1)))


def measures(
    data: Dataset, run: dict[str, Any], talk: np.ndarray, embedder: Embedder
) -> dict[str, Any]:
    labels = run["labels"]
    record: dict[str, Any] = {
        "codes": int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0,
        "share_without_code": round(float((labels < 0).mean()), 4),
        "seconds": round(run["seconds"], 3),
    }
    in_codes = labels >= 0
    record["small_talk_share_in_codes"] = (
        round(float(talk[in_codes].mean()), 4) if in_codes.any() else 0.0
    )
    record["codes_mostly_small_talk"] = sum(
        1 for j in range(record["codes"]) if talk[labels == j].mean() > 0.5
    )
    for coder, human in data.human.items():
        coded = np.array([code is not None for code in human])
        agreement = cluster_agreement(labels[coded], [h for h in human if h is not None], True)
        record[coder] = {
            "nmi": round(agreement.nmi, 4),
            "ari": round(agreement.ari, 4),
            "coded_units": int(coded.sum()),
            "coded_units_without_code": int((labels[coded] < 0).sum()),
        }
        if run["names"]:
            sim = label_similarity(labels, run["names"], human, data.code_names, embedder)
            record[coder]["label_similarity"] = None if sim is None else round(sim, 4)
            sim3 = label_similarity(labels, run["names_top3"], human, data.code_names, embedder)
            record[coder]["label_similarity_top3"] = None if sim3 is None else round(sim3, 4)
    return record


def small_talk_flags(data: Dataset, vectors: np.ndarray, embedder: Embedder) -> np.ndarray:
    texts = [unit.text for unit in data.units]
    prototypes = embedder.encode(list(PROTOTYPES))
    reasons = small_talk_reasons(texts, tokenize(texts), nearest_similarity(vectors, prototypes))
    return np.array([bool(r) for r in reasons])


def _mean(records: list[dict[str, Any]], *path: str) -> float | None:
    values = []
    for record in records:
        value: Any = record
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            values.append(float(value))
    return round(statistics.mean(values), 4) if values else None


def benchmark_dataset(data: Dataset, embedder: Embedder, seeds: Sequence[int]) -> dict[str, Any]:
    vectors = embedder.encode([unit.text for unit in data.units])
    talk = small_talk_flags(data, vectors, embedder)
    size = scaled_parameters(len(data.units)).min_cluster_size
    today = run_autocode(data, vectors, embedder, TODAY, with_embedder=False)
    shipped = run_autocode(data, vectors, embedder, ClusterConfig(), with_embedder=True)
    result: dict[str, Any] = {
        "units": len(data.units),
        "coded_units": {c: sum(h is not None for h in v) for c, v in data.human.items()},
        "human_codes": {c: len({h for h in v if h}) for c, v in data.human.items()},
        "small_talk_units_by_autocode_rule": int(talk.sum()),
        "min_cluster_size": size,
        "autocode_0.1": measures(data, today, talk, embedder),
        "autocode": measures(data, shipped, talk, embedder),
    }
    codes = shipped["codes"]
    result["autocode"]["unassigned_share"] = round(len(codes.unassigned) / len(data.units), 4)
    result["autocode"]["small_talk_share"] = round(len(codes.small_talk) / len(data.units), 4)
    result["autocode"]["code_groups"] = len(codes.groups)
    result["autocode"]["labels"] = [code.label for code in codes.codes]
    runs, befores = [], []
    for seed_value in seeds:
        after, before = run_bertopic(data, vectors, embedder, size, seed_value)
        runs.append({"seed": seed_value, **measures(data, after, talk, embedder)})
        befores.append({"seed": seed_value, **measures(data, before, talk, embedder)})
        runs[-1]["labels"] = after["names_top3"]
    result["bertopic"] = {"runs": runs}
    result["bertopic_before_reduction"] = {"runs": befores}
    summary: dict[str, Any] = {}
    for coder in data.human:
        summary[coder] = {
            "nmi": {
                "autocode_0.1": result["autocode_0.1"][coder]["nmi"],
                "autocode": result["autocode"][coder]["nmi"],
                "bertopic_mean": _mean(runs, coder, "nmi"),
                "bertopic_max": max(r[coder]["nmi"] for r in runs),
            },
            "ari": {
                "autocode_0.1": result["autocode_0.1"][coder]["ari"],
                "autocode": result["autocode"][coder]["ari"],
                "bertopic_mean": _mean(runs, coder, "ari"),
            },
            "label_similarity": {
                "autocode": result["autocode"][coder].get("label_similarity"),
                "bertopic_mean": _mean(runs, coder, "label_similarity"),
                "bertopic_top3_mean": _mean(runs, coder, "label_similarity_top3"),
            },
        }
    summary["share_without_code"] = {
        "autocode_0.1": result["autocode_0.1"]["share_without_code"],
        "autocode": result["autocode"]["share_without_code"],
        "bertopic_mean": _mean(runs, "share_without_code"),
        "bertopic_before_reduction_mean": _mean(befores, "share_without_code"),
    }
    summary["codes"] = {
        "autocode": result["autocode"]["codes"],
        "bertopic_mean": _mean(runs, "codes"),
    }
    summary["seconds"] = {
        "autocode": result["autocode"]["seconds"],
        "bertopic_mean": _mean(runs, "seconds"),
        "autocode_over_bertopic": round(
            result["autocode"]["seconds"] / max(_mean(runs, "seconds") or 1e-9, 1e-9), 3
        ),
    }
    result["summary"] = summary
    return result


def goals(results: dict[str, Any]) -> dict[str, Any]:
    """The issue's goals, checked dataset by dataset (the first coder where there are two)."""
    rows = {}
    for name, result in results.items():
        coders = [
            c
            for c in result["summary"]
            if isinstance(result["summary"][c], dict) and "nmi" in result["summary"][c]
        ]
        nmi = {c: result["summary"][c]["nmi"] for c in coders}
        labels = {c: result["summary"][c]["label_similarity"] for c in coders}
        rows[name] = {
            "without_code_at_most_15pct": result["autocode"]["share_without_code"] <= 0.15,
            "nmi_not_below_0.1": all(v["autocode"] >= v["autocode_0.1"] for v in nmi.values()),
            "nmi_above_bertopic_mean": all(
                v["autocode"] > v["bertopic_mean"] for v in nmi.values()
            ),
            "no_code_mostly_small_talk": result["autocode"]["codes_mostly_small_talk"] == 0,
            "labels_closer_than_bertopic": all(
                (v["autocode"] or 0) > (v["bertopic_mean"] or 0) for v in labels.values()
            ),
        }
    above = sum(row["nmi_above_bertopic_mean"] for row in rows.values())
    return {
        "per_dataset": rows,
        "datasets_nmi_above_bertopic": above,
        "nmi_above_bertopic_on_at_least_3": above >= 3,
        "all_at_most_15pct_without_code": all(
            r["without_code_at_most_15pct"] for r in rows.values()
        ),
        "nmi_never_below_0.1": all(r["nmi_not_below_0.1"] for r in rows.values()),
        "labels_closer_on_average": statistics.mean(
            (results[n]["summary"][c]["label_similarity"]["autocode"] or 0)
            - (results[n]["summary"][c]["label_similarity"]["bertopic_mean"] or 0)
            for n in results
            for c in results[n]["summary"]
            if isinstance(results[n]["summary"][c], dict)
            and "label_similarity" in results[n]["summary"][c]
        )
        > 0,
    }


LOADERS = {
    "seed": seed,
    "ml_interviews": ml_interviews,
    "qc_cs_education": qc_cs_education,
    "pdpilot": pdpilot,
    "games_as_art": games_as_art,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="BERTopic seeds (0, 1, ...)")
    parser.add_argument("--datasets", default=",".join(LOADERS), help="comma-separated")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not TESTDATA.is_dir():
        raise SystemExit(f"{TESTDATA} not found: the benchmark needs ../shared/testdata")
    embedder = Embedder(cache=EmbeddingCache(default_cache_path()))
    seeds = list(range(args.seeds))
    # Warm-up, not timed: loading the embedder, and numba compiling UMAP in BERTopic's first fit.
    warm = seed()
    warm_vectors = embedder.encode([unit.text for unit in warm.units])
    run_autocode(warm, warm_vectors, embedder, ClusterConfig(), with_embedder=True)
    run_bertopic(warm, warm_vectors, embedder, 4, 0)
    results = {}
    for name in args.datasets.split(","):
        started = time.perf_counter()
        results[name] = benchmark_dataset(LOADERS[name](), embedder, seeds)
        print(
            f"{name}: {time.perf_counter() - started:.0f} s", json.dumps(results[name]["summary"])
        )
    document = {
        "benchmark": "open_coding",
        "settings": {
            "seeds": seeds,
            "autocode_0.1": {"small_talk": False, "assign_outliers": False},
            "autocode": "ClusterConfig() defaults, with the embedder",
            "bertopic": "see the module docstring",
            "human_code_per_unit": "the least used of the unit's codes in the dataset",
        },
        "machine": machine_facts(BENCH_PACKAGES),
        "datasets": results,
        "goals": goals(results),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    print(json.dumps(document["goals"], indent=2))


if __name__ == "__main__":
    main()
