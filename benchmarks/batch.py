"""Speed and memory of batch coding (`autocode code`), on 2 CPU cores.

    python benchmarks/batch.py                      # every section, writes results/batch.json
    python benchmarks/batch.py --sections memory-large --large-units 20000

Sections (each merges its results into the JSON file, so they can run at different times):
- throughput: units/s of `autocode.batch.code_transcripts` end to end (read files, segment,
  embed, classify, store, export; the one-off model load is measured apart), with and without
  coherence merging, against sentence-transformers' own `encode` of the same unit texts in one
  call, interleaved, `--rounds` times. Goal: pipeline >= 80% of the raw encode. Shares are
  given by wall time and by CPU time of the process (less sensitive to other load).
- recode: coding the same transcripts again with a new classifier (other C): every embedding comes
  from the project's cache. Goal: >= 20x faster than the first run.
- backends / dask: every embedding backend, and Dask with 1 and 2 local workers, on the same
  `--small-units` units (see batch_backends.py).
- memory-small / memory-large / memory-<N>: peak RSS of a fresh process coding about
  `--small-units` / `--large-units` / N units, and for each tenth of the units the lowest RSS
  (between batches) and the highest (inside a batch). Goal: flat, under 1.5 GB.

Data: the 19 ML-practitioner interviews in ../shared/testdata (no licence: they are read from
there and written to the work folder only, never to the repository). Larger sets repeat them with
every sentence varied (one word dropped, two neighbours swapped, seeded), so the units are new
texts that the embedding cache cannot answer. Without ../shared the benchmark says so and stops.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from machine import machine_facts, peak_rss_mb

REPO = Path(__file__).resolve().parents[1]
INTERVIEWS = REPO.parent / "shared" / "testdata" / "coded" / "ml_quality_interviews" / "transcripts"
RESULTS = REPO / "benchmarks" / "results" / "batch.json"
THREADS = 2
_LABEL = re.compile(r"^(\s*[^:\n]{1,40}:)(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# --- data ---------------------------------------------------------------------------------------


def vary_line(line: str, rng: random.Random) -> str:
    """The line with each sentence changed a little: one word dropped, one neighbour pair swapped.

    The speaker label and each sentence's last word (which carries its full stop) stay put, so
    segmentation sees the same turns and sentences.
    """
    match = _LABEL.match(line)
    label, said = (match.group(1), match.group(2)) if match else ("", line)
    sentences = []
    for sentence in _SENTENCE_END.split(said.strip()):
        words = sentence.split()
        if len(words) >= 4:
            del words[rng.randrange(len(words) - 1)]
            i = rng.randrange(len(words) - 2)
            words[i], words[i + 1] = words[i + 1], words[i]
        sentences.append(" ".join(words))
    return f"{label} {' '.join(sentences)}" if label else " ".join(sentences)


def write_interviews(folder: Path, target_units: int, units_of: dict[str, int]) -> int:
    """Write interviews (copy 0 as is, later copies varied) until about `target_units` units.

    `units_of` is each original interview's unit count; returns the expected number of units.
    """
    folder.mkdir(parents=True, exist_ok=True)
    total, copy = 0, 0
    while total < target_units:
        for name, units in units_of.items():
            if total >= target_units:
                break
            text = (INTERVIEWS / name).read_text(encoding="utf-8")
            if copy:
                rng = random.Random(f"{copy}/{name}")
                text = "\n".join(
                    vary_line(line, rng) if line.strip() else line for line in text.splitlines()
                )
            (folder / f"{Path(name).stem}_c{copy:03d}.txt").write_text(text, encoding="utf-8")
            total += units
        copy += 1
    return total


def interview_units(coherence: bool) -> dict[str, int]:
    """Units per original interview under the given segmentation (no coherence: no model)."""
    from autocode.io import read
    from autocode.segment import SegmentConfig, segment

    config = SegmentConfig(coherence=coherence)
    return {
        path.name: len(segment(read(path), config))
        for path in sorted(INTERVIEWS.glob("*.txt"), key=lambda p: p.name)
    }


# --- models -------------------------------------------------------------------------------------


def models(workdir: Path) -> tuple[Path, Path]:
    """(the shipped classifier, one retrained with C=0.5), training what is missing or stale."""
    from autocode.corpus import load_corpus
    from autocode.embed import Embedder, EmbeddingCache
    from autocode.evaluation.methods import SHIPPED, train_classifier

    shipped = REPO / "models" / "seed-themes"
    if not _loadable(shipped):  # never trained into the repository: into the work folder
        shipped = workdir / "models" / "seed-themes"
    retrained = workdir / "models" / "seed-themes-c0.5"
    corpus = load_corpus(REPO / "corpus" / "seed")
    cache = EmbeddingCache(workdir / "corpus-embeddings.sqlite")
    for folder, settings in ((shipped, SHIPPED), (retrained, dataclasses.replace(SHIPPED, c=0.5))):
        if not _loadable(folder):
            print(f"training {folder}", flush=True)
            train_classifier(corpus, Embedder(cache=cache), settings).save(folder)
    return shipped, retrained


def _loadable(folder: Path) -> bool:
    """Whether a saved classifier loads with this autocode (the model format may have moved)."""
    from autocode.classify import ThemeClassifier

    try:
        ThemeClassifier.load(folder)
    except Exception:  # any failure means: train it again
        return False
    return True


# --- measurements -------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def load_models(model_dir: Path) -> tuple[Any, float]:
    """The batch model and the sentence model, loaded and warmed up; (model, seconds)."""
    from autocode.embed import Embedder, load_sentence_model
    from autocode.models.batch_model import load_batch_model

    began = time.perf_counter()
    model = load_batch_model(model_dir)
    load_sentence_model(model.classifier.embedder)
    Embedder(model.classifier.embedder).encode_uncached(["warm up"])
    return model, time.perf_counter() - began


def segmented_texts(files: Path) -> list[str]:
    """The unit texts batch coding makes of the files (its default segmentation)."""
    from autocode.io import read
    from autocode.segment import DEFAULT_SEGMENT_CONFIG, segment

    paths = sorted(files.glob("*.txt"))
    return [u.text for path in paths for u in segment(read(path), DEFAULT_SEGMENT_CONFIG)]


def unit_texts(project: Path) -> list[str]:
    from autocode.store import Project

    with Project.open(project) as store:
        return [unit.text for tid in store.transcript_ids() for unit in store.units(tid)]


def timed_run(
    files: Path, model_dir: Path, model: Any, project: Path, coherence: bool
) -> dict[str, Any]:
    from autocode.batch import code_transcripts
    from autocode.segment import SegmentConfig

    shutil.rmtree(project, ignore_errors=True)
    began, cpu = time.perf_counter(), time.process_time()
    result = code_transcripts(
        [files], model_dir, project,
        segment_config=SegmentConfig(coherence=coherence), model=model,
    )  # fmt: skip
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return {
        "units": result.units,
        "embedded_texts": result.embedded_texts,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "coding_seconds": round(result.seconds, 2),
        "units_per_s": round(result.units / seconds, 1),
    }


def raw_encode(texts: list[str], embedder_name: str | None) -> dict[str, Any]:
    from autocode.embed import DEFAULT_BATCH_SIZE, load_sentence_model

    model = load_sentence_model(embedder_name)
    began, cpu = time.perf_counter(), time.process_time()
    model.encode(
        texts, batch_size=DEFAULT_BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False
    )
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "units_per_s": round(len(texts) / seconds, 1),
    }


def throughput(workdir: Path, model_dir: Path, small_units: int, rounds: int) -> dict[str, Any]:
    files = workdir / "small"
    shutil.rmtree(files, ignore_errors=True)
    expected = write_interviews(files, small_units, interview_units(coherence=False))
    model, load_seconds = load_models(model_dir)
    runs: dict[str, list[dict[str, Any]]] = {"coherence": [], "no_coherence": []}
    for round_ in range(rounds):
        for coherence, key in ((True, "coherence"), (False, "no_coherence")):
            project = workdir / f"throughput-{key}"
            pipeline = timed_run(files, model_dir, model, project, coherence)
            raw = raw_encode(unit_texts(project), model.classifier.embedder)
            runs[key].append({
                "round": round_, "pipeline": pipeline, "raw_encode": raw,
                "pipeline_share_of_raw": round(raw["seconds"] / pipeline["seconds"], 3),
                "pipeline_share_of_raw_cpu": round(raw["cpu_seconds"] / pipeline["cpu_seconds"], 3),
            })  # fmt: skip
            print(key, runs[key][-1], flush=True)
    summary = {
        key: {
            "units": entries[0]["pipeline"]["units"],
            "embedded_texts": entries[0]["pipeline"]["embedded_texts"],
            "best_pipeline_units_per_s": max(e["pipeline"]["units_per_s"] for e in entries),
            "best_raw_units_per_s": max(e["raw_encode"]["units_per_s"] for e in entries),
            "median_pipeline_share_of_raw": _median([e["pipeline_share_of_raw"] for e in entries]),
            "median_pipeline_share_of_raw_cpu": _median(
                [e["pipeline_share_of_raw_cpu"] for e in entries]
            ),
            "goal_share": 0.8,
            "rounds": entries,
        }
        for key, entries in runs.items()
    }
    return {
        "files": len(list(files.glob("*.txt"))),
        "expected_units_without_coherence": expected,
        "model_load_seconds": round(load_seconds, 2),
        **summary,
    }


def recode(workdir: Path, model_dir: Path, new_model_dir: Path, coherence: bool) -> dict[str, Any]:
    """A first run into a fresh project, then the same files with another classifier."""
    files = workdir / "small"
    first_model, _ = load_models(model_dir)
    project = workdir / "recode"
    first = timed_run(files, model_dir, first_model, project, coherence)
    from autocode.batch import code_transcripts
    from autocode.models.batch_model import load_batch_model
    from autocode.segment import SegmentConfig

    second_model = load_batch_model(new_model_dir)
    began = time.perf_counter()
    result = code_transcripts(
        [files], new_model_dir, project, segment_config=SegmentConfig(coherence=coherence),
        model=second_model,
    )  # fmt: skip
    seconds = time.perf_counter() - began
    return {
        "coherence": coherence,
        "first_run": first,
        "recode": {
            "units": result.units,
            "embedded_texts": result.embedded_texts,
            "seconds": round(seconds, 2),
            "units_per_s": round(result.units / seconds, 1),
        },
        "speedup": round(first["seconds"] / seconds, 1),
        "goal_speedup": 20,
    }


def memory_child(files: Path, model_dir: Path, project: Path, coherence: bool) -> None:
    """Runs in a fresh process: code `files`, print RSS after load, per tenth and at the peak."""
    import torch

    torch.set_num_threads(THREADS)
    from autocode.batch import code_transcripts
    from autocode.segment import SegmentConfig

    model, load_seconds = load_models(model_dir)
    after_load = rss_mb()
    total_chars = sum(p.stat().st_size for p in files.glob("*.txt"))
    samples: list[dict[str, float]] = []
    # RSS seen by a sampler since the last tenth: the low is between batches (after the batch's
    # memory went back), the high is inside one (the model's activations for its longest texts).
    window = {"low": after_load, "high": after_load, "peak": after_load}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.1):
            now = rss_mb()
            window["low"], window["high"] = min(window["low"], now), max(window["high"], now)
            window["peak"] = max(window["peak"], now)

    class Tenths:
        def started(self, pending: Any, skipped: int) -> None:
            self.units, self.chars, self.began = 0, 0, time.perf_counter()
            window["low"] = window["high"] = rss_mb()

        def committed(self, transcript: Any, units: int) -> None:
            self.units += units
            self.chars += len(transcript.text.encode("utf-8"))
            if self.chars * 10 >= total_chars * (len(samples) + 1):
                samples.append({
                    "units": self.units,
                    "seconds": round(time.perf_counter() - self.began, 1),
                    "low_rss_mb": round(window["low"], 1),
                    "high_rss_mb": round(window["high"], 1),
                })  # fmt: skip
                print(json.dumps(samples[-1]), file=sys.stderr, flush=True)
                window["low"] = window["high"] = rss_mb()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    shutil.rmtree(project, ignore_errors=True)
    began = time.perf_counter()
    result = code_transcripts(
        [files], model_dir, project, segment_config=SegmentConfig(coherence=coherence),
        model=model, progress=Tenths(),
    )  # fmt: skip
    seconds = time.perf_counter() - began
    stop.set()
    print(json.dumps({
        "files": len(list(files.glob("*.txt"))),
        "coherence": coherence,
        "units": result.units,
        "embedded_texts": result.embedded_texts,
        "seconds": round(seconds, 1),
        "units_per_s": round(result.units / seconds, 1),
        "model_load_seconds": round(load_seconds, 1),
        "rss_after_model_load_mb": round(after_load, 1),
        "rss_by_progress": samples,
        "sampled_peak_rss_mb": round(window["peak"], 1),
        "peak_rss_mb": peak_rss_mb(),
        "goal_peak_rss_mb": 1536,
    }))  # fmt: skip


def memory(workdir: Path, model_dir: Path, units: int, name: str, coherence: bool) -> dict:
    files = workdir / name
    shutil.rmtree(files, ignore_errors=True)
    expected = write_interviews(files, units, interview_units(coherence=False))
    command = [sys.executable, __file__, "--memory-child", str(files), "--model", str(model_dir),
               "--project", str(workdir / f"{name}-project"),
               "--coherence" if coherence else "--no-coherence"]  # fmt: skip
    print(f"{name}: coding about {expected} units in a fresh process", flush=True)
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return {"target_units": units, "expected_units_without_coherence": expected,
            **json.loads(done.stdout.strip().splitlines()[-1])}  # fmt: skip


# --- bookkeeping --------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return round((ordered[middle - 1] + ordered[middle]) / 2, 3)


def merge_results(path: Path, section: str, value: dict[str, Any]) -> None:
    document = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    document.setdefault("sections", {})[section] = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_facts(),
        **value,
    }
    document["summary"] = summary(document["sections"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def summary(sections: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers against the goals, from whichever sections have been measured."""
    result: dict[str, Any] = {}
    if "throughput" in sections:
        for key in ("no_coherence", "coherence"):
            entry = sections["throughput"][key]
            result[f"pipeline_share_of_raw_encode_{key}"] = {
                "wall": entry["median_pipeline_share_of_raw"],
                "cpu": entry["median_pipeline_share_of_raw_cpu"],
                "goal": 0.8,
            }
        result["model_load_seconds"] = sections["throughput"]["model_load_seconds"]
    if "recode" in sections:
        result["recode_speedup"] = {"measured": sections["recode"]["speedup"], "goal": 20}
    for name, entry in sections.items():
        if name.startswith("memory-") and "rss_by_progress" in entry:
            lows = [s.get("low_rss_mb") for s in entry["rss_by_progress"][1:]]
            result[f"{name}_units_{entry['units']}"] = {
                "peak_rss_mb": entry["peak_rss_mb"],
                "rss_between_batches_mb": [min(lows), max(lows)] if None not in lows else None,
                "goal_peak_rss_mb": 1536,
            }
    if "backends" in sections:
        result["backends"] = {
            name: {
                "pipeline_units_per_s": row["pipeline_units_per_s"],
                "pipeline_speed_vs_torch": row["ratios_to_torch"]["pipeline_units_per_s"],
                "macro_kappa_minus_torch": row["macro_kappa_minus_torch"],
                "cosine_to_torch_mean": row["cosine_to_torch"]["mean"],
            }
            for name, row in sections["backends"]["variants"].items()
        }
    if "dask" in sections:
        result["dask_scaling_efficiency_1_to_2_workers"] = sections["dask"][
            "scaling_efficiency_1_to_2"
        ]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", default="throughput,recode,memory-small,memory-large")
    parser.add_argument("--small-units", type=int, default=1000)
    parser.add_argument("--large-units", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--coherence",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="segmentation for recode/memory (default: the batch default)",
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/autocode-bench-batch"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from autocode.segment import DEFAULT_SEGMENT_CONFIG

    coherence = DEFAULT_SEGMENT_CONFIG.coherence if args.coherence is None else args.coherence
    if args.memory_child is not None:
        memory_child(args.memory_child, args.model, args.project, coherence)
        return
    if not INTERVIEWS.is_dir():
        print(f"skipped: the interviews are not at {INTERVIEWS} (../shared is absent)")
        return
    import torch

    torch.set_num_threads(THREADS)
    args.workdir.mkdir(parents=True, exist_ok=True)
    shipped, retrained = models(args.workdir)
    sections = args.sections.split(",")
    if "throughput" in sections:
        merge_results(args.out, "throughput",
                      throughput(args.workdir, shipped, args.small_units, args.rounds))  # fmt: skip
    if "recode" in sections:
        merge_results(args.out, "recode", recode(args.workdir, shipped, retrained, coherence))
    if "backends" in sections or "dask" in sections:
        import batch_backends

        files = args.workdir / "small"
        if not files.is_dir():
            write_interviews(files, args.small_units, interview_units(coherence=False))
        if "backends" in sections:
            texts = segmented_texts(files)
            merge_results(args.out, "backends",
                          batch_backends.backends(args.workdir, files, texts, shipped))  # fmt: skip
        if "dask" in sections:
            merge_results(args.out, "dask", batch_backends.dask(args.workdir, files, shipped))
    sizes = {"memory-small": args.small_units, "memory-large": args.large_units}
    for name in sections:
        units = sizes.get(name) or (int(name[7:]) if re.fullmatch(r"memory-\d+", name) else 0)
        if units:
            merge_results(args.out, name, memory(args.workdir, shipped, units, name, coherence))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
