"""A project: one folder, one SQLite database, and the writer lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from autocode.errors import InputError
from autocode.store import schema
from autocode.store.base import sha256_text
from autocode.store.decisions import DecisionStore
from autocode.store.embeddings import EmbeddingTable
from autocode.store.export import CodingsExport
from autocode.store.lock import ProjectLock
from autocode.store.runs import RunStore
from autocode.store.tables import TableReader
from autocode.types import Coding, Transcript, Unit


class Project(CodingsExport, RunStore, EmbeddingTable, DecisionStore, TableReader):
    """The state of an autocode project between runs: DIR/autocode.sqlite.

    Open with `Project.create(dir)` or `Project.open(dir)`, use as a context manager. Every
    method that writes several rows does so in one transaction. Batch writers open with
    `writer=True`, which takes the project's writer lock (see autocode.store.lock); any number
    of readers may work at the same time.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection, lock: ProjectLock | None) -> None:
        super().__init__(conn)
        self.path = path
        self._lock = lock

    @property
    def database(self) -> Path:
        return self.path / schema.DATABASE_NAME

    @property
    def writer(self) -> bool:
        """Whether this Project holds the writer lock."""
        return self._lock is not None and self._lock.held

    @classmethod
    def create(cls, path: str | Path, *, writer: bool = False, wait: float = 0.0) -> Project:
        """Make a new project in `path` (created if missing); InputError if one is there."""
        path = Path(path)
        database = path / schema.DATABASE_NAME
        if path.exists() and not path.is_dir():
            raise InputError(path, "is a file; a project is a folder")
        if database.exists() or database.is_symlink():
            raise InputError(path, "already holds an autocode project; open it instead")
        path.mkdir(parents=True, exist_ok=True)
        return cls._connect(path, create=True, writer=writer, wait=wait)

    @classmethod
    def open(cls, path: str | Path, *, writer: bool = False, wait: float = 0.0) -> Project:
        """Open an existing project, migrating an older schema.

        InputError, with nothing touched, when `path` holds no project, the database is not
        SQLite, or it was written by a newer autocode. `writer=True` takes the writer lock,
        waiting up to `wait` seconds for another process to release it.
        """
        path = Path(path)
        database = path / schema.DATABASE_NAME
        if not database.is_file():
            raise InputError(path, "is not an autocode project (no autocode.sqlite in it)")
        schema.refuse_newer(schema.header_version(database), path)
        return cls._connect(path, create=False, writer=writer, wait=wait)

    @classmethod
    def open_or_create(
        cls, path: str | Path, *, writer: bool = False, wait: float = 0.0
    ) -> Project:
        if (Path(path) / schema.DATABASE_NAME).exists():
            return cls.open(path, writer=writer, wait=wait)
        return cls.create(path, writer=writer, wait=wait)

    @classmethod
    def _connect(cls, path: Path, *, create: bool, writer: bool, wait: float) -> Project:
        database = path / schema.DATABASE_NAME
        lock = ProjectLock.acquire(path, wait) if writer else None
        conn: sqlite3.Connection | None = None
        try:
            conn = schema.connect(database, create=create)
            # Again through SQLite: a newer version may sit in the WAL, not yet in the header.
            schema.refuse_newer(schema.stored_version(conn), path)
            schema.use_wal(conn, database)
            schema.migrate(conn)
        except sqlite3.DatabaseError as error:
            _close(conn, lock)
            raise InputError(
                database, f"cannot be opened as a project database: {error}"
            ) from error
        except BaseException:
            _close(conn, lock)
            raise
        project = cls(path, conn, lock)
        if writer:
            try:
                project._interrupt_stale_runs()
            except BaseException:
                project.close()
                raise
        return project

    def close(self) -> None:
        """Close the database and give back the writer lock; safe to call twice."""
        _close(self._conn, self._lock)
        self._lock = None

    def __enter__(self) -> Project:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def commit_coded_transcript(
        self,
        transcript: Transcript,
        units: Iterable[Unit],
        codings: Iterable[Coding],
        model_fingerprint: str,
        run_id: int | None,
        *,
        coder: str | None = None,
        codebook: str | None = None,
    ) -> None:
        """Write one transcript's batch result in ONE transaction.

        The transcript (as `add_transcript`), its units (replacing earlier ones), its codings
        and the completion mark for `model_fingerprint` commit together: a crash or kill -9 at
        any point leaves all of it or none of it. Earlier codings and marks of the same coder
        on this transcript are replaced. `coder` defaults to the codings' coder; pass it when
        `codings` may be empty, so that earlier codings by that coder are still replaced.
        """
        codings = list(codings)
        coders = {coding.coder for coding in codings} | ({coder} if coder else set())
        if len(coders) > 1:
            raise ValueError(f"one transcript's batch result has one coder, got {sorted(coders)}")
        wrong = [c for c in codings if c.transcript_id != transcript.id]
        if wrong:
            raise ValueError(f"coding for {wrong[0].transcript_id} in the batch of {transcript.id}")
        the_coder = next(iter(coders), None)
        with self._transaction() as conn:
            self._put_transcript(transcript, discard_human_codings=False)
            self._replace_units(transcript.id, units)
            if the_coder is not None:
                for table in ("codings", "coded_transcripts"):
                    conn.execute(
                        f"DELETE FROM {table} WHERE transcript_id = ? AND coder = ?",
                        (transcript.id, the_coder),
                    )
            self._insert_codings(codings, codebook, run_id)
            self._mark_coded(
                transcript.id, model_fingerprint, sha256_text(transcript.text), run_id, the_coder
            )

    def integrity_problems(self) -> list[str]:
        """What SQLite's integrity and foreign-key checks find; [] for a sound database."""
        problems = [
            str(row[0]) for row in self._conn.execute("PRAGMA integrity_check") if row[0] != "ok"
        ]
        problems += [
            f"{table} row {rowid} points to a missing {parent}"
            for table, rowid, parent, _ in self._conn.execute("PRAGMA foreign_key_check")
        ]
        return problems


def _close(conn: sqlite3.Connection | None, lock: ProjectLock | None) -> None:
    try:
        if conn is not None:
            conn.close()
    finally:
        if lock is not None:
            lock.release()
