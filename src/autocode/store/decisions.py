"""The review decision log: one append-only row per answer a reviewer gave to a suggestion.

    decision, stored = project.record_decision(NewDecision(client_id, "human:ana", "themes",
                                                           unit, "accept", codes=("T2",)))
    project.undo_last_decision(client_id_2, "human:ana", "themes")

Every call is one transaction. A decision names its unit by transcript, unit index, offsets and
the transcript's content hash as the card showed them; when the stored text or segmentation is
no longer that, the decision is refused (`StaleUnitError`) rather than stored against other
text. The client id (a UUID the browser makes per keypress) is UNIQUE, so a retried request is
answered with the decision already stored, never a second one.

The reviewer's codings of a unit follow from the latest labelling decision on it that is not
undone: "accept" and "recode" make human codings of `reviewer` over the unit's offsets (carrying
`decision_id`, so export puts them under the reviewer's User), "reject" and "none" make none.
An undo appends a row that `reverts` the reviewer's latest decision still in force (any depth,
whatever process wrote it) and recomputes that unit's codings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal, get_args

from autocode.errors import AutocodeError
from autocode.store.base import to_json, utc_now
from autocode.store.codings import CodingStore
from autocode.types import Code, Codebook, coder_problem

Action = Literal["accept", "reject", "recode", "none", "skip", "flag"]
ACTIONS: tuple[str, ...] = get_args(Action)
LABEL_ACTIONS = ("accept", "reject", "recode", "none")  # the ones that say what codes apply
CODING_ACTIONS = ("accept", "recode")  # the ones that make codings

_COLUMNS = (
    'id, client_id, reviewer, codebook, transcript_id, unit_idx, start, "end", content_hash, '
    "action, codes, suggestion, model_version, memo, reverts, created_at, audit"
)
_NOT_UNDONE = "id NOT IN (SELECT reverts FROM decisions WHERE reverts IS NOT NULL)"


class StaleUnitError(AutocodeError):
    """The unit's transcript text (or segmentation) changed since its card was shown."""


@dataclass(frozen=True)
class UnitRef:
    """A unit as a card showed it: where it is and which text it was cut from."""

    transcript_id: str
    unit_index: int
    start: int
    end: int
    content_hash: str


@dataclass(frozen=True)
class NewDecision:
    """What a reviewer answered. `codes`: the codes the answer applies (accept: the suggested
    ones; recode: the chosen one); `suggestion`: (code, probability) pairs of the suggestion
    answered, by the model `model_version`."""

    client_id: str
    reviewer: str
    codebook: str
    unit: UnitRef
    action: str
    codes: tuple[str, ...] = ()
    suggestion: tuple[tuple[str, float], ...] = ()
    model_version: str | None = None
    memo: str = ""
    audit: bool = False  # a blind audit card: the reviewer saw no suggestion


@dataclass(frozen=True)
class Decision:
    """A stored row of the log; an undo has action "undo" and `reverts` set."""

    id: int
    client_id: str
    reviewer: str
    codebook: str
    transcript_id: str
    unit_index: int
    start: int
    end: int
    content_hash: str
    action: str
    codes: tuple[str, ...]
    suggestion: tuple[tuple[str, float], ...]
    model_version: str | None
    memo: str
    reverts: int | None
    created_at: str
    audit: bool = False

    @property
    def unit(self) -> UnitRef:
        return UnitRef(self.transcript_id, self.unit_index, self.start, self.end, self.content_hash)


class DecisionStore(CodingStore):
    def record_decision(
        self, new: NewDecision, *, new_code: Code | None = None
    ) -> tuple[Decision, bool]:
        """Store one decision and the codings it implies; (decision, True when newly stored).

        A client id already stored returns that decision and False (a retried request); the
        same id with another unit or action is a ValueError. `new_code` is added to the
        codebook in the same transaction (the reviewer's code made from the card).
        """
        if new.action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, got {new.action!r}")
        problem = coder_problem(new.reviewer, human_only=True)
        if problem:
            raise ValueError(problem)
        codes = tuple(dict.fromkeys(new.codes))
        if new.action == "recode" and len(codes) != 1:
            raise ValueError("a recode names exactly one code")
        if new.action in ("reject", "none", "skip", "flag") and codes:
            raise ValueError(f"a {new.action} decision applies no codes")
        with self._transaction() as conn:
            earlier = self._by_client_id(new.client_id)
            if earlier is not None:
                if (earlier.unit, earlier.action) != (new.unit, new.action):
                    raise ValueError(f"client id {new.client_id} was used for another decision")
                return earlier, False
            self._check_current(new.unit)
            if new_code is not None:
                self._add_code(new.codebook, new_code)
            known = set(self.codebook(new.codebook).ids)
            unknown = [code for code in codes if code not in known]
            if unknown:
                raise ValueError(f"codes {unknown} are not in codebook {new.codebook!r}")
            unit = new.unit
            cursor = conn.execute(
                f"INSERT INTO decisions ({_COLUMNS.split(', ', 1)[1]}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                (
                    new.client_id,
                    new.reviewer,
                    new.codebook,
                    unit.transcript_id,
                    unit.unit_index,
                    unit.start,
                    unit.end,
                    unit.content_hash,
                    new.action,
                    to_json(list(codes), "decision codes"),
                    to_json([[code, float(p)] for code, p in new.suggestion], "suggestion"),
                    new.model_version,
                    new.memo,
                    utc_now(),
                    int(new.audit),
                ),
            )
            self._recode_unit(new.reviewer, new.codebook, unit)
            return self._decision(int(cursor.lastrowid or 0)), True

    def undo_last_decision(
        self, client_id: str, reviewer: str, codebook: str
    ) -> tuple[Decision | None, bool]:
        """Revert the reviewer's latest decision still in force; (the undo row, newly stored).

        (None, False) when there is nothing left to undo. A client id already stored returns
        that undo. The reverted unit's codings are recomputed from what is left.
        """
        with self._transaction() as conn:
            earlier = self._by_client_id(client_id)
            if earlier is not None:
                if earlier.action != "undo":
                    raise ValueError(f"client id {client_id} was used for another decision")
                return earlier, False
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM decisions WHERE reviewer = ? AND codebook = ? "
                f"AND action != 'undo' AND {_NOT_UNDONE} ORDER BY id DESC LIMIT 1",
                (reviewer, codebook),
            ).fetchone()
            if row is None:
                return None, False
            target = _from_row(row)
            cursor = conn.execute(
                f"INSERT INTO decisions ({_COLUMNS.split(', ', 1)[1]}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'undo', '[]', '[]', NULL, '', ?, ?, 0)",
                (
                    client_id,
                    reviewer,
                    codebook,
                    target.transcript_id,
                    target.unit_index,
                    target.start,
                    target.end,
                    target.content_hash,
                    target.id,
                    utc_now(),
                ),
            )
            self._recode_unit(reviewer, codebook, target.unit)
            return self._decision(int(cursor.lastrowid or 0)), True

    def decisions(self, reviewer: str | None = None, codebook: str | None = None) -> list[Decision]:
        """Every row of the log (undos included), oldest first."""
        where, params = _filter(reviewer, codebook)
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM decisions {where} ORDER BY id", params)
        return [_from_row(row) for row in rows]

    def decisions_in_force(self, reviewer: str, codebook: str) -> list[Decision]:
        """The reviewer's decisions that no undo reverted (undos left out), oldest first."""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM decisions WHERE reviewer = ? AND codebook = ? "
            f"AND action != 'undo' AND {_NOT_UNDONE} ORDER BY id",
            (reviewer, codebook),
        )
        return [_from_row(row) for row in rows]

    def reviewers(self, codebook: str) -> list[str]:
        """Everyone who answered a card of `codebook`, sorted."""
        rows = self._conn.execute(
            "SELECT DISTINCT reviewer FROM decisions WHERE codebook = ? ORDER BY reviewer",
            (codebook,),
        )
        return [row[0] for row in rows]

    def _by_client_id(self, client_id: str) -> Decision | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM decisions WHERE client_id = ?", (client_id,)
        ).fetchone()
        return None if row is None else _from_row(row)

    def _decision(self, decision_id: int) -> Decision:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM decisions WHERE id = ?", (decision_id,)
        ).fetchone()
        return _from_row(row)

    def _is_current(self, unit: UnitRef) -> bool:
        try:
            self._check_current(unit)
        except StaleUnitError:
            return False
        return True

    def _check_current(self, unit: UnitRef) -> None:
        stored = self._conn.execute(
            "SELECT content_hash FROM transcripts WHERE id = ?", (unit.transcript_id,)
        ).fetchone()
        if stored is None:
            raise StaleUnitError(f"transcript {unit.transcript_id} is no longer in the project")
        if stored[0] != unit.content_hash:
            raise StaleUnitError(
                f"the text of transcript {unit.transcript_id} changed since this card was shown; "
                "the decision was not stored"
            )
        offsets = self._conn.execute(
            'SELECT start, "end" FROM units WHERE transcript_id = ? AND idx = ?',
            (unit.transcript_id, unit.unit_index),
        ).fetchone()
        if offsets is None or tuple(offsets) != (unit.start, unit.end):
            raise StaleUnitError(
                f"transcript {unit.transcript_id} was segmented again since this card was shown "
                f"(unit {unit.unit_index} is no longer {unit.start}-{unit.end}); the decision "
                "was not stored"
            )

    def _add_code(self, codebook: str, code: Code) -> None:
        stored = self.codebook(codebook)
        if code.id in stored.ids:
            if stored.get(code.id).name != code.name:
                raise ValueError(f"code id {code.id} is taken in codebook {codebook!r}")
            return
        self.add_codebook(Codebook(codebook, [*stored.codes, code]), replace=True)

    def _recode_unit(self, reviewer: str, codebook: str, unit: UnitRef) -> None:
        """Make the reviewer's codings of the unit those of their latest labelling decision."""
        conn = self._conn
        same_unit = "reviewer = ? AND codebook = ? AND transcript_id = ? AND unit_idx = ?"
        key = (reviewer, codebook, unit.transcript_id, unit.unit_index)
        mine = f"SELECT id FROM decisions WHERE {same_unit}"
        conn.execute(f"DELETE FROM codings WHERE decision_id IN ({mine})", key)
        if not self._is_current(unit):
            return  # the text changed: its codings went with it, and none point into the new one
        labels = ", ".join(f"'{action}'" for action in LABEL_ACTIONS)
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM decisions WHERE {same_unit} AND content_hash = ? "
            f"AND action IN ({labels}) AND {_NOT_UNDONE} ORDER BY id DESC LIMIT 1",
            (*key, unit.content_hash),
        ).fetchone()
        if row is None:
            return
        latest = _from_row(row)
        if latest.action not in CODING_ACTIONS:
            return
        conn.executemany(
            'INSERT INTO codings (transcript_id, start, "end", unit_idx, codebook, code_id, coder, '
            "confidence, created_at, run_id, decision_id) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, "
            "NULL, ?)",
            [
                (
                    latest.transcript_id,
                    latest.start,
                    latest.end,
                    latest.unit_index,
                    codebook,
                    code_id,
                    reviewer,
                    latest.created_at,
                    latest.id,
                )
                for code_id in latest.codes
            ],
        )


def _filter(reviewer: str | None, codebook: str | None) -> tuple[str, list[object]]:
    clauses, params = [], []
    for column, value in (("reviewer", reviewer), ("codebook", codebook)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _from_row(row: tuple) -> Decision:
    (
        decision_id,
        client_id,
        reviewer,
        codebook,
        transcript_id,
        unit_index,
        start,
        end,
        content_hash,
        action,
        codes,
        suggestion,
        model_version,
        memo,
        reverts,
        created_at,
        audit,
    ) = row
    return Decision(
        id=decision_id,
        client_id=client_id,
        reviewer=reviewer,
        codebook=codebook,
        transcript_id=transcript_id,
        unit_index=unit_index,
        start=start,
        end=end,
        content_hash=content_hash,
        action=action,
        codes=tuple(json.loads(codes)),
        suggestion=tuple((str(code), float(p)) for code, p in json.loads(suggestion)),
        model_version=model_version,
        memo=memo,
        reverts=reverts,
        created_at=created_at,
        audit=bool(audit),
    )
