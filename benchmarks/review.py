"""Label efficiency of the review loop, by simulation (issue 12, "Measure", first bullet).

An oracle answers each card with the human coding. The loop starts from 3 hand-coded examples
per code, retrains the review learner after each batch of 10 decisions and measures macro kappa
on held-out units the loop never shows; the review queue's default "active" order is compared
with random order, 5 seeds each (a seed fixes the start examples, shared by both orders).
Datasets and how their units and labels were formed: benchmarks/review_data.py.

`--select` reruns how the active strategy was chosen: every candidate of
benchmarks/review_strategies.py on a split *inside each pool* (a seeded third of the pool's
groups as a pseudo-evaluation set), never on the evaluation split; the strategy with the largest
mean gain in area under the curve over random order became order_queue's default.

Writes only its own keys of benchmarks/results/review.json (the app's "speed" key stays), and
docs/img/review-curves.png. Run: `.venv/bin/python benchmarks/review.py [--select]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from autocode.embed import Embedder, EmbeddingCache, default_cache_path
from autocode.review.simulate import (
    BATCH_SIZE,
    START_PER_CODE,
    QueryRule,
    full_pool_kappa,
    labels_to_reach,
    random_rule,
    simulate_review,
)
from machine import machine_facts
from review_data import REPO, Dataset, reported

RESULTS = REPO / "benchmarks" / "results" / "review.json"
FIGURE = REPO / "docs" / "img" / "review-curves.png"
SEEDS = 5
REACH = 0.95
MAX_POOL_SHARE = 0.40
MAX_RATIO_TO_RANDOM = 0.75
INNER_SPLIT_SEED = 7


def curves(
    dataset: Dataset, vectors: np.ndarray, rule: QueryRule | str, in_pool: np.ndarray
) -> tuple[list[int], np.ndarray]:
    """Label counts and the (seeds x points) kappa matrix of one order on one split."""
    pool, held = in_pool, ~in_pool
    runs = [
        simulate_review(
            vectors[pool],
            dataset.labels[pool],
            vectors[held],
            dataset.labels[held],
            dataset.code_ids,
            rule,
            seed=seed,
        )
        for seed in range(SEEDS)
    ]
    return runs[0].labels, np.array([run.kappa for run in runs])


def order_summary(labels: list[int], kappas: np.ndarray, target: float) -> dict[str, Any]:
    mean = kappas.mean(axis=0)
    area = kappas.mean(axis=1)  # area under each seed's curve, per point (the curves share x)
    return {
        "labels": labels,
        "kappa": [round(float(v), 4) for v in mean],
        "kappa_sd": [round(float(v), 4) for v in kappas.std(axis=0)],
        "kappa_per_seed": [[round(float(v), 4) for v in row] for row in kappas],
        "labels_to_reach_full": labels_to_reach(labels, mean.tolist(), target),
        "area_per_seed": [round(float(v), 4) for v in area],
        "area_mean": round(float(area.mean()), 4),
        "area_sd": round(float(area.std()), 4),
    }


def goal_checks(pool_size: int, active: dict, random: dict) -> dict[str, Any]:
    a, r = active["labels_to_reach_full"], random["labels_to_reach_full"]
    spread = max(active["area_sd"], random["area_sd"])
    gain = active["area_mean"] - random["area_mean"]
    paired = np.array(active["area_per_seed"]) - np.array(random["area_per_seed"])
    checks = {
        "active_labels_share_of_pool": None if a is None else round(a / pool_size, 3),
        "within_40pct_of_pool": a is not None and a <= MAX_POOL_SHARE * pool_size,
        "active_to_random_labels": None if a is None or not r else round(a / r, 3),
        "at_least_25pct_fewer_than_random": a is not None
        and r is not None
        and a <= MAX_RATIO_TO_RANDOM * r,
        "area_gain": round(gain, 4),
        "area_spread_over_seeds": round(spread, 4),
        "area_gain_paired_by_seed": {
            "mean": round(float(paired.mean()), 4),
            "sd": round(float(paired.std()), 4),
            "seeds_active_above": int((paired > 0).sum()),
        },
        "area_above_beyond_spread": gain > spread,
    }
    checks["goal_met"] = all(
        checks[k]
        for k in (
            "within_40pct_of_pool",
            "at_least_25pct_fewer_than_random",
            "area_above_beyond_spread",
        )
    )
    return checks


def measure(dataset: Dataset, vectors: np.ndarray) -> dict[str, Any]:
    pool, held = dataset.in_pool, ~dataset.in_pool
    full = full_pool_kappa(
        vectors[pool], dataset.labels[pool], vectors[held], dataset.labels[held], dataset.code_ids
    )
    result: dict[str, Any] = {**dataset.facts(), "pool_size": int(pool.sum())}
    result["full_kappa"] = round(full, 4)
    target = REACH * full
    for name, rule in (("active", "active"), ("random", random_rule)):
        labels, kappas = curves(dataset, vectors, rule, pool)
        result[name] = order_summary(labels, kappas, target)
    result["goals"] = goal_checks(result["pool_size"], result["active"], result["random"])
    return result


def inner_split(dataset: Dataset) -> tuple[Dataset, np.ndarray]:
    """The pool alone, split by group: a seeded third of its groups as pseudo-evaluation rows;
    codes too thin on either side dropped. Returns the sub-dataset and the rows it holds."""
    rows = np.flatnonzero(dataset.in_pool)
    groups = [dataset.groups[i] for i in rows]
    distinct = sorted(set(groups))
    rng = np.random.default_rng(INNER_SPLIT_SEED)
    held = set(rng.permutation(distinct)[: round(len(distinct) / 3)].tolist())
    in_pool = np.array([g not in held for g in groups])
    labels = dataset.labels[rows]
    keep = (labels[in_pool].sum(axis=0) >= 5) & (labels[~in_pool].sum(axis=0) >= 2)
    codes = [c for c, k in zip(dataset.code_ids, keep, strict=True) if k]
    inner = Dataset(
        dataset.name, "", [dataset.texts[i] for i in rows], labels[:, keep], codes, in_pool, groups
    )
    return inner, rows


def select(datasets: list[Dataset], vectors: dict[str, np.ndarray]) -> dict[str, Any]:
    from review_strategies import CANDIDATES

    gains: dict[str, dict[str, float]] = {name: {} for name in CANDIDATES}
    spreads: dict[str, dict[str, float]] = {name: {} for name in CANDIDATES}
    sizes = {}
    for dataset in datasets:
        inner, rows = inner_split(dataset)
        inner_vectors = vectors[dataset.name][rows]
        sizes[dataset.name] = {
            "pool": int(inner.in_pool.sum()),
            "pseudo_evaluation": int((~inner.in_pool).sum()),
            "codes": len(inner.code_ids),
        }
        _, base = curves(inner, inner_vectors, random_rule, inner.in_pool)
        for name, (_, rule) in CANDIDATES.items():
            _, kappas = curves(inner, inner_vectors, rule, inner.in_pool)
            paired = kappas.mean(axis=1) - base.mean(axis=1)
            gains[name][dataset.name] = round(float(paired.mean()), 4)
            spreads[name][dataset.name] = round(float(paired.std()), 4)
        print(f"selection: {dataset.name} done", file=sys.stderr)
    mean_gain = {name: round(float(np.mean(list(g.values()))), 4) for name, g in gains.items()}
    worst = {name: min(g.values()) for name, g in gains.items()}
    chosen = max(mean_gain, key=lambda name: (mean_gain[name], worst[name]))
    return {
        "protocol": (
            "each reported dataset's POOL only, split by group (a seeded third of its "
            "participants/respondents/texts as pseudo-evaluation); 5 seeds per candidate; gain = "
            "area under the kappa curve minus random order's, paired by seed; chosen = largest "
            "mean gain over the datasets (ties: best worst case). The evaluation split is never "
            "used."
        ),
        "inner_split_sizes": sizes,
        "candidates": {name: description for name, (description, _) in CANDIDATES.items()},
        "area_gain_over_random": gains,
        "area_gain_sd_over_seeds": spreads,
        "mean_area_gain": mean_gain,
        "chosen": chosen,
    }


def plot(datasets: dict[str, Any], path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    columns = 3
    rows = -(-len(datasets) // columns)
    figure = Figure(figsize=(4.2 * columns, 3.3 * rows))
    FigureCanvasAgg(figure)
    for index, (name, result) in enumerate(datasets.items()):
        axes = figure.add_subplot(rows, columns, index + 1)
        for order, colour in (("active", "tab:blue"), ("random", "tab:orange")):
            labels = np.array(result[order]["labels"])
            mean = np.array(result[order]["kappa"])
            sd = np.array(result[order]["kappa_sd"])
            axes.plot(labels, mean, color=colour, label=order)
            axes.fill_between(labels, mean - sd, mean + sd, color=colour, alpha=0.15)
        axes.axhline(REACH * result["full_kappa"], color="grey", linestyle="--", linewidth=0.8)
        axes.axvline(MAX_POOL_SHARE * result["pool_size"], color="grey", linestyle=":", lw=0.8)
        axes.set_title(f"{name} (pool {result['pool_size']})", fontsize=9)
        axes.set_xlabel("labels (start + decisions)", fontsize=8)
        axes.set_ylabel("held-out macro kappa", fontsize=8)
        axes.tick_params(labelsize=7)
        if index == 0:
            axes.legend(fontsize=7, loc="lower right")
    figure.suptitle(
        "Active vs random review order (mean of 5 seeds, band: sd); dashed: 95% of full-pool "
        "kappa; dotted: 40% of the pool",
        fontsize=9,
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=110)


def write_results(own: dict[str, Any]) -> None:
    """Read-modify-write: replace only this benchmark's keys."""
    document = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    document.update(own)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--select", action="store_true", help="also rerun the strategy choice")
    args = parser.parse_args()
    started = time.perf_counter()
    datasets = reported()
    embedder = Embedder(cache=EmbeddingCache(default_cache_path()))
    vectors = {d.name: embedder.encode(d.texts).astype(np.float64) for d in datasets}
    embedded = time.perf_counter() - started
    own: dict[str, Any] = {}
    with threadpool_limits(limits=1, user_api="blas"):
        results = {d.name: measure(d, vectors[d.name]) for d in datasets}
        if args.select:
            own["strategy_selection"] = select(datasets, vectors)
    met = [name for name, r in results.items() if r["goals"]["goal_met"]]
    own["label_efficiency"] = {
        "what": (
            "oracle simulation of the review loop: start from "
            f"{START_PER_CODE} hand-coded examples per code, retrain after every "
            f"{BATCH_SIZE} decisions, macro kappa (mean over codes of Cohen's kappa, "
            "suggestion = probability >= 0.5) on held-out units; active = order_queue "
            f"default, random = random order; {SEEDS} seeds (start examples shared by both)"
        ),
        "labels_to_reach_full": f"first label count whose mean kappa >= {REACH} x full_kappa",
        "goal": (
            f"active reaches {REACH:.0%} of full_kappa within {MAX_POOL_SHARE:.0%} of the pool, "
            f"with <= {MAX_RATIO_TO_RANDOM} x random's labels, and its area under the curve "
            "exceeds random's by more than the larger per-seed sd of the two areas"
        ),
        "embedding_s": round(embedded, 1),
        "wall_s": round(time.perf_counter() - started, 1),
        "machine": machine_facts(["scikit-learn", "scipy", "sentence-transformers"]),
        "model": embedder.model_id,
    }
    own["datasets"] = results
    own["goals"] = {"datasets_meeting_goal": met, "datasets": len(results)}
    write_results(own)
    plot(results, FIGURE)
    for name, r in results.items():
        g = r["goals"]
        print(
            f"{name}: pool {r['pool_size']} full {r['full_kappa']:.3f} "
            f"reach active {r['active']['labels_to_reach_full']} "
            f"random {r['random']['labels_to_reach_full']} "
            f"area {r['active']['area_mean']:.3f} vs {r['random']['area_mean']:.3f} "
            f"goal {g['goal_met']}"
        )


if __name__ == "__main__":
    main()
