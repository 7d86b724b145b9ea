"""The import graph of src/autocode between its top-level packages and modules, read from the
code's own imports (ast), with the layer each belongs to.

    python scripts/import_graph.py              # the edges and any that break the layers
    python scripts/import_graph.py --dot FILE   # Graphviz source of the picture in docs/
    python scripts/import_graph.py --svg FILE   # the picture itself (drawn with matplotlib)

tests/test_layers.py uses `import_edges` and `LAYERS` to fail when a lower layer imports a
higher one or a feature package imports another feature package.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "autocode"

# Lowest first. A part may import its own layer and the layers below it, except that feature
# packages never import one another.
LAYERS: dict[str, tuple[str, ...]] = {
    "foundation": (
        "types",
        "errors",
        "versions",
        "files",
        "numeric",
        "bootstrap",
        "data",
        "language",
    ),
    "stages": (
        "io",
        "segment",
        "embed",
        "classify",
        "cluster",
        "store",
        "corpus",
    ),
    "analyses": (
        "agreement",
        "evaluation",
        "matrix",
        "models",
        "reliability",
    ),
    "rendering": ("report",),
    "features": ("suggest", "batch", "saturation", "review", "project"),
    "interface": ("cli", "__main__", "__init__"),
}
FEATURES = frozenset(LAYERS["features"])
LEVEL = {part: level for level, parts in enumerate(LAYERS.values()) for part in parts}
LAYER_OF = {part: name for name, parts in LAYERS.items() for part in parts}


def part_of(path: Path, source: Path = SOURCE) -> str:
    """The top-level package or module of the source tree a file belongs to."""
    relative = path.relative_to(source)
    first = relative.parts[0]
    return first[:-3] if first.endswith(".py") else first


def import_edges(source: Path = SOURCE) -> dict[tuple[str, str], list[str]]:
    """(importing part, imported part) -> the files (relative paths) whose imports make it."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(source.rglob("*.py")):
        here = part_of(path, source)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] != "autocode" or len(parts) < 2:
                    continue
                target = parts[1]
                if target != here:
                    where = str(path.relative_to(source))
                    if where not in edges[(here, target)]:
                        edges[(here, target)].append(where)
    return dict(edges)


def violations(edges: dict[tuple[str, str], list[str]]) -> list[str]:
    """Every edge that runs up a layer, joins two feature packages, or names an unknown part."""
    found = []
    for (source, target), files in sorted(edges.items()):
        for part in (source, target):
            if part not in LEVEL:
                found.append(f"{part}: in no layer (add it to LAYERS)")
        if source not in LEVEL or target not in LEVEL:
            continue
        if source in FEATURES and target in FEATURES:
            found.append(f"{source} -> {target}: one feature imports another ({', '.join(files)})")
        elif LEVEL[target] > LEVEL[source]:
            found.append(
                f"{source} ({LAYER_OF[source]}) -> {target} ({LAYER_OF[target]}): "
                f"up a layer ({', '.join(files)})"
            )
    return sorted(set(found))


def dot(edges: dict[tuple[str, str], list[str]]) -> str:
    lines = ["digraph autocode {", "  rankdir=BT; node [shape=box, fontsize=10];"]
    for name, parts in LAYERS.items():
        present = [p for p in parts if any(p in edge for edge in edges)]
        lines.append(f'  subgraph "cluster_{name}" {{ label="{name}"; rank=same;')
        lines += [f'    "{p}";' for p in present]
        lines.append("  }")
    lines += [f'  "{a}" -> "{b}";' for a, b in sorted(edges)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(edges: dict[tuple[str, str], list[str]], path: Path) -> None:
    """The layers as rows (lowest at the bottom), the parts as boxes, imports as arrows."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = [[p for p in parts if any(p in edge for edge in edges)] for parts in LAYERS.values()]
    width = max(len(r) for r in rows)
    figure = Figure(figsize=(1.6 * width, 1.5 * len(rows)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    place = {}
    for y, (name, row) in enumerate(zip(LAYERS, rows, strict=True)):
        for x, part in enumerate(row):
            place[part] = ((x + 0.5) * width / max(len(row), 1), y)
        axes.text(-0.6, y, name, ha="right", va="center", fontsize=8, style="italic")
    for source, target in edges:
        if source in place and target in place:
            (x1, y1), (x2, y2) = place[source], place[target]
            colour = "tab:red" if LEVEL[target] > LEVEL[source] else "0.75"
            axes.annotate("", (x2, y2 + 0.12), (x1, y1 - 0.12),
                          arrowprops={"arrowstyle": "->", "color": colour, "lw": 0.6})  # fmt: skip
    for part, (x, y) in place.items():
        axes.text(x, y, part, ha="center", va="center", fontsize=7,
                  bbox={"boxstyle": "round", "fc": "white", "ec": "0.3"})  # fmt: skip
    axes.set_xlim(-2.2, width + 0.2)
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.axis("off")
    figure.tight_layout()
    figure.savefig(path, format=path.suffix.lstrip(".") or "svg")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dot", type=Path, help="write Graphviz source here")
    parser.add_argument("--svg", type=Path, help="draw the picture here (.svg or .png)")
    args = parser.parse_args()
    edges = import_edges()
    if args.dot:
        args.dot.write_text(dot(edges), encoding="utf-8")
    if args.svg:
        draw(edges, args.svg)
    problems = violations(edges)
    print(f"{len(edges)} edges between {len({p for e in edges for p in e})} parts")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
