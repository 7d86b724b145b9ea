"""Where the review stands, derived from the decisions in force (the store is the truth).

Per unit, the latest decision not undone says what happened to it: a labelling decision
(accept, reject, recode, no code applies) or a flag takes it out of the queue, a skip defers it
to the end. The labelling decisions are also the reviewer's training labels.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence

import numpy as np

from autocode.review.pool import UnitPool
from autocode.store.decisions import LABEL_ACTIONS, Decision


class ReviewState:
    """The reviewer's decisions in force, by pool position."""

    def __init__(self, pool: UnitPool, decisions: Iterable[Decision] = ()) -> None:
        self._pool = pool
        self.latest: dict[int, Decision] = {}
        self.labels: dict[int, Decision] = {}
        self.skipped: OrderedDict[int, None] = OrderedDict()  # oldest skip first
        self.retired: set[int] = set()  # units whose transcript changed under the session
        for decision in decisions:
            self.add(decision)

    def add(self, decision: Decision) -> int | None:
        """Take a new decision into account; its pool position, None for a unit not in it."""
        position = self._pool.position(decision.transcript_id, decision.unit_index)
        if position is None or not self._pool.is_current(decision.unit):
            return None
        self.latest[position] = decision
        self.skipped.pop(position, None)
        if decision.action == "skip":
            self.skipped[position] = None
        if decision.action in LABEL_ACTIONS:
            self.labels[position] = decision
        return position

    def is_pending(self, position: int) -> bool:
        """Not yet answered (a skipped unit is pending, but deferred)."""
        if position in self.retired:
            return False
        latest = self.latest.get(position)
        return latest is None or latest.action == "skip"

    def is_fresh(self, position: int) -> bool:
        """Pending and never skipped: the main queue."""
        return position not in self.retired and position not in self.latest

    def flagged(self) -> list[Decision]:
        """The flags in force, oldest first."""
        flags = [d for d in self.latest.values() if d.action == "flag"]
        return sorted(flags, key=lambda decision: decision.id)

    def pending_count(self) -> int:
        return (
            len(self._pool)
            - len(self.retired)
            - sum(1 for p, d in self.latest.items() if d.action != "skip" and p not in self.retired)
        )

    def label_rows(self, code_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(positions, labels): one 0/1 row over `code_ids` per labelled unit, in decision
        order. accept/recode mark their codes; reject and "no code applies" mark none."""
        decided = sorted(self.labels.items(), key=lambda item: item[1].id)
        column = {code_id: j for j, code_id in enumerate(code_ids)}
        labels = np.zeros((len(decided), len(code_ids)))
        for row, (_, decision) in enumerate(decided):
            for code in decision.codes:
                if code in column:
                    labels[row, column[code]] = 1.0
        positions = np.array([position for position, _ in decided], dtype=int)
        return positions, labels


class ReviewQueue:
    """The review order: units pushed back by undo first, then the model's order of the fresh
    units, then the skipped ones (oldest skip first)."""

    def __init__(self, order: Sequence[int]) -> None:
        self.reorder(order)
        self._front: list[int] = []

    def reorder(self, order: Sequence[int]) -> None:
        self._order = [int(position) for position in order]
        self._cursor = 0

    def push_front(self, position: int) -> None:
        self._front.append(position)

    def answered(self, position: int) -> None:
        """The unit was just answered: it leaves the front (a skip defers it like any other)."""
        self._front = [p for p in self._front if p != position]

    def has_front(self, state: ReviewState) -> bool:
        """Whether a unit pushed back by undo waits to be shown again."""
        return any(state.is_pending(position) for position in self._front)

    def next(self, state: ReviewState) -> int | None:
        """The next unit to show, None when every unit has been answered."""
        while self._front:
            if state.is_pending(self._front[-1]):
                return self._front[-1]
            self._front.pop()
        while self._cursor < len(self._order):
            position = self._order[self._cursor]
            if state.is_fresh(position):
                return position
            self._cursor += 1
        for position in state.skipped:
            if state.is_pending(position):
                return position
        return None
