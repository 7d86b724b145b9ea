"""The project store: state that survives between runs and crashes, in one SQLite file.

    with Project.open("study", writer=True) as project:
        run = project.start_run("batch", config, model="model:themes@1")
        for transcript in transcripts:
            if not project.is_coded(transcript.id, fingerprint, sha256_text(transcript.text)):
                project.commit_coded_transcript(transcript, units, codings, fingerprint, run)
        project.finish_run(run, "done")

Modules: schema (file checks, connection settings, migrations), lock (the writer lock),
transcripts, codings, runs, embeddings, decisions, export (pandas/CSV/Parquet), tables (every unit
and coding as columns, for queries), project (the Project class), summary (what a project holds,
read without opening it as a store).
"""

from autocode.store.base import sha256_text
from autocode.store.export import FRAME_COLUMNS
from autocode.store.lock import ProjectLock
from autocode.store.project import Project
from autocode.store.runs import Run, RunStatus
from autocode.store.schema import DATABASE_NAME, MIGRATIONS, SCHEMA_VERSION, migrate
from autocode.store.transcripts import AddResult

__all__ = [
    "DATABASE_NAME",
    "FRAME_COLUMNS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AddResult",
    "Project",
    "ProjectLock",
    "Run",
    "RunStatus",
    "migrate",
    "sha256_text",
]
