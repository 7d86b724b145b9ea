"""Speed of `autocode review` in a real browser: keypress to the next card, on >= 10,000 units.

    python benchmarks/review_speed.py          # writes the "speed" key of results/review.json
    python benchmarks/review_speed.py --copies 64 --keys 400

What it does:
1. Codes the example transcripts (examples/transcripts, 159 units) with the shipped model into a
   small project, and opens a review session on it once (the model's excerpts are embedded and
   cached).
2. Builds a large project by repeating those transcripts `--copies` times under new ids (the same
   texts, so the stored vectors are reused: no unit is embedded again), with the model's codings.
3. For the small and the large project: starts the real server (`autocode review` with its
   defaults: corpus order, 10% audit cards, retraining every 10 decisions), opens it in headless
   Chromium (/usr/bin/chromium), waits until the candidate codes are computed, then presses
   `--keys` decision keys (accept, reject, no code, recode 1-5; a number key on an audit card)
   one after the other. The page records, for each key, the time
   from the keydown event to the animation frame after the next card is in the DOM, and whether a
   retraining was running when the server answered.
4. Reference, in the same run and browser: the round trip of fetching a static file from the
   same server (`--reference` times). Speed is reported in ms and as a ratio to that reference.

Goal (issue 12): on >= 10,000 units the 95th percentile keypress -> next card is <= 150 ms, and
no keypress waits on a retraining (the server never joins the retraining thread; the numbers for
keys answered while one ran are reported beside the others, with the retraining times).

Only the "speed" key of benchmarks/results/review.json is written; the other keys (the
label-efficiency simulation, benchmarks/review.py) are kept as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from autocode.batch import code_transcripts
from autocode.review import ReviewSession
from autocode.store import Project
from autocode.types import Transcript
from machine import machine_facts

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "transcripts"
RESULTS = REPO / "benchmarks" / "results" / "review.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
KEYS = ["a", "r", "n", "1", "a", "2", "r", "3", "a", "4", "n", "5"]
GOAL_P95_MS = 150.0


def build_small(folder: Path) -> Path:
    project = folder / "small"
    code_transcripts([EXAMPLES], "seed-themes", project, report=False)
    ReviewSession.open(project, reviewer="setup", candidate_codes=False).close()
    return project


def build_large(source: Path, folder: Path, copies: int) -> Path:
    """`copies` repetitions of the source project's transcripts under new ids."""
    target = folder / "large"
    with Project.open(source) as small, Project.create(target, writer=True) as large:
        codebook = small.codebooks()[0]
        large.add_codebook(small.codebook(codebook))
        copy_embeddings(source, large)
        run = large.start_run("benchmark-copy", {"source": str(source), "copies": copies})
        originals = [
            (t, small.units(t.id), small.codings(transcript_id=t.id)) for t in small.transcripts()
        ]
        coder = next(c.coder for _, _, codings in originals for c in codings)
        for copy in range(copies):
            for transcript, units, codings in originals:
                new_id = f"{transcript.id}~{copy:03d}"
                source_name = Path(str(transcript.metadata.get("source", transcript.id)))
                renamed = Transcript(
                    new_id,
                    transcript.text,
                    transcript.turns,
                    {**transcript.metadata, "source": f"{source_name.stem}~{copy:03d}.txt"},
                )
                large.commit_coded_transcript(
                    renamed,
                    [replace(unit, transcript_id=new_id) for unit in units],
                    [replace(coding, transcript_id=new_id) for coding in codings],
                    "benchmark-copy",
                    run,
                    coder=coder,
                    codebook=codebook,
                )
        large.finish_run(run, "done")
    return target


def copy_embeddings(source: Path, target: Project) -> None:
    conn = sqlite3.connect(f"file:{source / 'autocode.sqlite'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT model_id, text_hash, vector FROM embeddings").fetchall()
    finally:
        conn.close()
    by_model: dict[str, list[tuple[str, bytes]]] = {}
    for model_id, text_hash, vector in rows:
        by_model.setdefault(model_id, []).append((text_hash, vector))
    for model_id, pairs in by_model.items():
        matrix = np.vstack([np.frombuffer(vector, dtype="<f4") for _, vector in pairs])
        target.put_embeddings(model_id, [text_hash for text_hash, _ in pairs], matrix)


def start_server(project: Path) -> tuple[subprocess.Popen[str], str, str, float]:
    began = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "autocode",
            "review",
            "--project",
            str(project),
            "--no-browser",
            "--reviewer",
            "bench",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("Open http"):
            url = line.split()[1]
            threading.Thread(target=process.stdout.read, daemon=True).start()
            base, token = url.split("/?token=")
            return process, base, token, time.perf_counter() - began
    raise RuntimeError("the review server did not start")


def progress(base: str, token: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{base}/api/progress", headers={"X-Autocode-Token": token})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def measure(project: Path, keys: int, reference_rounds: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    process, base, token, started_s = start_server(project)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            began = time.perf_counter()
            page.goto(f"{base}/?token={token}")
            page.wait_for_selector("body[data-renders='1']", timeout=120_000)
            first_card_s = time.perf_counter() - began
            waited = time.perf_counter()
            while not progress(base, token)["candidate_codes_ready"]:
                time.sleep(0.5)
            clustering_wait_s = time.perf_counter() - waited
            for n in range(keys):
                key = KEYS[n % len(KEYS)]
                if page.get_attribute("body", "data-audit") == "1" and key in ("a", "r"):
                    key = "1"  # an audit card has no suggestion to accept or reject
                page.keyboard.press(key)
                page.wait_for_selector(f"body[data-timings='{n + 1}']", timeout=60_000)
            timings = page.evaluate("window.__autocodeTimings")
            reference = page.evaluate(
                """async (rounds) => {
                    const times = [];
                    for (let i = 0; i < rounds; i++) {
                        const t = performance.now();
                        await (await fetch('/static/review.css', {cache: 'no-store'})).text();
                        times.push(performance.now() - t);
                    }
                    return times;
                }""",
                reference_rounds,
            )
            browser.close()
        final = progress(base, token)
    finally:
        process.terminate()
        process.wait(60)
    ms = np.array([t["ms"] for t in timings])
    during = np.array([t["ms"] for t in timings if t["retraining"]])
    reference_ms = np.array(reference)
    p95 = float(np.percentile(ms, 95))
    reference_p95 = float(np.percentile(reference_ms, 95))
    return {
        "units": final["units"],
        "keys": len(ms),
        "server_start_s": round(started_s, 2),
        "first_card_s": round(first_card_s, 2),
        "candidate_codes_wait_s": round(clustering_wait_s, 2),
        "keypress_to_card_ms": _summary(ms),
        "keys_answered_while_retraining": len(during),
        "keypress_to_card_while_retraining_ms": _summary(during) if len(during) else None,
        "reference_static_fetch_ms": _summary(reference_ms),
        "p95_ratio_to_reference": round(p95 / reference_p95, 2) if reference_p95 else None,
        "retrainings": final["model"]["retrainings"],
        "last_retraining_s": final["model"]["last_seconds"],
        "model_version_at_end": final["model"]["version"],
        "slowest_keys": [
            {"index": i, **timings[i], "ms": round(timings[i]["ms"], 1)}
            for i in sorted(range(len(timings)), key=lambda i: -timings[i]["ms"])[:5]
        ],
        "p95_goal_ms": GOAL_P95_MS,
        "p95_goal_met": p95 <= GOAL_P95_MS,
    }


def _summary(values: np.ndarray) -> dict[str, float]:
    return {
        "median": round(float(np.median(values)), 1),
        "p95": round(float(np.percentile(values, 95)), 1),
        "max": round(float(np.max(values)), 1),
        "mean": round(float(np.mean(values)), 1),
    }


def write_speed(speed: dict[str, Any]) -> None:
    """Set only the "speed" key of review.json (the learning benchmark writes the others)."""
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results["speed"] = speed
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    temporary = RESULTS.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    temporary.replace(RESULTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=64, help="repetitions of the examples")
    parser.add_argument("--keys", type=int, default=300, help="decision keys per project")
    parser.add_argument("--reference", type=int, default=100, help="static fetches")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="review-speed-") as work:
        folder = Path(work)
        began = time.perf_counter()
        small = build_small(folder)
        large = build_large(small, folder, args.copies)
        build_s = time.perf_counter() - began
        small_copy = folder / "small-review"
        shutil.copytree(small, small_copy)
        speed = {
            "what": "keydown -> animation frame after the next card is in the DOM, headless "
            "Chromium against the real server; decisions committed before each card",
            "settings": {
                "copies": args.copies,
                "keys": args.keys,
                "key_cycle": KEYS,
                "order": "corpus (the default), with the default 10% of audit cards",
                "retrain_every": 10,
                "data": "examples/transcripts coded by seed-themes, repeated under new ids",
            },
            "build_s": round(build_s, 1),
            "large": measure(large, args.keys, args.reference),
            "small": measure(small_copy, min(args.keys, 100), args.reference),
            "machine": machine_facts(["starlette", "uvicorn", "playwright"]),
        }
    print(json.dumps(speed, indent=2))
    if not args.no_write:
        write_speed(speed)


if __name__ == "__main__":
    main()
