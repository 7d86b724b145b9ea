"""Runs (one row per batch command) and the completion marks batch runs resume from."""

from __future__ import annotations

import json
import platform
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from autocode import __version__
from autocode.store.base import StoreBase, to_json, utc_now

RunStatus = Literal["running", "done", "failed", "interrupted"]
_RUN_COLUMNS = "id, command, config, versions, model, started_at, ended_at, status, error"


@dataclass(frozen=True)
class Run:
    """One recorded run of a command against the project."""

    id: int
    command: str
    config: dict[str, Any]
    versions: dict[str, str]
    model: str | None
    started_at: str
    ended_at: str | None
    status: RunStatus
    error: str | None


def default_versions() -> dict[str, str]:
    return {
        "autocode": __version__,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


class RunStore(StoreBase):
    def start_run(
        self,
        command: str,
        config: Mapping[str, Any],
        versions: Mapping[str, str] | None = None,
        model: str | None = None,
    ) -> int:
        """Record the start of a run and return its id; needs the writer lock.

        `versions` defaults to autocode, Python and SQLite versions; pass package versions
        that matter to the run (torch, sentence-transformers, ...) as well.
        """
        if not self.writer:
            raise RuntimeError("start_run needs the writer lock: open the project with writer=True")
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (command, config, versions, model, started_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    command,
                    to_json(dict(config), "run config"),
                    to_json(dict(versions or default_versions()), "run versions"),
                    model,
                    utc_now(),
                ),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, status: RunStatus, error: str | None = None) -> None:
        """Record how a run ended: "done", "failed" (with `error`) or "interrupted"."""
        if status not in get_args(RunStatus) or status == "running":
            raise ValueError(f"a run finishes as done, failed or interrupted, not {status!r}")
        with self._transaction() as conn:
            updated = conn.execute(
                "UPDATE runs SET status = ?, error = ?, ended_at = ? WHERE id = ?",
                (status, error, utc_now(), run_id),
            ).rowcount
        if not updated:
            raise KeyError(f"no run {run_id} in the project")

    def runs(self) -> list[Run]:
        """All runs, oldest first."""
        rows = self._conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id")
        return [
            Run(run_id, command, json.loads(config), json.loads(versions), *rest)
            for run_id, command, config, versions, *rest in rows
        ]

    def mark_coded(
        self,
        transcript_id: str,
        model_fingerprint: str,
        content_hash: str,
        run_id: int | None,
        coder: str | None = None,
    ) -> None:
        """Record that the model has coded this version of the transcript (replaces older marks).

        Prefer `commit_coded_transcript`, which writes the codings and this mark together.
        """
        with self._transaction():
            self._mark_coded(transcript_id, model_fingerprint, content_hash, run_id, coder)

    def is_coded(self, transcript_id: str, model_fingerprint: str, content_hash: str) -> bool:
        """Whether this model fingerprint has coded exactly this text of the transcript."""
        return (
            self._conn.execute(
                "SELECT 1 FROM coded_transcripts WHERE transcript_id = ? "
                "AND model_fingerprint = ? AND content_hash = ?",
                (transcript_id, model_fingerprint, content_hash),
            ).fetchone()
            is not None
        )

    def coded_hashes(self, model_fingerprint: str) -> dict[str, str]:
        """transcript id -> content hash of every transcript this fingerprint has coded.

        One query for a whole batch's resume check, instead of one `is_coded` per transcript.
        """
        rows = self._conn.execute(
            "SELECT transcript_id, content_hash FROM coded_transcripts WHERE model_fingerprint = ?",
            (model_fingerprint,),
        )
        return dict(rows.fetchall())

    def completed_transcripts(self, coder: str) -> set[str]:
        """Ids of the transcripts a batch run marked as coded by `coder` (any fingerprint)."""
        rows = self._conn.execute(
            "SELECT transcript_id FROM coded_transcripts WHERE coder = ?", (coder,)
        )
        return {row[0] for row in rows}

    def _mark_coded(
        self,
        transcript_id: str,
        model_fingerprint: str,
        content_hash: str,
        run_id: int | None,
        coder: str | None,
    ) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO coded_transcripts (transcript_id, model_fingerprint, "
            "content_hash, coder, run_id, completed_at) VALUES (?, ?, ?, ?, ?, ?)",
            (transcript_id, model_fingerprint, content_hash, coder, run_id, utc_now()),
        )

    def _interrupt_stale_runs(self) -> int:
        """Mark runs still "running" as interrupted; only safe while holding the writer lock.

        Every run is started by a writer-lock holder, so when this process holds the lock, no
        other process can be running one: they died (kill -9, crash, power cut) mid-run.
        """
        with self._transaction() as conn:
            return conn.execute(
                "UPDATE runs SET status = 'interrupted', ended_at = ?, "
                "error = 'the process ended before finishing the run' "
                "WHERE status = 'running'",
                (utc_now(),),
            ).rowcount
