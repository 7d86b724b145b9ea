"""Quality benchmark: leave-one-participant-out agreement of every method on the seed corpus.

Writes benchmarks/results/quality.json (every method, every metric with its 95% interval, wall
time, versions) and prints the Markdown summary the README quotes. All methods run on the same
folds; every threshold and hyper-parameter is chosen inside the training folds.

    .venv/bin/python benchmarks/quality.py [--resamples 1000] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from autocode.agreement import per_label_agreement
from autocode.corpus import load_corpus
from autocode.embed import Embedder, EmbeddingCache
from autocode.evaluation import Method, corpus_facts, cross_validate, summarise
from autocode.evaluation.methods import (
    SHIPPED,
    ClassifierSettings,
    baseline_methods,
    classifier_method,
)
from autocode.report.evaluation import summary_table
from autocode.versions import package_versions
from variants import LexicalEnsemble, SentenceAugmented

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "quality.json"
FRAGMENT_WORDS = 4

VARIANTS: dict[str, ClassifierSettings] = {
    "theme-classifier": SHIPPED,
    "shipped without the novelty gate": replace(SHIPPED, novelty_quantile=None),
    "shipped with weak weight 0.2 (picked after looking: not a fair estimate)": replace(
        SHIPPED, weak_weight=0.2
    ),
    "softmax, C and weak weight by inner CV, top-1": replace(SHIPPED, c="auto", weak_weight="auto"),
    "softmax, quotes only, top-1": replace(
        SHIPPED, paraphrases=False, definitions=False, novelty_quantile=None
    ),
    "ovr, quotes only": ClassifierSettings(head="ovr", paraphrases=False, definitions=False),
    "ovr, + paraphrases + definitions": ClassifierSettings(head="ovr", weak_weight=0.5),
    "ovr, C and weak weight by inner CV": ClassifierSettings(
        head="ovr", c="auto", weak_weight="auto"
    ),
}


def fragment_breakdown(result) -> dict[str, object]:
    """Agreement on short fragments ("super useful") versus longer utterances."""
    words = np.array([len(text.split()) for text in result.texts])
    out: dict[str, object] = {"fragment_max_words": FRAGMENT_WORDS}
    for name, mask in (("fragments", words <= FRAGMENT_WORDS), ("longer", words > FRAGMENT_WORDS)):
        truth, predicted = result.truth[mask], result.predicted[mask]
        table = per_label_agreement(truth, predicted)
        hit = (truth.to_numpy() & predicted.to_numpy()).any(axis=1)
        out[name] = {
            "n": int(mask.sum()),
            "macro_kappa": round(float(table.loc["macro", "kappa"]), 4),
            "share_with_the_human_theme_predicted": round(float(hit.mean()), 4),
            "themes_predicted_per_utterance": round(float(predicted.to_numpy().sum(1).mean()), 3),
        }
    return out


def unshipped_ideas(corpus, embedder: Embedder) -> list[Method]:
    """The ideas of benchmarks/variants.py, on the shipped settings without the novelty gate."""
    settings = replace(SHIPPED, novelty_quantile=None)
    weak = classifier_method(corpus, embedder, settings).weak
    return [
        Method(
            "ensemble with TF-IDF (equal weights), top-1",
            "mean of the shipped classifier's probabilities (no novelty gate) and a TF-IDF "
            "multinomial logistic regression's; top-1 theme",
            lambda: LexicalEnsemble(settings.build(embedder)),
            weak=weak,
        ),
        Method(
            "+ sentences of long quotes as weak examples, top-1",
            "shipped classifier (no novelty gate) with each sentence of a multi-sentence "
            "training quote as a weak example; top-1 theme",
            lambda: SentenceAugmented(settings.build(embedder)),
            weak=weak,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--only", nargs="*", help="run only these method names")
    args = parser.parse_args()
    torch.set_num_threads(2)

    corpus = load_corpus(ROOT / "corpus" / "seed")
    cache = EmbeddingCache(ROOT / ".cache" / "benchmark-embeddings.sqlite")
    embedder = Embedder(cache=cache)
    methods = [classifier_method(corpus, embedder, s, name) for name, s in VARIANTS.items()]
    methods += unshipped_ideas(corpus, embedder)
    methods += baseline_methods(corpus, embedder)
    if args.only:
        methods = [m for m in methods if m.name in args.only]

    texts, _, _ = corpus.theme_examples()
    started = time.perf_counter()
    embedder.encode(texts)  # load the model once, outside every method's timing
    load_seconds = time.perf_counter() - started

    summaries = []
    for method in methods:
        print(f"cross-validating {method.name} ...", file=sys.stderr, flush=True)
        result = cross_validate(corpus, method)
        summary = summarise(
            corpus, result, description=method.description, n_resamples=args.resamples
        )
        summary["fragments"] = fragment_breakdown(result)
        summaries.append(summary)

    document = {
        "benchmark": "quality",
        "corpus": corpus_facts(corpus),
        "protocol": {
            "cross_validation": "leave-one-participant-out cross-validation",
            "thresholds": "every threshold and hyper-parameter chosen by inner "
            "leave-one-participant-out on the training participants only",
            "intervals": f"percentile bootstrap over participants, {args.resamples} resamples",
            "n_resamples": args.resamples,
            "seed": 0,
        },
        "machine": {
            "platform": platform.platform(),
            "cpu_count": __import__("os").cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "model_load_and_embed_seconds": round(load_seconds, 2),
        },
        "versions": package_versions(),
        "methods": summaries,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(summary_table(document))


if __name__ == "__main__":
    main()
