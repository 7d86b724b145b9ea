"""Checks before a review starts: the project, its codebook, the model and the reviewer.

Everything here only reads: the project database is inspected through a read-only SQLite
connection (no migration, no lock), so a bad command line leaves the project byte-identical.
Each problem is one InputError naming the folder or model and what to do.
"""

from __future__ import annotations

import getpass
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from autocode.errors import InputError
from autocode.models import DEFAULT_MODEL
from autocode.models.batch_model import BatchModel, load_batch_model
from autocode.review.ordering import STRATEGIES
from autocode.store import schema

_REVIEWER_NAME = re.compile(r"[^\W_][\w .@'-]{0,63}", re.UNICODE)


@dataclass(frozen=True)
class ReviewSetup:
    """A checked command line: what the session opens."""

    project_dir: Path
    model: BatchModel
    codebook: str
    reviewer: str  # human:NAME
    order: str


@dataclass(frozen=True)
class _ProjectFacts:
    transcripts: int
    units: int
    codebooks: dict[str, list[str]]  # name -> code ids
    coded_with: str | None  # the model of the latest batch run


def check_review(
    project_dir: str | Path,
    *,
    model: str | Path | None = None,
    codebook: str | None = None,
    reviewer: str | None = None,
    order: str = "corpus",
) -> ReviewSetup:
    """The checked setup, or InputError for the first problem found."""
    folder = Path(project_dir)
    facts = _inspect(folder)
    if order not in STRATEGIES:
        raise InputError(folder, f"unknown review order {order!r}; use one of {list(STRATEGIES)}")
    name = reviewer_name(reviewer)
    loaded = load_batch_model(model) if model is not None else _default_model(facts)
    chosen = _choose_codebook(folder, facts, codebook, loaded)
    return ReviewSetup(folder, loaded, chosen, f"human:{name}", order)


def _default_model(facts: _ProjectFacts) -> BatchModel:
    """The model of the project's latest batch run when it still loads, else the shipped one."""
    if facts.coded_with:
        try:
            return load_batch_model(facts.coded_with)
        except InputError:
            pass
    return load_batch_model(DEFAULT_MODEL)


def reviewer_name(reviewer: str | None) -> str:
    """NAME of `human:NAME` (the OS user by default); InputError for an unusable name."""
    name = reviewer if reviewer is not None else getpass.getuser()
    name = name.removeprefix("human:").strip()
    if not _REVIEWER_NAME.fullmatch(name):
        raise InputError(
            "--reviewer",
            f"{name!r} is not a usable reviewer name (letters, digits, space . @ ' -, "
            "up to 64 characters)",
        )
    return name


def _inspect(folder: Path) -> _ProjectFacts:
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
            return _facts(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise InputError(database, f"cannot be read as a project database: {error}") from None


def _facts(conn: sqlite3.Connection) -> _ProjectFacts:
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
    coded_with = None
    row = conn.execute(
        "SELECT config FROM runs WHERE command = 'code' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is not None:
        config = json.loads(row[0])
        coded_with = config.get("model") or config.get("model_dir")
    return _ProjectFacts(int(transcripts), int(units), codebooks, coded_with)


def _choose_codebook(
    folder: Path, facts: _ProjectFacts, requested: str | None, model: BatchModel
) -> str:
    if not facts.transcripts:
        raise InputError(
            folder,
            f"holds no transcripts; code some first: autocode code TRANSCRIPTS --project {folder}",
        )
    if not facts.units:
        raise InputError(
            folder,
            "holds transcripts but no meaning units to review; segment and code them first: "
            f"autocode code TRANSCRIPTS --project {folder}",
        )
    if not facts.codebooks:
        raise InputError(
            folder, "holds no codebook; import one (autocode import) or code with a model"
        )
    names = sorted(facts.codebooks)
    if requested is not None:
        if requested not in facts.codebooks:
            raise InputError(folder, f"has no codebook {requested!r} (it holds {names})")
        chosen = requested
    elif model.codebook.name in facts.codebooks:
        chosen = model.codebook.name
    elif len(names) == 1:
        chosen = names[0]
    else:
        raise InputError(folder, f"holds codebooks {names}: name one with --codebook")
    missing = [code for code in model.theme_ids if code not in facts.codebooks[chosen]]
    if missing:
        raise InputError(
            model.name,
            f"was trained on codebook {model.codebook.name!r}, whose codes {missing} are not in "
            f"the project's codebook {chosen!r}; review with the model that coded this "
            "project (--model) or name its codebook (--codebook)",
        )
    return chosen
