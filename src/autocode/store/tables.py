"""The whole project as plain columns, for queries over every unit at once (a matrix query on
100,000 units reads three tables in three statements, never a transcript's text)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import numpy as np

from autocode.store.base import StoreBase


@dataclass(frozen=True)
class UnitTable:
    """Every unit of the project in transcript order, then index order; row i is one unit."""

    transcript_ids: np.ndarray  # str
    indices: np.ndarray  # int
    speakers: np.ndarray  # str
    starts: np.ndarray  # int
    ends: np.ndarray  # int

    def __len__(self) -> int:
        return len(self.indices)

    @cached_property
    def positions(self) -> dict[tuple[str, int], int]:
        """(transcript id, unit index) -> row."""
        keys = zip(self.transcript_ids.tolist(), self.indices.tolist(), strict=True)
        return {key: row for row, key in enumerate(keys)}

    @cached_property
    def transcript_rows(self) -> dict[str, tuple[int, int]]:
        """Transcript id -> (first row, end row) of its units, which stand together."""
        ids = self.transcript_ids
        bounds = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1], True]) if len(ids) else []
        return {str(ids[first]): (int(first), int(end)) for first, end in pairwise(bounds)}


@dataclass(frozen=True)
class CodingTable:
    """Codings of one codebook: transcript, unit index (-1 when the coding has none), span,
    code and coder, one row each."""

    transcript_ids: np.ndarray
    unit_indices: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    code_ids: np.ndarray
    coders: np.ndarray

    def __len__(self) -> int:
        return len(self.code_ids)

    def where(self, keep: np.ndarray) -> CodingTable:
        return CodingTable(*(column[keep] for column in self.__dict__.values()))


class TableReader(StoreBase):
    def unit_table(self) -> UnitTable:
        rows = self._conn.execute(
            'SELECT u.transcript_id, u.idx, u.speaker, u.start, u."end" FROM units AS u '
            "JOIN transcripts AS t ON t.id = u.transcript_id ORDER BY t.rowid, u.idx"
        ).fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
        return UnitTable(
            np.array(columns[0], dtype=object),
            np.array(columns[1], dtype=np.int64),
            np.array(columns[2], dtype=object),
            np.array(columns[3], dtype=np.int64),
            np.array(columns[4], dtype=np.int64),
        )

    def coding_table(self, codebook: str) -> CodingTable:
        rows = self._conn.execute(
            'SELECT transcript_id, coalesce(unit_idx, -1), start, "end", code_id, coder '
            "FROM codings WHERE codebook = ? ORDER BY id",
            (codebook,),
        ).fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [()] * 6
        return CodingTable(
            np.array(columns[0], dtype=object),
            np.array(columns[1], dtype=np.int64),
            np.array(columns[2], dtype=np.int64),
            np.array(columns[3], dtype=np.int64),
            np.array(columns[4], dtype=object),
            np.array(columns[5], dtype=object),
        )

    def transcript_metadata(self) -> dict[str, dict]:
        """Transcript id -> metadata, in the order the transcripts were added."""
        rows = self._conn.execute("SELECT id, metadata FROM transcripts ORDER BY rowid")
        return {tid: (json.loads(raw) if raw else {}) for tid, raw in rows}

    def decided_units(self, codebook: str, reviewer: str | None = None) -> set[tuple[str, int]]:
        """(transcript, unit index) of every unit decided in `codebook` (a decision in force
        that is not a skip or a flag: accept, recode, reject or "no code"), by `reviewer` or by
        any reviewer."""
        only = "" if reviewer is None else "AND d.reviewer = ? "
        rows = self._conn.execute(
            "SELECT d.transcript_id, d.unit_idx FROM decisions AS d "
            f"WHERE d.codebook = ? {only}AND d.action NOT IN ('skip', 'flag', 'undo') "
            "AND NOT EXISTS (SELECT 1 FROM decisions AS u WHERE u.reverts = d.id)",
            (codebook,) if reviewer is None else (codebook, reviewer),
        )
        return {(tid, int(idx)) for tid, idx in rows}
