"""The classifier shipped in models/seed-themes: loads offline, predicts, matches corpus/seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from autocode.classify import ThemeClassifier, data_hash
from autocode.corpus import load_corpus
from autocode.evaluation.methods import SHIPPED

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "seed-themes"


def test_shipped_model_was_trained_on_the_current_seed_corpus() -> None:
    model = ThemeClassifier.load(MODEL)
    texts, labels, _ = load_corpus(ROOT / "corpus" / "seed").theme_examples()
    assert model.training_["data_sha256"] == data_hash(texts, labels)
    card = json.loads((MODEL / "model.json").read_text())
    assert card["head"]["type"] == SHIPPED.head
    assert card["decision"]["min_themes"] == SHIPPED.min_themes
    macro = [
        row
        for row in card["metrics"]["excerpt_level"]
        if row["label"] == "macro" and row["metric"] == "kappa"
    ]
    assert macro and macro[0]["lo"] <= macro[0]["estimate"] <= macro[0]["hi"]


def test_shipped_model_predicts_clear_cases() -> None:
    model = ThemeClassifier.load(MODEL)
    predicted = model.predict(
        [
            "We retrain the model every month because the incoming data drifts.",
            "The client expected 100% accuracy, which was unrealistic.",
            "Simmer the onions in butter for ten minutes.",
        ]
    )
    assert predicted.loc[0, "T5"] == 1
    assert predicted.loc[1, "T4"] == 1
    assert predicted.loc[2].sum() == 0  # off topic: the novelty gate gives it no theme


def test_shipped_model_loads_with_the_hub_unreachable(tmp_path: Path) -> None:
    script = (
        "from autocode.classify import ThemeClassifier;"
        f"m = ThemeClassifier.load({str(MODEL)!r});"
        "print(m.predict(['We retrain the model monthly.']).iloc[0].tolist())"
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "empty-hf-home"),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().endswith("1]")
