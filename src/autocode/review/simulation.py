"""`autocode simulate`: replay a review over a study a coder already coded, to see what
autocode would have saved them (autocode.review.replay does the replaying).

The coder's codes are the oracle, unit by unit: the project's meaning units (segmented first
where a transcript has none, as `autocode code` would) labelled by the overlap rule of coder
comparison. Only the units the coder coded are replayed (`coverage`: in a survey table a row
with a code; in an interview the text up to the coder's last coding; with "transcript" a coded
table's rows with no code count as "no code applies"). Codes with too few examples to start
from are left out and named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autocode.agreement.items import COVERAGES, coder_items
from autocode.agreement.units import choose_codebook, ensure_units
from autocode.embed import Embedder
from autocode.errors import InputError
from autocode.reliability.estimate import DEFAULT_TARGET, check_target
from autocode.review.replay import START_PER_CODE, ReplaySettings, replay_review
from autocode.segment import DEFAULT_SEGMENT_CONFIG
from autocode.store import Project

DEFAULT_SEEDS = 5
ORDERS = ("default", "random")


@dataclass
class Simulation:
    """The JSON `autocode simulate` writes, and what it left out."""

    project: Path
    coder: str
    codebook: str
    units: int
    project_units: int
    codes: list[str]
    skipped_codes: dict[str, int]
    target: float
    seeds: int
    orders: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": str(self.project),
            "coder": self.coder,
            "codebook": self.codebook,
            "units": self.units,
            "project_units": self.project_units,
            "codes": self.codes,
            "skipped_codes": self.skipped_codes,
            "target": self.target,
            "seeds": self.seeds,
            "orders": self.orders,
            "summary": self.summary(),
        }

    def summary(self) -> dict[str, Any]:
        """Per order: mean share of units decided to reach the target, and where it stopped."""
        out = {}
        for order, runs in self.orders.items():
            reached = [r["decisions_to_target"] for r in runs]
            shares = [1.0 if d is None else d / self.units for d in reached]
            stops = [r["stop"] for r in runs if r["stop"]]
            out[order] = {
                "share_to_target": round(float(np.mean(shares)), 4) if shares else None,
                "runs_reaching_target": sum(d is not None for d in reached),
                "stops": len(stops),
                "share_at_stop": round(
                    float(np.mean([s["decisions"] for s in stops])) / self.units, 4
                )
                if stops
                else None,
                "true_kappa_at_stop": [s["true_kappa"] for s in stops],
            }
        return out

    @property
    def line(self) -> str:
        default = self.summary().get("default", {})
        share = default.get("share_to_target")
        reached = (
            f"the corpus reached kappa {self.target:.2f} after deciding {share:.0%} of the "
            f"{self.units:,} units (mean of {self.seeds} seeds)"
            if share is not None and share < 1
            else f"the corpus did not reach kappa {self.target:.2f} before every unit was decided"
        )
        stop = default.get("share_at_stop")
        said = (
            f"; the review said stop at {stop:.0%}" if stop is not None else "; it never said stop"
        )
        return f"{self.coder}: {reached}{said}"


def simulate_project(
    project_dir: str | Path,
    coder: str,
    *,
    codebook: str | None = None,
    coverage: str = "auto",
    min_overlap: float = 0.5,
    seeds: int = DEFAULT_SEEDS,
    target: float = DEFAULT_TARGET,
    notify: Any = None,
) -> Simulation:
    """Replay the review of `coder`'s coding `seeds` times in each order (InputError for a
    coder, codebook or target that does not work, before anything is written)."""
    check_target(target)
    if seeds < 1:
        raise InputError("--seeds", f"must be at least 1, got {seeds}")
    if coverage not in COVERAGES:
        raise InputError("--coverage", f"use one of {', '.join(COVERAGES)}, not {coverage!r}")
    folder = Path(project_dir)
    if not (folder / "autocode.sqlite").is_file():
        raise InputError(folder, "is not an autocode project (no autocode.sqlite)")
    say = notify or (lambda line: None)
    with Project.open(folder) as project:
        chosen = choose_codebook(project, codebook)
        coders = {c.coder for c in project.codings(codebook=chosen)}
        if coder not in coders:
            shown = ", ".join(sorted(coders)) or "none"
            raise InputError(folder, f"no codings by {coder} in {chosen!r} (coders: {shown})")
        coded = sorted({c.transcript_id for c in project.codings(coder=coder, codebook=chosen)})
        missing = [t for t in coded if not project.units(t)]
    if missing:
        with Project.open(folder, writer=True) as writer:
            ensure_units(writer, missing, config=DEFAULT_SEGMENT_CONFIG)
        say(f"segmented {len(missing)} transcript(s) into units (stored)")
    with Project.open(folder) as project:
        items = coder_items(
            project, [coder], chosen, "unit", min_overlap=min_overlap, coverage=coverage
        )
        total = sum(len(project.units(t)) for t in project.transcript_ids())
        texts = _unit_texts(project, items.sources, items.spans)
        vectors = Embedder(cache=project).encode(texts).astype(np.float64)
        names = {code.id: code.name for code in project.codebook(chosen).codes}
    labels = items.values[0].astype(int)
    if len(texts) < total:
        say(
            f"{coder} coded {len(texts):,} of the project's {total:,} units "
            f"({len(texts) / max(total, 1):.0%}): simulating over those"
        )
    positives = labels.sum(axis=0)
    usable = positives > START_PER_CODE
    skipped = {
        c: int(n) for c, n, ok in zip(items.code_ids, positives, usable, strict=True) if not ok
    }
    if skipped:
        shown = ", ".join(f"{names.get(code, code)} ({n})" for code, n in list(skipped.items())[:8])
        more = f" and {len(skipped) - 8} more (see skipped_codes)" if len(skipped) > 8 else ""
        say(
            f"left out {len(skipped)} code(s) with {START_PER_CODE} or fewer coded units: "
            f"{shown}{more}"
        )
    codes = [c for c, ok in zip(items.code_ids, usable, strict=True) if ok]
    if not codes:
        raise InputError(folder, f"no code has more than {START_PER_CODE} units coded by {coder}")
    labels = labels[:, usable]
    result = Simulation(folder, coder, chosen, len(texts), total, codes, skipped, target, seeds)
    for order in ORDERS:
        settings = ReplaySettings(order=order, target=target)
        result.orders[order] = [
            replay_review(
                vectors, labels, codes, settings, seed=seed, groups=items.groups
            ).to_dict()
            for seed in range(seeds)
        ]
    return result


def _unit_texts(project: Project, sources: list[str], spans: list[tuple[int, int]]) -> list[str]:
    texts: dict[str, str] = {}
    out = []
    for source, (start, end) in zip(sources, spans, strict=True):
        if source not in texts:
            texts[source] = project.get_transcript(source).text
        out.append(texts[source][start:end])
    return out
