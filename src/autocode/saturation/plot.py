"""A PNG of a `SaturationResult`: code accumulation with its band, and Guest et al.'s runs."""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from autocode.saturation import SaturationResult


def plot_saturation(result: SaturationResult, path: str | Path, *, dpi: int = 150) -> Path:
    """Write the saturation figure to `path` (PNG) and return the path.

    Top: cumulative distinct codes in the given order, the median and 5-95% band over random
    orderings, and the saturation point with its confirming run shaded. Bottom: the
    new-information ratio of each run (at the run's last interview) against the threshold.
    Uses matplotlib's Agg canvas directly, so no display and no global backend change.
    """
    path = Path(path)
    params = result.parameters
    positions = [row.position for row in result.interviews]
    figure = Figure(figsize=(8, 6.5), layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[2, 1])

    top.fill_between(
        positions,
        result.band.p5,
        result.band.p95,
        color="tab:blue",
        alpha=0.18,
        label=f"5-95% of {result.bootstrap.n_permutations} random orders",
    )
    top.plot(positions, result.band.median, color="tab:blue", linestyle="--", label="median")
    top.plot(positions, result.curve, color="black", marker="o", markersize=3, label="given order")
    top.axvspan(0.5, params.base_size + 0.5, color="0.93", zorder=0, label="base")
    top.set_ylabel("distinct codes")
    top.set_title(
        f"Saturation (Guest et al. 2020, base {params.base_size}, run {params.run_length}, "
        f"threshold {params.threshold:.0%}): {result.saturation_label}"
    )

    runs = result.guest.runs
    ends = [run.end for run in runs]
    ratios = [run.ratio if math.isfinite(run.ratio) else math.nan for run in runs]
    bottom.plot(ends, ratios, color="tab:orange", marker="o", markersize=4, label="run ratio")
    bottom.axhline(params.threshold, color="tab:red", linestyle=":", label="threshold")
    bottom.set_ylabel("new / base codes")
    bottom.set_xlabel("interviews")

    point = result.guest.saturation_point
    if point is not None:
        for axis in (top, bottom):
            axis.axvline(point + 0.5, color="tab:green")
        top.axvspan(
            point + 0.5,
            point + params.run_length + 0.5,
            color="tab:green",
            alpha=0.15,
            label=f"saturation {result.saturation_label}",
        )
        reached = next(run for run in runs if run.meets_threshold)
        bottom.plot([reached.end], [reached.ratio], marker="*", markersize=14, color="tab:green")
    top.legend(loc="lower right", fontsize="small")
    bottom.legend(loc="best", fontsize="small")
    bottom.set_xlim(0.5, len(positions) + 0.5)
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    highest = max([params.threshold, *(r for r in ratios if math.isfinite(r))])
    bottom.set_ylim(0, max(highest, 0.01) * 1.25)
    bottom.yaxis.set_major_formatter(PercentFormatter(1.0))
    figure.savefig(path, format="png", dpi=dpi)
    return path
