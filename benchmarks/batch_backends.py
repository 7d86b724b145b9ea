"""The `backends` and `dask` sections of benchmarks/batch.py (run through it).

backends: for each embedding backend, in one run on the same units, in a fresh process each:
raw encode units/s, `autocode code` end to end units/s, peak RSS, cosine to the torch vectors,
and leave-one-participant-out macro kappa of the shipped classifier settings on the seed corpus
(trained with that backend's vectors), all also as ratios to torch. The ONNX and static files
are built first (timed). Variants: torch, onnx, onnx-int8, static (plain distillation, 384
dimensions, no PCA), static-fitted (its token vectors fitted to the network on the unlabelled
units of the 7 PD-pilot interviews, which are in neither the seed corpus nor the speed units).

dask: `autocode code --cluster local:N` for N = 1, 2 against the single-process run on the
same files, coding seconds (after the cluster is up) and wall seconds with the start-up.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FIT_ON = (
    REPO.parent
    / "shared"
    / "testdata"
    / "coded"
    / "pdpilot_ml_interviews"
    / "derived_transcripts_txt"
)
VARIANTS = {  # name -> (backend, cache folder name)
    "torch": ("torch", "cache"),
    "onnx": ("onnx", "cache"),
    "onnx-int8": ("onnx-int8", "cache"),
    "static": ("static", "cache"),
    "static-fitted": ("static", "cache-fitted"),
}
KAPPA_RESAMPLES = 200


def build_all(workdir: Path) -> dict[str, Any]:
    """Build every backend into fresh cache folders; the seconds each build took."""
    from autocode.embed.build import build_backend
    from autocode.segment import transcript_unit_texts

    timings: dict[str, Any] = {}
    for folder in ("cache", "cache-fitted"):
        shutil.rmtree(workdir / folder, ignore_errors=True)
    os.environ["AUTOCODE_CACHE_DIR"] = str(workdir / "cache")
    for backend in ("onnx", "onnx-int8", "static"):
        built = build_backend(backend)
        timings[backend] = {
            "seconds": built.manifest["seconds"],
            "mb": round(built.size_bytes / 1e6, 1),
        }
        print("built", backend, timings[backend], flush=True)
    os.environ["AUTOCODE_CACHE_DIR"] = str(workdir / "cache-fitted")
    texts = transcript_unit_texts(sorted(FIT_ON.glob("*.txt")))
    began = time.perf_counter()
    built = build_backend("static", fit_texts=texts)
    timings["static-fitted"] = {
        "seconds": round(time.perf_counter() - began, 1),
        "mb": round(built.size_bytes / 1e6, 1),
        "fit_texts": len(set(texts)),
    }
    del os.environ["AUTOCODE_CACHE_DIR"]
    return timings


def variant_child(name: str, files: Path, texts_file: Path, workdir: Path, shipped: Path) -> None:
    """In a fresh process (backend and cache folder from the environment): print one JSON line."""
    import torch

    torch.set_num_threads(2)
    from autocode.batch import code_transcripts
    from autocode.corpus import load_corpus
    from autocode.embed import Embedder, EmbeddingCache
    from autocode.evaluation import cross_validate, metric, summarise
    from autocode.evaluation.methods import SHIPPED, classifier_method, train_classifier
    from machine import peak_rss_mb

    backend = os.environ["AUTOCODE_BACKEND"]
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    corpus = load_corpus(REPO / "corpus" / "seed")
    cache = EmbeddingCache(workdir / f"corpus-{name}.sqlite")
    embedder = Embedder(cache=cache)
    embedder.encode(["warm up"])
    began = time.perf_counter()
    vectors = Embedder(backend=backend).encode_uncached(texts)
    raw_seconds = time.perf_counter() - began
    np.save(workdir / f"vectors-{name}.npy", vectors)
    model_dir = shipped
    if embedder.model_id != Embedder(backend="torch").model_id:  # other vectors: own classifier
        model_dir = workdir / "models" / f"seed-themes-{name}"
        shutil.rmtree(model_dir, ignore_errors=True)
        train_classifier(corpus, embedder, SHIPPED).save(model_dir)
    project = workdir / f"backend-{name}"
    shutil.rmtree(project, ignore_errors=True)
    began = time.perf_counter()
    result = code_transcripts([files], model_dir, project)
    pipeline_seconds = time.perf_counter() - began
    evaluated = summarise(
        corpus,
        cross_validate(corpus, classifier_method(corpus, embedder, SHIPPED)),
        n_resamples=KAPPA_RESAMPLES,
    )
    kappa = metric(evaluated, "macro", "kappa")
    print(json.dumps({
        "backend": backend,
        "cache_id": embedder.cache_id,
        "classifier": "shipped" if model_dir == shipped else "trained with this backend",
        "raw_encode_units_per_s": round(len(texts) / raw_seconds, 1),
        "pipeline_units": result.units,
        "pipeline_units_per_s": round(result.units / pipeline_seconds, 1),
        "peak_rss_mb": peak_rss_mb(),
        "macro_kappa": kappa["estimate"],
        "macro_kappa_ci": [kappa["lo"], kappa["hi"]],
    }))  # fmt: skip


def backends(workdir: Path, files: Path, texts: list[str], shipped: Path) -> dict[str, Any]:
    builds = build_all(workdir)
    texts_file = workdir / "backend-units.json"
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    rows: dict[str, dict[str, Any]] = {}
    for name, (backend, cache) in VARIANTS.items():
        env = {
            **os.environ,
            "AUTOCODE_BACKEND": backend,
            "AUTOCODE_CACHE_DIR": str(workdir / cache),
        }
        command = [
            sys.executable,
            __file__,
            name,
            str(files),
            str(texts_file),
            str(workdir),
            str(shipped),
        ]
        print("measuring", name, flush=True)
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=True)
        rows[name] = json.loads(done.stdout.strip().splitlines()[-1])
        print(name, rows[name], flush=True)
    reference = np.load(workdir / "vectors-torch.npy")
    base = rows["torch"]
    for name, row in rows.items():
        cos = (np.load(workdir / f"vectors-{name}.npy") * reference).sum(axis=1)
        row["cosine_to_torch"] = {
            "mean": round(float(cos.mean()), 5),
            "min": round(float(cos.min()), 5),
        }
        row["ratios_to_torch"] = {
            key: round(row[key] / base[key], 3)
            for key in ("raw_encode_units_per_s", "pipeline_units_per_s", "peak_rss_mb")
        }
        row["macro_kappa_minus_torch"] = round(row["macro_kappa"] - base["macro_kappa"], 3)
        row["build"] = builds.get(name)
    return {
        "units": len(texts),
        "goals": {"pipeline_units_per_s": 1000, "macro_kappa_loss_at_most": 0.02},
        "kappa": "leave-one-participant-out on corpus/seed, shipped settings, "
        f"{KAPPA_RESAMPLES} bootstrap resamples",
        "variants": rows,
    }  # fmt: skip


def dask(workdir: Path, files: Path, shipped: Path) -> dict[str, Any]:
    from autocode.batch import code_transcripts

    runs: dict[str, Any] = {}
    for label, cluster in (
        ("single_process", None),
        ("local_1", "local:1"),
        ("local_2", "local:2"),
    ):
        project = workdir / f"dask-{label}"
        shutil.rmtree(project, ignore_errors=True)
        began = time.perf_counter()
        result = code_transcripts([files], shipped, project, cluster=cluster, report=False)
        wall = time.perf_counter() - began
        runs[label] = {
            "units": result.units,
            "coding_seconds": round(result.seconds, 2),
            "wall_seconds_with_start_up": round(wall, 2),
            "units_per_s": round(result.units / result.seconds, 1),
        }
        print(label, runs[label], flush=True)
    one, two = runs["local_1"]["units_per_s"], runs["local_2"]["units_per_s"]
    return {
        "note": "coding seconds include each worker's model load and the scatter of the "
        "classifier; the client commits in input order",
        "cores": len(os.sched_getaffinity(0)),
        "runs": runs,
        "speedup_2_over_1_workers": round(two / one, 3),
        "scaling_efficiency_1_to_2": round(two / one / 2, 3),
        "local_2_over_single_process": round(two / runs["single_process"]["units_per_s"], 3),
        "gpu_machine": "not measured: no GPU machine was lent to this session",
        "goal_scaling_efficiency_1_to_8": 0.8,
    }


if __name__ == "__main__":
    variant_child(
        sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5])
    )
