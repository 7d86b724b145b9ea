"""Transcripts and their meaning units."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Literal

from autocode.errors import InputError
from autocode.language import languages_of, primary_subtag
from autocode.store.base import StoreBase, sha256_text, to_json, utc_now
from autocode.types import Transcript, Turn, Unit

AddResult = Literal["added", "unchanged", "updated", "replaced"]
_PAGE = 100


class TranscriptStore(StoreBase):
    def add_transcript(
        self, transcript: Transcript, *, discard_human_codings: bool = False
    ) -> AddResult:
        """Store a transcript; idempotent. Returns what happened.

        - "added": a new id.
        - "unchanged": same text, turns and metadata as stored.
        - "updated": same text, new turns or metadata; units and codings are kept.
        - "replaced": the text changed. In one transaction the stored text is replaced and the
          transcript's units, codings and completion marks are deleted, since their offsets
          pointed into the old text. Human codings are never dropped silently: when there are
          some, InputError is raised unless `discard_human_codings=True`.
        """
        with self._transaction():
            return self._put_transcript(transcript, discard_human_codings)

    def get_transcript(self, transcript_id: str) -> Transcript:
        """The stored transcript; KeyError when there is none with that id."""
        row = self._conn.execute(
            "SELECT id, text, metadata, turns FROM transcripts WHERE id = ?", (transcript_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no transcript {transcript_id!r} in the project")
        return _transcript_from_row(row)

    def transcript_ids(self) -> list[str]:
        """Ids in the order the transcripts were first added."""
        return [r[0] for r in self._conn.execute("SELECT id FROM transcripts ORDER BY rowid")]

    def transcripts(self) -> Iterator[Transcript]:
        """All transcripts in the order they were first added, read a page at a time."""
        last = -1
        while True:
            rows = self._conn.execute(
                "SELECT rowid, id, text, metadata, turns FROM transcripts "
                "WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (last, _PAGE),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _transcript_from_row(row[1:])
            last = rows[-1][0]

    def transcript_languages(self) -> list[str]:
        """The distinct ISO 639-1 codes of the transcripts' languages ("en" when unknown)."""
        rows = self._conn.execute("SELECT metadata FROM transcripts ORDER BY rowid")
        return languages_of(json.loads(row[0]) if row[0] else {} for row in rows)

    def add_units(self, transcript_id: str, units: Iterable[Unit]) -> None:
        """Set the transcript's units, replacing any earlier segmentation, in one transaction.

        Each unit must belong to the transcript and satisfy `text == transcript.text[start:end]`;
        only the offsets are stored, the text is read back from the transcript.
        """
        with self._transaction():
            self._replace_units(transcript_id, units)

    def units(self, transcript_id: str) -> list[Unit]:
        """The transcript's units in index order ([] when it has not been segmented)."""
        text, language = self._text_and_language(transcript_id)
        rows = self._conn.execute(
            'SELECT idx, speaker, start, "end" FROM units WHERE transcript_id = ? ORDER BY idx',
            (transcript_id,),
        )
        return [
            Unit(transcript_id, idx, speaker, start, end, text[start:end], language)
            for idx, speaker, start, end in rows
        ]

    def _text_and_language(self, transcript_id: str) -> tuple[str, str | None]:
        row = self._conn.execute(
            "SELECT text, metadata FROM transcripts WHERE id = ?", (transcript_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no transcript {transcript_id!r} in the project")
        metadata = json.loads(row[1]) if row[1] else {}
        return str(row[0]), primary_subtag(metadata.get("language"))

    def _text(self, transcript_id: str) -> str:
        return self._text_and_language(transcript_id)[0]

    def _put_transcript(self, transcript: Transcript, discard_human_codings: bool) -> AddResult:
        conn = self._conn
        content_hash = sha256_text(transcript.text)
        metadata = to_json(transcript.metadata, f"transcript {transcript.id}: metadata")
        turns = to_json([_turn_to_dict(turn) for turn in transcript.turns], "turns")
        stored = conn.execute(
            "SELECT content_hash, metadata, turns FROM transcripts WHERE id = ?",
            (transcript.id,),
        ).fetchone()
        if stored is None:
            conn.execute(
                "INSERT INTO transcripts (id, text, content_hash, metadata, turns, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (transcript.id, transcript.text, content_hash, metadata, turns, utc_now()),
            )
            return "added"
        if stored[0] == content_hash:
            if (stored[1], stored[2]) == (metadata, turns):
                return "unchanged"
            conn.execute(
                "UPDATE transcripts SET metadata = ?, turns = ? WHERE id = ?",
                (metadata, turns, transcript.id),
            )
            return "updated"
        humans = conn.execute(
            "SELECT count(*) FROM codings WHERE transcript_id = ? AND substr(coder, 1, 6) = ?",
            (transcript.id, "human:"),
        ).fetchone()[0]
        if humans and not discard_human_codings:
            raise InputError(
                transcript.metadata.get("source", f"transcript {transcript.id}"),
                f"the text of transcript {transcript.id} changed, and its {humans} human "
                "codings point into the old text; re-import them, or replace the transcript "
                "with discard_human_codings=True",
            )
        for table in ("units", "codings", "coded_transcripts"):
            conn.execute(f"DELETE FROM {table} WHERE transcript_id = ?", (transcript.id,))
        conn.execute(
            "UPDATE transcripts SET text = ?, content_hash = ?, metadata = ?, turns = ? "
            "WHERE id = ?",
            (transcript.text, content_hash, metadata, turns, transcript.id),
        )
        return "replaced"

    def _replace_units(self, transcript_id: str, units: Iterable[Unit]) -> None:
        text = self._text(transcript_id)
        rows = []
        seen: set[int] = set()
        for unit in units:
            where = f"unit {unit.transcript_id}#{unit.index}"
            if unit.transcript_id != transcript_id:
                raise ValueError(f"{where} does not belong to transcript {transcript_id}")
            if unit.index in seen:
                raise ValueError(f"{where}: the index occurs twice")
            if unit.end > len(text) or text[unit.start : unit.end] != unit.text:
                raise ValueError(f"{where}: text is not transcript.text[{unit.start}:{unit.end}]")
            seen.add(unit.index)
            rows.append((transcript_id, unit.index, unit.speaker, unit.start, unit.end))
        self._conn.execute("DELETE FROM units WHERE transcript_id = ?", (transcript_id,))
        self._conn.executemany(
            'INSERT INTO units (transcript_id, idx, speaker, start, "end") VALUES (?, ?, ?, ?, ?)',
            rows,
        )


def _turn_to_dict(turn: Turn) -> dict[str, object]:
    return {
        "speaker": turn.speaker,
        "start": turn.start,
        "end": turn.end,
        "timestamp": turn.timestamp,
    }


def _transcript_from_row(row: tuple[str, str, str, str]) -> Transcript:
    transcript_id, text, metadata, turns = row
    return Transcript(
        id=transcript_id,
        text=text,
        turns=[Turn(**turn) for turn in json.loads(turns)],
        metadata=json.loads(metadata),
    )
