"""The model as one more coder: per code, whether a model's kappa with each human lies inside the
range of the humans' kappas with each other (below, within, above).

With two humans the range is one value, so the line also says whether the model's kappa lies
inside the humans' bootstrap interval: a kappa just below one pair's estimate is within noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autocode.agreement.pairs import PairScores
from autocode.numeric import shown
from autocode.types import HUMAN_PREFIX, MODEL_PREFIX


def model_as_coder(scores: PairScores, coders: Sequence[str]) -> list[dict[str, Any]]:
    """Per code and model coder: its kappa with each human against the humans' kappas with each
    other (module docstring). Empty unless a model and at least two humans are compared."""
    humans = [c for c in coders if c.startswith(HUMAN_PREFIX)]
    models = [c for c in coders if c.startswith(MODEL_PREFIX)]
    if not models or len(humans) < 2:
        return []
    index = {frozenset(pair): p for p, pair in enumerate(scores.pairs)}
    kappa, lo, hi = (scores.estimates["cohen_kappa"], scores.lo["cohen_kappa"],
                     scores.hi["cohen_kappa"])  # fmt: skip
    human_pairs = [p for pair, p in index.items() if pair <= set(humans)]
    lines = []
    for k, code in enumerate(scores.code_ids):
        between = kappa[human_pairs, k]
        defined = between[~np.isnan(between)]
        low = float(defined.min()) if len(defined) else float("nan")
        high = float(defined.max()) if len(defined) else float("nan")
        interval_lo = (
            np.nanmin(lo[human_pairs, k]) if not np.isnan(lo[human_pairs, k]).all() else np.nan
        )
        interval_hi = (
            np.nanmax(hi[human_pairs, k]) if not np.isnan(hi[human_pairs, k]).all() else np.nan
        )
        for model in models:
            with_humans = {}
            for human in humans:
                value = float(kappa[index[frozenset((model, human))], k])
                with_humans[human] = {
                    "kappa": value,
                    "position": _position(value, low, high),
                    "inside_human_interval": bool(interval_lo <= value <= interval_hi)
                    if not (np.isnan(value) or np.isnan(interval_lo))
                    else None,
                }
            positions = [entry["position"] for entry in with_humans.values()]
            lines.append(
                {
                    "code": code,
                    "model": model,
                    "human_range": [low, high],
                    "human_interval": [float(interval_lo), float(interval_hi)],
                    "with_humans": with_humans,
                    "as_good_as_humans": None
                    if None in positions
                    else all(position != "below" for position in positions),
                }
            )
    return lines


def model_note(coders: Sequence[str]) -> str | None:
    """Why no model-as-coder lines are given, when a model is compared with fewer than 2 humans."""
    humans = [c for c in coders if c.startswith(HUMAN_PREFIX)]
    if any(c.startswith(MODEL_PREFIX) for c in coders) and len(humans) < 2:
        return (
            "The model is judged against the humans' agreement with each other: compare it "
            "with two or more human coders to see whether it codes as a human would."
        )
    return None


def _position(value: float, low: float, high: float) -> str | None:
    if np.isnan(value) or np.isnan(low):
        return None
    if value < low:
        return "below"
    return "above" if value > high else "within"


def model_line(entry: dict[str, Any], name: str) -> str:
    """One line for a person: how the model's kappas sit against the humans'."""
    low, high = entry["human_range"]
    if low is None or np.isnan(low):
        return f"{name}: the humans' kappa is undefined, so the model cannot be placed"
    humans = "; ".join(
        f"{human} {_fmt(value['kappa'])} ({value['position'] or 'n/a'}"
        + (
            ", inside their interval"
            if value["inside_human_interval"] and value["position"] == "below"
            else ""
        )
        + ")"
        for human, value in entry["with_humans"].items()
    )
    span = _fmt(low) if low == high else f"{_fmt(low)}-{_fmt(high)}"
    verdict = {True: "as good as a human", False: "below the humans", None: "undefined"}[
        entry["as_good_as_humans"]
    ]
    return f"{name}: {entry['model']} κ with {humans}; humans with each other {span}: {verdict}"


_fmt = shown
