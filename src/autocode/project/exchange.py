"""Moving coded material between exchange files and a project store.

    counts = import_into_project("study", import_qdpx("study.qdpx"), source="study.qdpx")
    with Project.open("study") as project:
        export_qdpx(project_as_refi(project), "study-coded.qdpx")

Import writes everything in ONE transaction: the codebook, the transcripts, the codings (with
their coders) and the run record commit together or not at all. A project the import had to
create is removed again when the import fails, so a bad file never leaves a half-made project.

Re-importing is idempotent: for every imported transcript, the earlier codings of each coder the
file names are replaced by the file's, so importing a newer export of the same QDA project
updates that coding instead of doubling it. Other coders' codings (a second coder, the model's)
are kept.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from autocode.agreement.units import choose_codebook
from autocode.errors import InputError
from autocode.io.refi import RefiProject, user_display_name
from autocode.store import DATABASE_NAME, Project
from autocode.store.lock import LOCK_NAME
from autocode.types import Code, Codebook, Unit

IMPORT_COMMAND = "import"


@dataclass
class ImportCounts:
    """What an import stored."""

    codebook: str
    codes: int
    new_codes: int
    transcripts: Counter[str] = field(default_factory=Counter)  # added/unchanged/updated/...
    codings: int = 0
    replaced_codings: int = 0
    units: int = 0
    coders: dict[str, int] = field(default_factory=dict)
    created_project: bool = False
    warnings: list[str] = field(default_factory=list)


def import_into_project(
    project_dir: str | Path,
    refi: RefiProject,
    *,
    source: str | Path,
    codebook_name: str | None = None,
    replace_codebook: bool = False,
    merge_codebook: bool = False,
    units: Sequence[Unit] = (),
) -> ImportCounts:
    """Store `refi` (transcripts, codebook, codings, users) in the project, created if missing.

    `codebook_name` renames the codebook. A stored codebook of that name with other codes is an
    InputError unless `replace_codebook` (the file's codebook wins; codes that codings still use
    cannot be removed) or `merge_codebook` (the file's new codes are added, nothing is removed).
    `units` are stored for transcripts that have none yet (a coded CSV's responses).
    """
    project_dir = Path(project_dir)
    created_dir = not project_dir.exists()
    created_project = not (project_dir / DATABASE_NAME).exists()
    try:
        with Project.open_or_create(project_dir, writer=True) as project:
            counts = _store(
                project, refi, source, codebook_name, replace_codebook, merge_codebook, units
            )
    except BaseException:
        if created_project:
            _remove_new_project(project_dir, created_dir)
        raise
    counts.created_project = created_project
    return counts


def _store(
    project: Project,
    refi: RefiProject,
    source: str | Path,
    codebook_name: str | None,
    replace_codebook: bool,
    merge_codebook: bool,
    units: Sequence[Unit],
) -> ImportCounts:
    name = codebook_name or refi.codebook.name
    codebook = Codebook(name, list(refi.codebook.codes))
    coders = sorted(set(refi.users) | {coding.coder for coding in refi.codings})
    # One transaction for everything (nested store calls become savepoints): an import that
    # fails half-way leaves the project exactly as it was.
    with project._transaction():
        known = project.codebook(name).ids if name in project.codebooks() else []
        run = project.start_run(IMPORT_COMMAND, _run_config(refi, source, name, coders))
        counts = ImportCounts(
            codebook=name,
            codes=len(codebook.codes),
            new_codes=len(set(codebook.ids) - set(known)),
            warnings=list(refi.warnings),
        )
        for transcript in refi.transcripts:
            counts.transcripts[project.add_transcript(transcript)] += 1
            for coder in coders:
                counts.replaced_codings += project.delete_codings(
                    coder=coder, transcript_id=transcript.id
                )
        # After the replaced codings are gone, so a replaced codebook may drop codes they used.
        _store_codebook(project, codebook, replace_codebook, merge_codebook, source)
        counts.units, own_units = _store_units(project, units)
        # A unit index names a unit of the stored segmentation: drop it where that is another.
        codings = [
            coding if coding.transcript_id in own_units else replace(coding, unit_index=None)
            for coding in refi.codings
        ]
        try:
            counts.codings = project.add_codings(codings, codebook=name, run_id=run)
        except ValueError as error:
            raise InputError(source, str(error)) from None
        counts.coders = dict(Counter(coding.coder for coding in refi.codings))
        project.finish_run(run, "done")
    return counts


def _store_codebook(
    project: Project, codebook: Codebook, replace: bool, merge: bool, source: str | Path
) -> None:
    if merge and codebook.name in project.codebooks():
        stored = project.codebook(codebook.name)
        new = [code for code in codebook.codes if code.id not in set(stored.ids)]
        codebook = Codebook(codebook.name, stored.codes + new)
        replace = True
    try:
        project.add_codebook(codebook, replace=replace)
    except ValueError as error:
        hint = "" if replace else "; import with --replace-codebook, or name another --codebook"
        raise InputError(source, f"{error}{hint}") from None


def _store_units(project: Project, units: Sequence[Unit]) -> tuple[int, set[str]]:
    """Store `units` for transcripts that have none; (units stored, transcripts whose stored
    units are these). A transcript segmented otherwise before keeps its units."""
    by_transcript: dict[str, list[Unit]] = {}
    for unit in units:
        by_transcript.setdefault(unit.transcript_id, []).append(unit)
    stored, own = 0, set()
    for transcript_id, transcript_units in by_transcript.items():
        existing = project.units(transcript_id)
        if not existing:
            project.add_units(transcript_id, transcript_units)
            stored += len(transcript_units)
        if not existing or existing == transcript_units:
            own.add(transcript_id)
    return stored, own


def _run_config(refi: RefiProject, source: str | Path, codebook: str, coders: list[str]) -> dict:
    """What export needs again later (REFI project name, user GUIDs) and what was imported."""
    return {
        "file": str(source),
        "refi_name": refi.name,
        "origin": refi.origin,
        "codebook": codebook,
        "users": {coder: refi.users.get(coder, user_display_name(coder)) for coder in coders},
        "user_guids": dict(refi.user_guids),
        "transcripts": [transcript.id for transcript in refi.transcripts],
        "warnings": list(refi.warnings),
    }


def _remove_new_project(project_dir: Path, created_dir: bool) -> None:
    """Undo a project this import created: the folder, or only the files put in it."""
    if created_dir:
        shutil.rmtree(project_dir, ignore_errors=True)
        return
    if not project_dir.is_dir():
        return
    for name in (DATABASE_NAME, f"{DATABASE_NAME}-wal", f"{DATABASE_NAME}-shm", LOCK_NAME):
        (project_dir / name).unlink(missing_ok=True)


def project_as_refi(
    project: Project, codebook: str | None = None, coder_prefixes: Sequence[str] = ()
) -> RefiProject:
    """The project's transcripts, its codebooks and their codings as a REFI-QDA project.

    `codebook` names one codebook; without it a project of several codebooks exports them all,
    each a top-level code with its codes beneath (REFI-QDA has one codebook per project).
    `coder_prefixes` keeps only codings whose coder starts with one of them ("human:",
    "model:seed-themes@"); none keeps all. Every coder becomes a REFI User (a model's user
    is named "autocode model <name> <version>"); user GUIDs and the project name recorded by
    the last import of this codebook are reused, so a round trip keeps them.
    """
    names = project.codebooks()
    if codebook is None and len(names) > 1:
        book, code_of = _codebooks_as_one(project, names)
        imported: dict[str, Any] = {}
    else:
        name = choose_codebook(project, codebook)
        names, book, code_of = [name], project.codebook(name), {}
        imported = _last_import(project, name)
    codings = [
        replace(coding, code_id=code_of.get((name, coding.code_id), coding.code_id))
        for name in names
        for coding in project.codings(codebook=name)
        if not coder_prefixes or coding.coder.startswith(tuple(coder_prefixes))
    ]
    coders = sorted({coding.coder for coding in codings})
    guids = imported.get("user_guids") or {}
    users = imported.get("users") or {}
    return RefiProject(
        name=str(imported.get("refi_name") or project.path.resolve().name),
        transcripts=list(project.transcripts()),
        codebook=book,
        codings=codings,
        users={coder: str(users.get(coder) or user_display_name(coder)) for coder in coders},
        user_guids={coder: str(guids[coder]) for coder in coders if coder in guids},
    )


def _codebooks_as_one(
    project: Project, names: Sequence[str]
) -> tuple[Codebook, dict[tuple[str, str], str]]:
    """Every codebook under a top-level code of its name; a code id two codebooks share is
    prefixed with its codebook's position ("2:T1")."""
    books = [project.codebook(name) for name in names]
    seen = Counter(code.id for book in books for code in book.codes)
    codes: list[Code] = []
    code_of: dict[tuple[str, str], str] = {}
    for number, book in enumerate(books, start=1):
        root = f"codebook-{number}"
        codes.append(Code(id=root, name=book.name))
        for code in book.codes:
            unique = seen[code.id] == 1 and not code.id.startswith("codebook-")
            code_of[(book.name, code.id)] = code.id if unique else f"{number}:{code.id}"
        for code in book.codes:
            parent = code_of[(book.name, code.parent_id)] if code.parent_id else root
            codes.append(replace(code, id=code_of[(book.name, code.id)], parent_id=parent))
    return Codebook(project.path.resolve().name, codes), code_of


def _last_import(project: Project, codebook: str) -> dict[str, Any]:
    try:
        runs = project.runs()
    except sqlite3.Error:  # pragma: no cover - a damaged runs table must not block export
        return {}
    for run in reversed(runs):
        if run.command == IMPORT_COMMAND and run.config.get("codebook") == codebook:
            return run.config
    return {}
