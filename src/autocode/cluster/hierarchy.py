"""Parent codes: related candidate codes grouped by agglomerative clustering of their centroids.

Ward clustering of the L2-normalised code centroids (scipy; euclidean distance between unit
vectors ranks like cosine), cut into `max(2, round(codes / codes_per_group))` groups: about five
codes per group, so 40 codes collapse into 8 groups and the 13 codes of the seed excerpts into
3. Only corpora with at least `min_codes` (4) codes are grouped. Ward was chosen over average
linkage for even groups: on the 19 ML interviews' 22 codes average linkage gave groups of
11/6/3/1 codes, Ward 6/6/5/4 (seed excerpts: 11/1/1 against 6/5/2). Deterministic.
"""

from __future__ import annotations

import numpy as np

from autocode.numeric import unit_rows


def group_codes(
    centroids: np.ndarray, *, codes_per_group: float = 5.0, min_codes: int = 4
) -> list[list[int]]:
    """Groups of code positions (each a list, in code order), largest group first; [] when
    there are fewer than `min_codes` codes."""
    count = len(centroids)
    if count < max(min_codes, 2):
        return []
    from scipy.cluster.hierarchy import fcluster, linkage

    wanted = max(2, round(count / codes_per_group))
    points = np.asarray(centroids, dtype=np.float64)
    points = unit_rows(points)
    tree = linkage(points, method="ward")
    assignment = fcluster(tree, t=wanted, criterion="maxclust")
    groups: dict[int, list[int]] = {}
    for position, group in enumerate(assignment.tolist()):
        groups.setdefault(group, []).append(position)
    return sorted(groups.values(), key=lambda members: (-len(members), members[0]))
