"""The project database file: header checks, connection settings and ordered migrations.

Durability: the database runs in WAL journal mode with `synchronous=NORMAL`. A committed
transaction is in the WAL file before `COMMIT` returns, so it survives the process being killed
(kill -9, a crash, a closed laptop lid). A power cut or an operating-system crash can lose the last
few commits since the most recent checkpoint, but never corrupts the file and never leaves half a
transaction. WAL needs a local file system (not a network share).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from autocode.errors import InputError

DATABASE_NAME = "autocode.sqlite"
SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100
_USER_VERSION_OFFSET = 60  # PRAGMA user_version lives at bytes 60..63 of the header, big-endian
BUSY_TIMEOUT_S = 30.0

# Unit and coding text is not stored: it is `transcripts.text[start:end]`, so it can never
# disagree with the transcript, and a changed transcript text drops its units and codings.
# Offsets are Python string indices (code points), end exclusive, as in autocode.types.
_V1 = """
CREATE TABLE transcripts (
    id TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    turns TEXT NOT NULL DEFAULT '[]',
    added_at TEXT NOT NULL
);

CREATE TABLE units (
    transcript_id TEXT NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL CHECK (idx >= 0),
    speaker TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    CHECK (0 <= start AND start <= "end"),
    PRIMARY KEY (transcript_id, idx)
);

CREATE TABLE embeddings (
    model_id TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    dim INTEGER NOT NULL CHECK (dim > 0),
    vector BLOB NOT NULL CHECK (length(vector) = 4 * dim),
    PRIMARY KEY (model_id, text_hash)
) WITHOUT ROWID;

CREATE TABLE codebooks (
    name TEXT PRIMARY KEY,
    added_at TEXT NOT NULL
);

CREATE TABLE codes (
    codebook TEXT NOT NULL REFERENCES codebooks(name) ON DELETE CASCADE,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL DEFAULT '',
    parent_id TEXT,
    color TEXT,
    examples TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (codebook, id),
    FOREIGN KEY (codebook, parent_id) REFERENCES codes(codebook, id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    versions TEXT NOT NULL DEFAULT '{}',
    model TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    error TEXT
);

CREATE TABLE codings (
    id INTEGER PRIMARY KEY,
    transcript_id TEXT NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    unit_idx INTEGER,
    codebook TEXT NOT NULL,
    code_id TEXT NOT NULL,
    coder TEXT NOT NULL CHECK (substr(coder, 1, 6) IN ('human:', 'model:')),
    confidence REAL CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
    created_at TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    CHECK (0 <= start AND start <= "end"),
    FOREIGN KEY (codebook, code_id) REFERENCES codes(codebook, id)
);
CREATE INDEX codings_by_transcript ON codings(transcript_id);
CREATE INDEX codings_by_coder ON codings(coder);
CREATE INDEX codings_by_code ON codings(code_id, codebook);

-- Which transcripts a model has finished: the resume record of batch runs. One row per
-- (transcript, model fingerprint), and `coder` ties the row to the codings it vouches for.
CREATE TABLE coded_transcripts (
    transcript_id TEXT NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    model_fingerprint TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    coder TEXT,
    run_id INTEGER REFERENCES runs(id),
    completed_at TEXT NOT NULL,
    PRIMARY KEY (transcript_id, model_fingerprint)
);
CREATE INDEX coded_transcripts_by_coder ON coded_transcripts(coder);
"""

# The review app's decision log (autocode.store.decisions): append-only, one row per keypress
# that answered a card; an undo is a row that `reverts` an earlier one. Codings a decision made
# carry its id, so undoing it removes exactly those codings.
_V2_DECISIONS = """
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    reviewer TEXT NOT NULL CHECK (substr(reviewer, 1, 6) = 'human:'),
    codebook TEXT NOT NULL REFERENCES codebooks(name),
    transcript_id TEXT NOT NULL REFERENCES transcripts(id),
    unit_idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    action TEXT NOT NULL
        CHECK (action IN ('accept', 'reject', 'recode', 'none', 'skip', 'flag', 'undo')),
    codes TEXT NOT NULL DEFAULT '[]',
    suggestion TEXT NOT NULL DEFAULT '[]',
    model_version TEXT,
    memo TEXT NOT NULL DEFAULT '',
    reverts INTEGER UNIQUE REFERENCES decisions(id),
    created_at TEXT NOT NULL,
    CHECK ((action = 'undo') = (reverts IS NOT NULL))
);
CREATE INDEX decisions_by_reviewer ON decisions(reviewer, codebook);
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
ALTER TABLE codings ADD COLUMN decision_id INTEGER REFERENCES decisions(id);
"""

# A blind audit card (the reviewer saw no suggestion): a random draw among the undecided units
# that checks the model where nobody looked (autocode.reliability).
_V3_AUDIT = """
ALTER TABLE decisions ADD COLUMN audit INTEGER NOT NULL DEFAULT 0 CHECK (audit IN (0, 1));
"""

# Append only: never edit a released migration; add a new script that changes the schema.
MIGRATIONS: tuple[str, ...] = (_V1, _V2_DECISIONS, _V3_AUDIT)
SCHEMA_VERSION = len(MIGRATIONS)


def header_version(database: Path) -> int:
    """The schema version recorded in the file's header, read without opening it with SQLite.

    An empty file counts as an empty database (version 0), as SQLite treats it. Anything that
    does not start with the SQLite magic string is refused, so it is never opened or overwritten.
    """
    with database.open("rb") as file:
        header = file.read(_HEADER_SIZE)
    if not header:
        return 0
    if len(header) < _HEADER_SIZE or not header.startswith(SQLITE_MAGIC):
        raise InputError(database, "is not an SQLite database; autocode leaves it untouched")
    offset = _USER_VERSION_OFFSET
    return int.from_bytes(header[offset : offset + 4], "big", signed=True)


def refuse_newer(version: int, project_dir: Path) -> None:
    if version > SCHEMA_VERSION:
        raise InputError(
            project_dir,
            f"project was written by a newer autocode (schema {version} > {SCHEMA_VERSION}); "
            "upgrade autocode",
        )


def connect(database: Path, *, create: bool) -> sqlite3.Connection:
    """A connection with foreign keys on and a busy timeout; transactions are explicit.

    `create=False` opens the file read-write but never creates it.
    """
    mode = "rwc" if create else "rw"
    uri = f"file:{quote(str(database.resolve()))}?mode={mode}"
    # isolation_level=None: the sqlite3 module opens no transactions by itself; the store
    # issues BEGIN IMMEDIATE / COMMIT around every write (see StoreBase._transaction).
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_S)
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def stored_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def use_wal(conn: sqlite3.Connection, database: Path) -> None:
    """WAL lets readers work while one writer commits; see the module docstring on durability."""
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise InputError(database, f"cannot use WAL journal mode (got {mode!r})")
    conn.execute("PRAGMA synchronous = NORMAL")


def split_statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (semicolons inside triggers stay put)."""
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\n;"):
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip(" \t\n;"):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer!r}")
    return statements


def migrate(conn: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Apply the migrations the database lacks, all in one transaction; return the new version.

    The version is read inside the write transaction, so two processes opening an old project
    at once cannot both migrate it. A failing script rolls everything back: the database keeps
    the version (and tables) it had.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = stored_version(conn)
        if version > len(migrations):
            raise ValueError(f"schema {version} is newer than this code ({len(migrations)})")
        for script in migrations[version:]:
            for statement in split_statements(script):
                conn.execute(statement)
        if version < len(migrations):  # setting it again would still rewrite the file header
            conn.execute(f"PRAGMA user_version = {len(migrations)}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return len(migrations)
