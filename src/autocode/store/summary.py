"""What a project holds, read without opening it as a store: a read-only SQLite connection (no
migration, no lock, nothing written), so a check that fails leaves the file byte-identical."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from autocode.errors import InputError
from autocode.store import schema


@dataclass(frozen=True)
class ProjectSummary:
    transcripts: int
    units: int
    codebooks: dict[str, list[str]]  # name -> code ids, in codebook order
    coded_models: tuple[str, ...] = ()  # every model of a batch run, the latest first


def project_summary(folder: Path) -> ProjectSummary:
    """The summary of the project in `folder`; InputError when it is not a readable project."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError(folder, "does not exist; give the folder of an autocode project")
    if not folder.is_dir():
        raise InputError(folder, "is a file; a project is a folder")
    database = folder / schema.DATABASE_NAME
    if not database.is_file():
        raise InputError(folder, "is not an autocode project (no autocode.sqlite in it)")
    schema.refuse_newer(schema.header_version(database), folder)
    uri = f"file:{quote(str(database.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=schema.BUSY_TIMEOUT_S)
        try:
            return _read(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise InputError(database, f"cannot be read as a project database: {error}") from None


def _read(conn: sqlite3.Connection) -> ProjectSummary:
    transcripts = conn.execute("SELECT count(*) FROM transcripts").fetchone()[0]
    units = conn.execute("SELECT count(*) FROM units").fetchone()[0]
    codebooks: dict[str, list[str]] = {}
    for name, code_id in conn.execute(
        "SELECT b.name, c.id FROM codebooks AS b LEFT JOIN codes AS c ON c.codebook = b.name "
        "ORDER BY b.name, c.position"
    ):
        codebooks.setdefault(name, [])
        if code_id is not None:
            codebooks[name].append(code_id)
    coded_models: list[str] = []
    for (raw,) in conn.execute("SELECT config FROM runs WHERE command = 'code' ORDER BY id DESC"):
        config = json.loads(raw)
        model = config.get("model") or config.get("model_dir")
        if model and model not in coded_models:
            coded_models.append(str(model))
    return ProjectSummary(int(transcripts), int(units), codebooks, tuple(coded_models))
