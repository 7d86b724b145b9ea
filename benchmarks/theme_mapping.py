"""Which theme does a candidate code map to? Two rules against the seed study's human themes.

The 129 theme-coded seed utterances are clustered into candidate codes (autocode's defaults), and
each code's theme is compared with the human theme most of its utterances carry. A code's theme
probabilities are the mean of its utterances' OUT-OF-FOLD probabilities from leave-one-participant-
out runs of the shipped classifier (no utterance is scored by a model that saw its participant),
read with the shipped model's per-theme thresholds.

- "threshold" (the earlier rule): the most probable theme whose mean reaches its threshold,
  else no theme.
- "classifier decision" (autocode now): the classifier's own decision rule applied to the mean
  (`ThemeClassifier.decide`); the shipped classifier always gives its top theme, so this is the
  most probable theme.
- "plurality of units" (reference only): the theme most utterances get as their top theme.

    .venv/bin/python benchmarks/theme_mapping.py      # writes results/theme_mapping.json
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from autocode.classify import ThemeClassifier
from autocode.cluster import find_candidate_codes
from autocode.corpus import load_corpus
from autocode.embed import Embedder, EmbeddingCache
from autocode.evaluation import corpus_facts, cross_validate
from autocode.evaluation.methods import SHIPPED, classifier_method
from autocode.types import Unit
from autocode.versions import package_versions

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "theme_mapping.json"
RULES = ("threshold", "classifier decision", "plurality of units")


def code_themes(mean: pd.Series, top_themes: pd.Series, model: ThemeClassifier) -> dict:
    """The theme of one code under each rule (None: no theme)."""
    order = mean.sort_values(ascending=False, kind="stable").index
    reaching = [t for t in order if mean[t] >= model.thresholds_[model.theme_ids_.index(t)]]
    given = model.decide(mean.to_frame().T).iloc[0]
    decided = [t for t in order if given[t]]
    return {
        "threshold": reaching[0] if reaching else None,
        "classifier decision": decided[0] if decided else None,
        "plurality of units": top_themes.value_counts().sort_index().idxmax(),
    }


def main() -> None:
    corpus = load_corpus(ROOT / "corpus" / "seed")
    embedder = Embedder(cache=EmbeddingCache(ROOT / ".cache" / "benchmark-embeddings.sqlite"))
    model = ThemeClassifier.load(ROOT / "models" / "seed-themes")
    result = cross_validate(corpus, classifier_method(corpus, embedder, SHIPPED))
    proba = result.proba.reset_index(drop=True)
    truth = result.truth.reset_index(drop=True)
    units = [
        Unit(group, i, group, 0, len(text), text)
        for i, (text, group) in enumerate(zip(result.texts, result.groups, strict=True))
    ]
    codes = find_candidate_codes(units, embedder.encode(result.texts))
    top_themes = proba.idxmax(axis=1)
    rows = []
    for code in codes.codes:
        members = list(code.unit_indices)
        human = truth.iloc[members].sum()
        rows.append(
            {
                "code": code.id,
                "size": code.size,
                "label": code.label,
                "human_majority": human.idxmax(),
                "human_majority_share": round(float(human.max() / code.size), 3),
                "mean_probability": proba.iloc[members].mean().round(4).to_dict(),
                **code_themes(proba.iloc[members].mean(), top_themes.iloc[members], model),
            }
        )
    frame = pd.DataFrame(rows)
    summary = {}
    for rule in RULES:
        match = (frame[rule] == frame["human_majority"]).to_numpy()
        summary[rule] = {
            "codes_matching_the_human_majority": int(match.sum()),
            "codes": len(frame),
            "codes_without_theme": int(frame[rule].isna().sum()),
            "utterances_in_matching_codes": round(
                float(np.sum(match * frame["size"]) / frame["size"].sum()), 3
            ),
        }
    document = {
        "benchmark": "theme_mapping",
        "corpus": corpus_facts(corpus),
        "thresholds": dict(zip(model.theme_ids_, map(float, model.thresholds_), strict=True)),
        "rules": summary,
        "codes": rows,
        "versions": package_versions(),
    }
    RESULTS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for rule, numbers in summary.items():
        print(
            f"{rule}: {numbers['codes_matching_the_human_majority']} of {numbers['codes']} codes "
            f"match the human majority theme ({numbers['codes_without_theme']} without a theme)"
        )


if __name__ == "__main__":
    main()
