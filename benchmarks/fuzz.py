"""Fuzz every reader with 10,000 mutated inputs each (tests/fuzz_cases.py) and record what
happened: how many read, how many were one InputError, and every other exception (a failure).

Each reader runs in its own process under a 1 GB address-space limit (RLIMIT_AS), so a case
that tried to take the memory would fail with MemoryError and be counted. The results go to
the "fuzz" section of benchmarks/results/hostile.json (benchmarks/hostile.py writes the rest).

    .venv/bin/python benchmarks/fuzz.py [--cases 10000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import traceback
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import fuzz_cases  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "hostile.json"
MEMORY_LIMIT = 1024**3
SEED = 20261201


def fuzz_reader(reader: str, count: int) -> dict[str, Any]:
    """Run `count` cases for `reader` in this process (under the memory limit)."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    rng = random.Random(f"{SEED}:{reader}")
    outcomes: Counter[str] = Counter()
    mutations: Counter[str] = Counter()
    failures: list[dict[str, str]] = []
    slowest = (0.0, "")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for number, case in enumerate(fuzz_cases.cases(reader, rng, count)):
            mutations[case.mutation] += 1
            began = time.perf_counter()
            try:
                outcome = fuzz_cases.run_case(case, Path(folder))
            except BaseException as error:  # a failure to record, whatever it is
                outcome = "failure"
                if len(failures) < 20:
                    failures.append(
                        {
                            "case": str(number),
                            "seed": case.seed_name,
                            "mutation": case.mutation,
                            "error": f"{type(error).__name__}: {str(error)[:300]}",
                            "where": traceback.format_exc(limit=-3)[-600:],
                        }
                    )
            took = time.perf_counter() - began
            slowest = max(slowest, (took, f"{case.seed_name} / {case.mutation}"))
            outcomes[outcome] += 1
    return {
        "reader": reader,
        "cases": count,
        "outcomes": dict(outcomes),
        "mutations": dict(sorted(mutations.items())),
        "failures": failures,
        "seconds": round(time.perf_counter() - started, 1),
        "slowest_case_s": round(slowest[0], 3),
        "slowest_case": slowest[1],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "seeds": len(fuzz_cases.seeds(reader)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases per reader")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--readers", nargs="*", default=sorted(fuzz_cases.READERS))
    args = parser.parse_args()
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers, max_tasks_per_child=1) as pool:
        futures = [pool.submit(fuzz_reader, reader, args.cases) for reader in args.readers]
        readers = [future.result() for future in futures]
    for result in readers:
        outcomes = result["outcomes"]
        print(
            f"{result['reader']:9} {result['cases']:6} cases: {outcomes.get('read', 0):6} read, "
            f"{outcomes.get('input error', 0):6} input errors, {outcomes.get('failure', 0)} "
            f"failures; {result['seconds']} s, peak {result['peak_rss_mb']} MB"
        )
    document = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    document["fuzz"] = {
        "seed": SEED,
        "memory_limit_bytes": MEMORY_LIMIT,
        "real_seed_files": fuzz_cases.TESTDATA.is_dir(),
        "seconds": round(time.perf_counter() - started, 1),
        "goal": "no failure (an exception other than InputError) in >= 10,000 cases per reader",
        "goal_met": all(r["cases"] >= 10_000 and not r["outcomes"].get("failure") for r in readers),
        "readers": readers,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
