"""Does fine-tuning the embedder help? A SetFit-style contrastive run on the seed corpus.

Same leave-one-participant-out folds as benchmarks/quality.py. In every fold, the last two
transformer layers of all-MiniLM-L6-v2 are tuned on pairs of training utterances (same theme:
cosine target 1, different themes: 0; CosineSimilarityLoss as in SetFit), then a class-balanced
multinomial logistic regression on the tuned embeddings predicts the most probable theme. Nothing
from the held-out participant is seen. The run is CPU-bound: about 5-20 minutes per fold on 2
shared cores, so it is a benchmark, not something autocode ships (a tuned embedder would also make
every pipeline embed twice: once for clustering and evidence, once for the classifier).

    .venv/bin/python benchmarks/finetune.py [--pairs 6] [--resamples 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer
from sklearn.linear_model import LogisticRegression

from autocode.corpus import load_corpus
from autocode.embed import resolve_model_path
from autocode.evaluation import Method, corpus_facts, cross_validate, summarise
from autocode.versions import package_versions
from variants import TopOneTheme

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "finetune.json"
TUNED_LAYERS = (4, 5)
BATCH_SIZE = 16
LEARNING_RATE = 5e-5
MAX_SEQ_LENGTH = 128


class FineTunedClassifier(TopOneTheme):
    """Contrastively tuned MiniLM + multinomial logistic regression, top-1 theme."""

    def __init__(self, pairs_per_text: int, seed: int = 0) -> None:
        self.pairs_per_text = pairs_per_text
        self.seed = seed

    def _pairs(self, texts: list[str], classes: np.ndarray) -> list[tuple[str, str, float]]:
        rng = random.Random(self.seed)
        members = {
            k: [t for t, c in zip(texts, classes, strict=True) if c == k] for k in set(classes)
        }
        pairs = []
        for text, label in zip(texts, classes, strict=True):
            others = [k for k in members if k != label]
            for _ in range(self.pairs_per_text // 2):
                pairs.append((text, rng.choice(members[label]), 1.0))
                if others:
                    pairs.append((text, rng.choice(members[rng.choice(others)]), 0.0))
        rng.shuffle(pairs)
        return pairs

    def fit(self, texts, labels, *, groups=None, weak=None, theme_ids=None):
        torch.manual_seed(self.seed)
        self.theme_ids_ = list(labels.columns)
        classes = labels.to_numpy().argmax(axis=1)
        model = SentenceTransformer(resolve_model_path(None), device="cpu")
        model.max_seq_length = MAX_SEQ_LENGTH
        for name, parameter in model.named_parameters():
            parameter.requires_grad = any(f"layer.{i}." in name for i in TUNED_LAYERS)
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=LEARNING_RATE)
        model.train()
        pairs = self._pairs(list(texts), classes)
        for start in range(0, len(pairs), BATCH_SIZE):
            batch = pairs[start : start + BATCH_SIZE]
            left = model(model.tokenize([p[0] for p in batch]))["sentence_embedding"]
            right = model(model.tokenize([p[1] for p in batch]))["sentence_embedding"]
            target = torch.tensor([p[2] for p in batch])
            loss = F.mse_loss(F.cosine_similarity(left, right), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        self.model_ = model
        head = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000)
        self.head_ = head.fit(self._encode(list(texts)), classes)
        return self

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        with torch.no_grad():
            return self.model_.encode(list(texts), normalize_embeddings=True)

    def predict_proba(self, texts) -> pd.DataFrame:
        proba = np.zeros((len(texts), len(self.theme_ids_)))
        proba[:, self.head_.classes_] = self.head_.predict_proba(self._encode(texts))
        return pd.DataFrame(proba, columns=self.theme_ids_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=6, help="pairs per training utterance")
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    torch.set_num_threads(2)
    corpus = load_corpus(ROOT / "corpus" / "seed")
    method = Method(
        name=f"fine-tuned MiniLM (layers {TUNED_LAYERS}, {args.pairs} pairs/utterance), top-1",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
        build=lambda: FineTunedClassifier(args.pairs),
    )
    started = time.time()
    load = os.getloadavg()
    result = cross_validate(corpus, method)
    summary = summarise(corpus, result, description=method.description, n_resamples=args.resamples)
    document = {
        "benchmark": "finetune",
        "corpus": corpus_facts(corpus),
        "settings": {
            "pairs_per_utterance": args.pairs,
            "tuned_layers": TUNED_LAYERS,
            "batch_size": BATCH_SIZE,
            "learning_rate": LEARNING_RATE,
            "max_seq_length": MAX_SEQ_LENGTH,
            "weak_examples": "none (quotes only)",
        },
        "machine": {
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "load_average_at_start": [round(x, 2) for x in load],
            "wall_seconds": round(time.time() - started, 1),
        },
        "versions": package_versions(),
        "methods": [summary],
    }
    RESULTS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    macro = next(
        r for r in summary["excerpt_level"] if r["label"] == "macro" and r["metric"] == "kappa"
    )
    print(f"{method.name}: macro kappa {macro['estimate']} [{macro['lo']}, {macro['hi']}]")


if __name__ == "__main__":
    main()
