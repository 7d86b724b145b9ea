"""The candidate code (cluster) of each unit, for the card.

The project store keeps no clusters, so the session clusters the project's unit vectors itself
(autocode.cluster, as `autocode suggest` does) in a background thread when it opens; cards show
"still being computed" until it is done, and say so when clustering found no code for a unit
or could not run on this project.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from autocode.classify import ThemeClassifier
from autocode.cluster import find_candidate_codes
from autocode.types import Unit


@dataclass(frozen=True)
class CandidateCode:
    """What a card says about the unit's cluster."""

    id: str
    label: str
    keywords: tuple[str, ...]
    size: int
    theme: str | None


class CandidateCodes:
    """Clusters the pool once, in the background; `of(position)` answers for one unit."""

    def __init__(self) -> None:
        self._labels: np.ndarray | None = None
        self._codes: list[CandidateCode] = []
        self._problem: str | None = None
        self._thread: threading.Thread | None = None

    def start(
        self, units: list[Unit], vectors: np.ndarray, classifier: ThemeClassifier | None
    ) -> None:
        self._thread = threading.Thread(
            target=self._run,
            args=(units, vectors, classifier),
            name="autocode-candidate-codes",
            daemon=True,
        )
        self._thread.start()

    def turn_off(self) -> None:
        self._problem = "candidate codes are not computed in this session"

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.ready

    @property
    def ready(self) -> bool:
        return self._labels is not None or self._problem is not None

    def of(self, position: int) -> tuple[CandidateCode | None, str]:
        """(the unit's candidate code or None, a note saying why there is none)."""
        if self._problem is not None:
            return None, self._problem
        if self._labels is None:
            return None, "candidate codes are still being computed"
        label = int(self._labels[position])
        if label < 0:
            return None, "this unit is in no candidate code (an outlier of the clustering)"
        return self._codes[label], ""

    def _run(
        self, units: list[Unit], vectors: np.ndarray, classifier: ThemeClassifier | None
    ) -> None:
        try:
            with threadpool_limits(limits=1):  # leave the other cores to the server
                found = find_candidate_codes(units, vectors, classifier=classifier)
        except Exception as error:  # clustering is context for the card, never a blocker
            self._problem = f"no candidate codes for this project ({type(error).__name__})"
            return
        self._codes = [
            CandidateCode(code.id, code.label, tuple(code.keywords), code.size, code.theme)
            for code in found.codes
        ]
        self._labels = np.asarray(found.labels, dtype=int)
