"""Saturation on real studies with `autocode saturation`; headline numbers in results/.

1. The seed study: participants P1..P15 (natural order) coded with the five textural themes,
   from corpus/seed/excerpts.csv (mode: coded CSV). Its curve goes to docs/img/seed-saturation.png.
2. The 19 ML-practitioner interviews in ../shared/testdata (skipped when absent):
   a. candidate codes from clustering all their units (mode: transcripts), with the default
      cluster size and with 10, at frequency thresholds of 1, 3 and 5 units per interview;
   b. the derived human codings of the 4 coded interviews (both coders, one coder, moderation):
      too few for base 4 + run 2, so also shown with base 2 + run 1 as an illustration;
   c. the new-interview check: Interview_30 against a baseline of the other 18.

Run: `.venv/bin/python benchmarks/saturation.py` (about a minute once embeddings are cached).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from autocode.cli import app

REPO = Path(__file__).resolve().parents[1]
ML = REPO.parent / "shared" / "testdata" / "coded" / "ml_quality_interviews"
RESULTS = REPO / "benchmarks" / "results" / "saturation.json"
FIGURE = REPO / "docs" / "img" / "seed-saturation.png"


def autocode(*args: object) -> int:
    """Run `autocode saturation ...` in this process; its exit code."""
    # Without standalone mode click returns the exit code of typer.Exit instead of exiting.
    return int(app(["saturation", *map(str, args), "-q"], standalone_mode=False) or 0)


def headline(out: Path) -> dict[str, Any]:
    document = json.loads((out / "saturation.json").read_text(encoding="utf-8"))
    guest, boot, chao = document["guest"], document["bootstrap"], document["chao2"]
    return {
        "interviews": len(document["interviews"]),
        "codes": chao["observed"],
        "curve": document["curve"],
        "base_codes": guest["base_codes"],
        "saturation": guest["label"],
        "random_orders": {
            k: boot[k] for k in ("n_permutations", "share_reached", "median", "p5", "p95")
        },
        "chao2": {k: chao[k] for k in ("estimate", "ci_low", "ci_high", "share_observed")},
        "empty_interviews": document["empty_interviews"],
        "settings": {
            k: document["settings"][k]
            for k in ("base_size", "run_length", "threshold", "run_step", "min_units_per_interview")
        },
        "summary": document["summary"],
    }


def seed_study(work: Path) -> dict[str, Any]:
    out = work / "seed"
    code = autocode(
        "--coded", REPO / "corpus" / "seed" / "excerpts.csv", "--interview-column", "participant",
        "--code-column", "themes", "--order-by", "name", "--out", out,
    )  # fmt: skip
    assert code == 0, code
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out / "saturation.png", FIGURE)
    return {"source": "corpus/seed/excerpts.csv (participant, themes)", **headline(out)}


def ml_clusters(work: Path) -> dict[str, Any]:
    """Default cluster size (scaled to the units) and 10; 1, 3 and 5 units per interview."""
    results: dict[str, Any] = {"source": "transcripts/ (19, natural file order), --codes clusters"}
    for size in (None, 10):
        runs = {}
        for min_units in (1, 3, 5):
            out = work / f"ml-clusters-{size}-{min_units}"
            options = ["--min-units", min_units, "--out", out]
            options += ["--min-cluster-size", size] if size else []
            assert autocode(ML / "transcripts", *options) == 0
            runs[f"min_units_{min_units}"] = headline(out)
        inputs = json.loads((out / "saturation.json").read_text())["inputs"]
        results[f"min_cluster_size_{size or 'scaled'}"] = {
            "units": sum(i["units"] for i in inputs["interviews"]),
            "candidate_codes": len(inputs["candidate_codes"]),
            "outlier_units": inputs["outlier_units"],
            "min_cluster_size": inputs["cluster_parameters"]["min_cluster_size"],
            "runs": runs,
        }
    return results


def ml_coded(work: Path) -> dict[str, Any]:
    table = ML / "derived_codings_from_pdfs.csv"
    results: dict[str, Any] = {"source": f"{table.name} (interview, codes)"}
    selections = {
        "both coders": ["--where", "role=codings"],
        "coder PO": ["--where", "role=codings", "--where", "coder=PO"],
        "moderation": ["--where", "role=moderation"],
    }
    for name, where in selections.items():
        base = ["--coded", table, "--code-column", "codes", "--order-by", "name", *where]
        out = work / f"ml-coded-{name.replace(' ', '-')}"
        default = autocode(*base, "--out", out)
        entry: dict[str, Any] = {
            "guest_default_4_2": "too few interviews" if default == 2 else "ran",
        }
        assert autocode(*base, "--base-size", 2, "--run-length", 1, "--out", out) == 0
        entry["illustration_base_2_run_1"] = headline(out)
        results[name] = entry
    return results


def ml_new_interview(work: Path) -> dict[str, Any]:
    baseline_folder = work / "ml18-transcripts"
    baseline_folder.mkdir()
    for path in sorted((ML / "transcripts").glob("*.txt")):
        if path.stem != "Interview_30":
            shutil.copyfile(path, baseline_folder / path.name)
    assert autocode(baseline_folder, "--out", work / "ml18") == 0
    new = ML / "transcripts" / "Interview_30.txt"
    assert autocode("--baseline", work / "ml18", new, "--out", work / "ml18-check") == 0
    report = json.loads((work / "ml18-check" / "new-interview.json").read_text())
    report.pop("units_detail")
    report["baseline"] = "the other 18 interviews, clustered (a temporary folder)"
    return {"source": "Interview_30 against the other 18 interviews, clustered", **report}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        results: dict[str, Any] = {"seed_study": seed_study(work)}
        if ML.is_dir():
            results["ml_quality_interviews"] = {
                "clusters": ml_clusters(work),
                "human_codings": ml_coded(work),
                "new_interview": ml_new_interview(work),
            }
        else:
            print(f"skipped the ML-practitioner interviews: {ML} not found", file=sys.stderr)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS} and {FIGURE}")


if __name__ == "__main__":
    main()
