"""Codebooks and codings."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable

from autocode.store.base import StoreBase, to_json, utc_now
from autocode.types import Code, Codebook, Coding

_CODING_COLUMNS = 'transcript_id, start, "end", code_id, coder, confidence, created_at, unit_idx'


class CodingStore(StoreBase):
    def add_codebook(self, codebook: Codebook, *, replace: bool = False) -> None:
        """Store a codebook (idempotent for identical content).

        A codebook that exists with different codes is refused unless `replace=True`, which
        updates codes in place and removes the codes missing from the new version; removing a
        code that codings still use is refused (ValueError), and nothing is changed.
        """
        with self._transaction() as conn:
            exists = conn.execute(
                "SELECT 1 FROM codebooks WHERE name = ?", (codebook.name,)
            ).fetchone()
            if exists:
                if self.codebook(codebook.name) == codebook:
                    return
                if not replace:
                    raise ValueError(
                        f"codebook {codebook.name!r} is already stored with other codes; "
                        "pass replace=True to update it"
                    )
                self._drop_codes_not_in(codebook)
            else:
                conn.execute(
                    "INSERT INTO codebooks (name, added_at) VALUES (?, ?)",
                    (codebook.name, utc_now()),
                )
            conn.executemany(
                "INSERT INTO codes (codebook, id, position, name, definition, parent_id, color, "
                "examples) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (codebook, id) DO UPDATE SET position = excluded.position, "
                "name = excluded.name, definition = excluded.definition, "
                "parent_id = excluded.parent_id, color = excluded.color, "
                "examples = excluded.examples",
                [
                    (
                        codebook.name,
                        code.id,
                        position,
                        code.name,
                        code.definition,
                        code.parent_id,
                        code.color,
                        to_json(list(code.examples), f"code {code.id}: examples"),
                    )
                    for position, code in enumerate(codebook.codes)
                ],
            )

    def codebook(self, name: str) -> Codebook:
        """The stored codebook, codes in their original order; KeyError when absent."""
        if not self._conn.execute("SELECT 1 FROM codebooks WHERE name = ?", (name,)).fetchone():
            raise KeyError(f"no codebook {name!r} in the project")
        rows = self._conn.execute(
            "SELECT id, name, definition, parent_id, color, examples FROM codes "
            "WHERE codebook = ? ORDER BY position",
            (name,),
        )
        codes = [
            Code(code_id, code_name, definition, parent_id, color, tuple(json.loads(examples)))
            for code_id, code_name, definition, parent_id, color, examples in rows
        ]
        return Codebook(name, codes)

    def codebooks(self) -> list[str]:
        """Names of the stored codebooks, sorted."""
        return [r[0] for r in self._conn.execute("SELECT name FROM codebooks ORDER BY name")]

    def add_codings(
        self,
        codings: Iterable[Coding],
        *,
        codebook: str | None = None,
        run_id: int | None = None,
    ) -> int:
        """Append codings in one transaction; returns how many were written.

        `codebook` names the codebook the code ids belong to; it may be left out when the project
        holds exactly one. Every coding must name a stored transcript, fit inside its text and
        use a code of the codebook, else ValueError and nothing is written. A missing
        `created_at` becomes the current time.
        """
        with self._transaction():
            return self._insert_codings(codings, codebook, run_id)

    def codings(
        self,
        transcript_id: str | None = None,
        coder: str | None = None,
        coder_prefix: str | None = None,
        codebook: str | None = None,
    ) -> list[Coding]:
        """Stored codings matching all the given filters, ordered by transcript and offsets.

        `coder_prefix="model:"` selects every model's codings, `"human:"` every human's.
        """
        where, params = coding_filter(transcript_id, coder, coder_prefix, codebook)
        rows = self._conn.execute(
            f'SELECT {_CODING_COLUMNS} FROM codings {where} ORDER BY transcript_id, start, "end", '
            "id",
            params,
        )
        return [Coding(*row) for row in rows]

    def replace_codings(
        self, coder_prefix: str, codings: Iterable[Coding], *, codebook: str | None = None
    ) -> int:
        """Delete every coding whose coder starts with `coder_prefix` and append `codings`, in
        one transaction (a coder's earlier output replaced whole); returns how many were written."""
        where, params = coding_filter(None, None, coder_prefix, None)
        with self._transaction() as conn:
            conn.execute(f"DELETE FROM coded_transcripts {where}", params)
            conn.execute(f"DELETE FROM codings {where}", params)
            return self._insert_codings(codings, codebook, None)

    def delete_codings(
        self,
        *,
        coder: str | None = None,
        coder_prefix: str | None = None,
        transcript_id: str | None = None,
    ) -> int:
        """Delete the codings of one coder (or coder prefix), optionally of one transcript.

        The completion marks of that coder go too, so a later batch run codes those transcripts
        again instead of skipping them. Returns the number of codings deleted.
        """
        if coder is None and coder_prefix is None:
            raise ValueError("delete_codings needs coder= or coder_prefix=")
        where, params = coding_filter(transcript_id, coder, coder_prefix, None)
        with self._transaction() as conn:
            self._conn.execute(f"DELETE FROM coded_transcripts {where}", params)
            return conn.execute(f"DELETE FROM codings {where}", params).rowcount

    def _drop_codes_not_in(self, codebook: Codebook) -> None:
        keep = set(codebook.ids)
        stored = {
            r[0]
            for r in self._conn.execute("SELECT id FROM codes WHERE codebook = ?", (codebook.name,))
        }
        dropped = sorted(stored - keep)
        in_use = sorted(
            code_id
            for code_id in dropped
            if self._conn.execute(
                "SELECT 1 FROM codings WHERE codebook = ? AND code_id = ? LIMIT 1",
                (codebook.name, code_id),
            ).fetchone()
        )
        if in_use:
            raise ValueError(
                f"codebook {codebook.name!r}: codes {in_use} are used by codings and cannot be "
                "removed; delete those codings first"
            )
        # Children before parents would matter for an immediate key; the parent key is deferred.
        self._conn.executemany(
            "DELETE FROM codes WHERE codebook = ? AND id = ?",
            [(codebook.name, code_id) for code_id in dropped],
        )

    def _resolve_codebook(self, name: str | None) -> str:
        names = self.codebooks()
        if name is None:
            if len(names) != 1:
                raise ValueError(
                    f"name the codebook of these codings (the project holds {names or 'none'})"
                )
            return names[0]
        if name not in names:
            raise ValueError(f"no codebook {name!r} in the project (it holds {names})")
        return name

    def _insert_codings(
        self, codings: Iterable[Coding], codebook: str | None, run_id: int | None
    ) -> int:
        codebook = self._resolve_codebook(codebook)
        code_ids = {
            r[0] for r in self._conn.execute("SELECT id FROM codes WHERE codebook = ?", (codebook,))
        }
        text_lengths: dict[str, int] = {}
        rows = []
        now = utc_now()
        for coding in codings:
            where = f"coding {coding.transcript_id}[{coding.start}:{coding.end}]"
            if coding.transcript_id not in text_lengths:
                row = self._conn.execute(
                    "SELECT text FROM transcripts WHERE id = ?", (coding.transcript_id,)
                ).fetchone()
                if row is None:
                    raise ValueError(f"{where}: no transcript {coding.transcript_id!r}")
                text_lengths[coding.transcript_id] = len(row[0])
            if coding.end > text_lengths[coding.transcript_id]:
                raise ValueError(f"{where} ends past the transcript text")
            if coding.code_id not in code_ids:
                raise ValueError(f"{where}: code {coding.code_id!r} is not in codebook {codebook}")
            confidence = coding.confidence
            if confidence is not None and not (math.isfinite(confidence) and 0 <= confidence <= 1):
                raise ValueError(f"{where}: confidence {confidence} is not in [0, 1]")
            rows.append(
                (
                    coding.transcript_id,
                    coding.start,
                    coding.end,
                    coding.unit_index,
                    codebook,
                    coding.code_id,
                    coding.coder,
                    confidence,
                    coding.created_at or now,
                    run_id,
                )
            )
        self._conn.executemany(
            'INSERT INTO codings (transcript_id, start, "end", unit_idx, codebook, code_id, '
            "coder, confidence, created_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        return len(rows)


def coding_filter(
    transcript_id: str | None,
    coder: str | None,
    coder_prefix: str | None,
    codebook: str | None,
) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if transcript_id is not None:
        clauses.append("transcript_id = ?")
        params.append(transcript_id)
    if coder is not None:
        clauses.append("coder = ?")
        params.append(coder)
    if coder_prefix is not None:
        clauses.append("substr(coder, 1, ?) = ?")
        params += [len(coder_prefix), coder_prefix]
    if codebook is not None:
        clauses.append("codebook = ?")
        params.append(codebook)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params
