"""The project store: files, migrations, round trips, atomicity under kill -9, the writer lock."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autocode.errors import InputError
from autocode.store import DATABASE_NAME, SCHEMA_VERSION, Project, migrate, sha256_text
from autocode.store.lock import LOCK_NAME
from autocode.types import Code, Codebook, Coding, Transcript, Turn, Unit

# Code points beyond the BMP and combining marks: offsets must stay Python string indices.
TEXT = (
    "I: How was the clinic? 😀\nP: Café visits felt exhausting, honestly.\nP: But the nurse helped."
)
CODEBOOK = Codebook(
    "themes",
    [
        Code("burden", "Treatment burden", "Effort of care", color="#aa0000"),
        Code("fatigue", "Fatigue", parent_id="burden", examples=("so tired",)),
        Code("support", "Support"),
    ],
)


def span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def make_transcript(transcript_id: str = "P01", text: str = TEXT) -> Transcript:
    p_start = text.index("P:") + 3
    return Transcript(
        transcript_id,
        text,
        [Turn("I", 3, text.index("\n"), timestamp=1.25), Turn("P", p_start, len(text))],
        {"source": f"{transcript_id}.txt", "format": "txt", "participant": "Zoë"},
    )


def make_units(transcript: Transcript) -> list[Unit]:
    parts = ["Café visits felt exhausting, honestly.", "But the nurse helped."]
    units = []
    for index, part in enumerate(parts):
        start, end = span(transcript.text, part)
        units.append(Unit(transcript.id, index, "P", start, end, part))
    return units


def model_codings(transcript: Transcript, coder: str = "model:themes@1") -> list[Coding]:
    units = make_units(transcript)
    return [
        Coding(transcript.id, units[0].start, units[0].end, "fatigue", coder, 0.875, None, 0),
        Coding(transcript.id, units[1].start, units[1].end, "support", coder, 0.5, None, 1),
    ]


@pytest.fixture
def project(tmp_path: Path):
    with Project.create(tmp_path / "study", writer=True) as opened:
        opened.add_codebook(CODEBOOK)
        yield opened


def file_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- files, versions, migrations ---------------------------------------------------------------


def test_create_open_and_settings(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "study"
    with Project.create(folder) as created:
        assert created.database == folder / DATABASE_NAME
    with pytest.raises(InputError, match="already holds an autocode project"):
        Project.create(folder)
    with Project.open(folder) as opened:
        pragma = {
            name: opened._conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
        }
        assert pragma == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "synchronous": 1,  # NORMAL
            "busy_timeout": 30000,
        }
        assert opened._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert opened.integrity_problems() == []
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="is not an autocode project"):
        Project.open(tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []
    with pytest.raises(InputError, match="is not an autocode project"):
        Project.open(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()


def test_version_0_database_is_migrated_to_current(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    conn = sqlite3.connect(folder / DATABASE_NAME)
    conn.execute("CREATE TABLE scratch (x)")
    conn.execute("DROP TABLE scratch")
    conn.commit()
    conn.close()
    with Project.open(folder) as opened:
        assert opened._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in opened._conn.execute("SELECT name FROM sqlite_master")}
        assert {"transcripts", "units", "codings", "codebooks", "codes", "runs"} <= tables
        assert {"embeddings", "coded_transcripts"} <= tables
        opened.add_transcript(make_transcript())
        assert opened.transcript_ids() == ["P01"]


def test_migrate_applies_only_missing_scripts_in_order(tmp_path: Path) -> None:
    migrations = [
        "CREATE TABLE a (x INTEGER);",
        "ALTER TABLE a ADD COLUMN y TEXT; CREATE TRIGGER t AFTER INSERT ON a BEGIN "
        "UPDATE a SET y = 'set'; END;",
    ]
    conn = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    assert migrate(conn, migrations[:1]) == 1
    conn.execute("INSERT INTO a (x) VALUES (7)")
    assert migrate(conn, migrations) == 2
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("SELECT x, y FROM a").fetchall() == [(7, None)]
    conn.execute("INSERT INTO a (x) VALUES (8)")
    assert conn.execute("SELECT y FROM a WHERE x = 8").fetchone() == ("set",)
    assert migrate(conn, migrations) == 2  # nothing left to apply


def test_failing_migration_changes_nothing(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, ["CREATE TABLE a (x);", "CREATE TABLE a (x);"])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_newer_schema_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    with Project.create(folder) as created:
        created.add_transcript(make_transcript())
    conn = sqlite3.connect(folder / DATABASE_NAME)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.close()
    before = file_state(folder)
    message = (
        f"project was written by a newer autocode (schema {SCHEMA_VERSION + 3} > "
        f"{SCHEMA_VERSION}); upgrade autocode"
    )
    for writer in (False, True):
        with pytest.raises(InputError, match=re.escape(message)):
            Project.open(folder, writer=writer)
    assert file_state(folder) == before  # no -wal, -shm or lock file either


def test_newer_schema_still_in_the_wal_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    Project.create(folder).close()
    # An open connection keeps the change in the WAL: the file header still says current.
    newer = sqlite3.connect(folder / DATABASE_NAME)
    newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    try:
        with pytest.raises(InputError, match="written by a newer autocode"):
            Project.open(folder)
    finally:
        newer.close()


@pytest.mark.parametrize("content", [b"transcript,code\nP01,fatigue\n", b"SQLite"])
def test_non_sqlite_file_is_refused_and_untouched(tmp_path: Path, content: bytes) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / DATABASE_NAME).write_bytes(content)
    with pytest.raises(InputError) as error:
        Project.open(folder, writer=True)
    assert str(folder / DATABASE_NAME) in str(error.value)
    assert "not an SQLite database" in str(error.value)
    with pytest.raises(InputError, match="already holds"):
        Project.create(folder)
    assert file_state(folder) == {DATABASE_NAME: content}


# --- round trips -------------------------------------------------------------------------------


def test_transcript_round_trip_and_idempotence(project: Project) -> None:
    transcript = make_transcript()
    assert project.add_transcript(transcript) == "added"
    assert project.add_transcript(make_transcript()) == "unchanged"
    assert project.get_transcript("P01") == transcript
    changed_meta = make_transcript()
    changed_meta.metadata["date"] = "2024-03-01"
    assert project.add_transcript(changed_meta) == "updated"
    assert project.get_transcript("P01").metadata["date"] == "2024-03-01"
    project.add_transcript(Transcript("P00", "earlier id, added later"))
    assert [t.id for t in project.transcripts()] == ["P01", "P00"]  # order of adding
    with pytest.raises(KeyError):
        project.get_transcript("nope")
    with pytest.raises(ValueError, match="JSON"):
        project.add_transcript(Transcript("P02", "x", metadata={"when": object()}))
    assert project.transcript_ids() == ["P01", "P00"]


def test_units_round_trip_keeps_offsets_and_text(project: Project) -> None:
    transcript = make_transcript()
    project.add_transcript(transcript)
    units = make_units(transcript)
    project.add_units("P01", units)
    assert project.units("P01") == units
    for unit in project.units("P01"):
        assert transcript.text[unit.start : unit.end] == unit.text
    shifted = Unit("P01", 2, "P", units[1].start + 1, units[1].end + 1, units[1].text)
    with pytest.raises(ValueError, match=r"is not transcript\.text"):
        project.add_units("P01", [units[0], shifted])
    assert project.units("P01") == units  # the failed replacement wrote nothing
    project.add_units("P01", units[:1])
    assert project.units("P01") == units[:1]


def test_codings_round_trip_filters_and_delete(project: Project) -> None:
    transcript = make_transcript()
    project.add_transcript(transcript)
    start, end = span(TEXT, "exhausting")
    human = Coding("P01", start, end, "burden", "human:ana", None, "2024-01-02T10:00:00+00:00")
    models = model_codings(transcript)
    assert project.add_codings([human]) == 1
    assert project.add_codings(models, codebook="themes") == 2
    stored = project.codings(coder_prefix="model:")
    assert all(c.created_at for c in stored)
    assert [replace(c, created_at=None) for c in stored] == models
    assert TEXT[stored[0].start : stored[0].end] == "Café visits felt exhausting, honestly."
    assert project.codings(coder="human:ana") == [human]
    assert project.codings(transcript_id="P01", coder_prefix="human:") == [human]
    assert project.codings(transcript_id="other") == []
    with pytest.raises(ValueError, match="needs coder"):
        project.delete_codings()
    assert project.delete_codings(coder_prefix="model:") == 2
    assert project.codings() == [human]


def test_invalid_codings_write_nothing(project: Project) -> None:
    project.add_transcript(make_transcript())
    good = model_codings(make_transcript())
    bad_cases = {
        "not in codebook": Coding("P01", 0, 1, "nonexistent", "model:m@1", 0.5),
        "ends past": Coding("P01", 0, len(TEXT) + 1, "support", "model:m@1", 0.5),
        "no transcript": Coding("P99", 0, 1, "support", "model:m@1", 0.5),
        r"not in \[0, 1\]": Coding("P01", 0, 1, "support", "model:m@1", 1.5),
    }
    for message, bad in bad_cases.items():
        with pytest.raises(ValueError, match=message):
            project.add_codings([*good, bad])
    assert project.codings() == []
    project.add_codebook(Codebook("other", [Code("x", "X")]))
    with pytest.raises(ValueError, match="name the codebook"):
        project.add_codings(good)


def test_codebook_round_trip_and_replace(project: Project) -> None:
    assert project.codebook("themes") == CODEBOOK
    assert project.codebooks() == ["themes"]
    project.add_codebook(CODEBOOK)  # identical: no-op
    edited = Codebook("themes", [Code("support", "Support, social"), CODEBOOK.codes[0]])
    with pytest.raises(ValueError, match="replace=True"):
        project.add_codebook(edited)
    project.add_transcript(make_transcript())
    project.add_codings([Coding("P01", 0, 1, "fatigue", "human:ana")])
    with pytest.raises(ValueError, match="used by codings"):
        project.add_codebook(edited, replace=True)
    assert project.codebook("themes") == CODEBOOK
    project.delete_codings(coder="human:ana")
    project.add_codebook(edited, replace=True)
    assert project.codebook("themes") == edited


def test_changed_text_replaces_units_and_codings_but_guards_human_codings(
    project: Project,
) -> None:
    transcript = make_transcript()
    project.commit_coded_transcript(
        transcript, make_units(transcript), model_codings(transcript), "fp-1", None
    )
    edited = make_transcript(text=TEXT.replace("clinic", "hospital"))
    assert project.add_transcript(edited) == "replaced"
    assert project.get_transcript("P01").text == edited.text
    assert project.units("P01") == []
    assert project.codings() == []
    assert not project.is_coded("P01", "fp-1", sha256_text(TEXT))
    project.add_codings([Coding("P01", 0, 1, "burden", "human:ana")])
    with pytest.raises(InputError, match="1 human codings"):
        project.add_transcript(transcript)
    assert project.get_transcript("P01").text == edited.text
    assert project.add_transcript(transcript, discard_human_codings=True) == "replaced"
    assert project.codings() == []


# --- batch results: atomicity and resume -------------------------------------------------------


def test_commit_coded_transcript_and_resume(project: Project) -> None:
    transcript = make_transcript()
    content_hash = sha256_text(transcript.text)
    run_id = project.start_run("batch", {"threshold": 0.5}, model="model:themes@1")
    assert not project.is_coded("P01", "fp-1", content_hash)
    project.commit_coded_transcript(
        transcript, make_units(transcript), model_codings(transcript), "fp-1", run_id
    )
    assert project.is_coded("P01", "fp-1", content_hash)
    assert not project.is_coded("P01", "fp-2", content_hash)
    assert not project.is_coded("P01", "fp-1", sha256_text("other text"))
    assert project.coded_hashes("fp-1") == {"P01": content_hash}
    assert project.units("P01") == make_units(transcript)
    assert len(project.codings(coder="model:themes@1")) == 2
    # The same model under a new fingerprint (say, a new threshold) replaces, not duplicates.
    project.commit_coded_transcript(
        transcript, make_units(transcript), model_codings(transcript)[:1], "fp-2", run_id
    )
    assert len(project.codings(coder="model:themes@1")) == 1
    assert project.coded_hashes("fp-1") == {}
    # An empty result still replaces earlier codings when the coder is named.
    project.commit_coded_transcript(
        transcript, make_units(transcript), [], "fp-3", run_id, coder="model:themes@1"
    )
    assert project.codings() == []
    assert project.is_coded("P01", "fp-3", content_hash)


def test_failed_commit_writes_nothing_of_the_transcript(project: Project) -> None:
    fresh = make_transcript("P02")
    bad = [*model_codings(fresh), Coding("P02", 0, 1, "nonexistent", "model:themes@1", 0.9)]
    with pytest.raises(ValueError, match="not in codebook"):
        # Fails after the transcript and its units were written inside the transaction.
        project.commit_coded_transcript(fresh, make_units(fresh), bad, "fp-1", None)
    assert project.transcript_ids() == []
    assert project._conn.execute("SELECT count(*) FROM units").fetchone() == (0,)
    assert not project.is_coded("P02", "fp-1", sha256_text(fresh.text))

    coded = make_transcript("P01")
    project.commit_coded_transcript(coded, make_units(coded), model_codings(coded), "fp-1", None)
    before = project.codings()
    changed = make_transcript("P01", TEXT.replace("clinic", "hospital"))
    bad = [*model_codings(changed), Coding("P01", 0, 1, "nonexistent", "model:themes@1", 0.9)]
    with pytest.raises(ValueError, match="not in codebook"):
        project.commit_coded_transcript(changed, make_units(changed), bad, "fp-2", None)
    assert project.get_transcript("P01") == coded
    assert project.codings() == before
    assert project.units("P01") == make_units(coded)
    assert project.is_coded("P01", "fp-1", sha256_text(coded.text))


# --- runs, embeddings, export ------------------------------------------------------------------


def test_runs_record_status_and_stale_runs_become_interrupted(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    with Project.create(folder) as reader, pytest.raises(RuntimeError, match="writer"):
        reader.start_run("batch", {})
    with Project.open(folder, writer=True) as project:
        done = project.start_run("batch", {"seed": 1}, {"torch": "2.13.0"}, "model:themes@1")
        project.finish_run(done, "done")
        failed = project.start_run("batch", {})
        project.finish_run(failed, "failed", "out of memory")
        project.start_run("batch", {})  # left running, as by a process that was killed
        with pytest.raises(ValueError):
            project.finish_run(done, "running")  # type: ignore[arg-type]
        with pytest.raises(KeyError):
            project.finish_run(999, "done")
    with Project.open(folder) as reader:
        assert [r.status for r in reader.runs()] == ["done", "failed", "running"]
    with Project.open(folder, writer=True) as project:
        runs = project.runs()
    assert [r.status for r in runs] == ["done", "failed", "interrupted"]
    assert runs[0].config == {"seed": 1}
    assert runs[0].versions == {"torch": "2.13.0"}
    assert runs[0].model == "model:themes@1"
    assert runs[0].ended_at is not None
    assert runs[1].error == "out of memory"
    assert "autocode" in runs[2].versions


def test_embedding_cache_round_trip_is_float32_exact(project: Project) -> None:
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((5, 384)).astype(np.float32)
    hashes = [sha256_text(f"unit {i}") for i in range(5)]
    found, cached = project.get_embeddings("all-MiniLM-L6-v2", hashes)
    assert not found.any() and cached.shape == (5, 0)
    project.put_embeddings("all-MiniLM-L6-v2", hashes[:4], matrix[:4])
    query = [hashes[3], hashes[4], hashes[0], hashes[3]]
    found, cached = project.get_embeddings("all-MiniLM-L6-v2", query)
    assert found.tolist() == [True, False, True, True]
    assert cached.dtype == np.float32
    assert cached[0].tobytes() == matrix[3].tobytes()
    assert cached[2].tobytes() == matrix[0].tobytes()
    assert cached[3].tobytes() == matrix[3].tobytes()
    assert not cached[1].any()
    assert not project.get_embeddings("other-model", hashes)[0].any()
    wide = rng.standard_normal((1, 768))
    with pytest.raises(ValueError, match="dimension 384"):
        project.put_embeddings("all-MiniLM-L6-v2", hashes[4:], wide)
    project.put_embeddings("wide-model", hashes[4:], wide)  # float64 in, float32 kept
    assert (
        project.get_embeddings("wide-model", hashes[4:])[1].tobytes()
        == wide.astype(np.float32).tobytes()
    )
    with pytest.raises(ValueError, match="NaN"):
        project.put_embeddings("wide-model", hashes[:1], np.full((1, 768), np.nan))


def test_codings_frame_and_export(project: Project, tmp_path: Path) -> None:
    transcript = make_transcript()
    project.commit_coded_transcript(
        transcript, make_units(transcript), model_codings(transcript), "fp-1", None
    )
    start, end = span(TEXT, "nurse")
    project.add_codings([Coding("P01", start, end, "support", "human:ana")])
    frame = project.codings_frame()
    assert ",".join(frame.columns[:7]) == "transcript,start,end,text,code,coder,confidence"
    assert frame["text"].tolist() == [
        "Café visits felt exhausting, honestly.",
        "But the nurse helped.",
        "nurse",
    ]
    assert frame["code_name"].tolist() == ["Fatigue", "Support", "Support"]
    assert frame["confidence"].isna().tolist() == [False, False, True]
    assert project.codings_frame(coder_prefix="human:")["coder"].tolist() == ["human:ana"]
    for name in ("codings.csv", "codings.parquet"):
        assert project.write_codings(tmp_path / name) == 3
    from_csv = pd.read_csv(tmp_path / "codings.csv", keep_default_na=False, na_values=[""])
    assert from_csv["text"].tolist() == frame["text"].tolist()
    assert from_csv["start"].tolist() == frame["start"].tolist()
    from_parquet = pd.read_parquet(tmp_path / "codings.parquet")
    pd.testing.assert_frame_equal(from_parquet, frame)
    with pytest.raises(InputError, match=r"\.csv or \.parquet"):
        project.write_codings(tmp_path / "codings.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["codings.csv", "codings.parquet", "study"]


# --- crashes and concurrency (real subprocesses) -----------------------------------------------

UNITS_PER_TRANSCRIPT = 150

# Writes transcript after transcript with commit_coded_transcript, printing after each commit.
# With "stall", the 4th transaction freezes after 250 rows were written inside it (a progress
# handler sleeps while SQLite executes the INSERTs), so the kill lands mid-transaction for sure.
BATCH_WRITER = f"""
import sys, time
from autocode.store import Project
from autocode.types import Coding, Transcript, Unit

folder, mode = sys.argv[1], sys.argv[2]
project = Project.open(folder, writer=True)
run_id = project.start_run("batch", {{}})
sentence = "Sentence {{:04d}} of the interview. "
for i in range(100_000):
    if mode == "stall" and i == 3:
        conn = project._conn
        written_before = conn.total_changes
        def stall():
            if conn.in_transaction and conn.total_changes - written_before > 250:
                print("stalled", flush=True)
                time.sleep(600)
            return 0
        conn.set_progress_handler(stall, 50)
    text = "".join(sentence.format(k) for k in range({UNITS_PER_TRANSCRIPT}))
    transcript = Transcript(f"T{{i:05d}}", text)
    size = len(sentence.format(0))
    units = [
        Unit(transcript.id, k, "P", k * size, (k + 1) * size, text[k * size : (k + 1) * size])
        for k in range({UNITS_PER_TRANSCRIPT})
    ]
    codings = [
        Coding(transcript.id, u.start, u.end, "fatigue", "model:themes@1", 0.5, None, u.index)
        for u in units
    ]
    project.commit_coded_transcript(transcript, units, codings, "fp-1", run_id)
    print("committed", i, flush=True)
"""

HOLD_LOCK = """
import sys, time
from autocode.store import Project
project = Project.open(sys.argv[1], writer=True)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
project.close()
print("released", flush=True)
time.sleep(60)
"""


def start_python(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_until(process: subprocess.Popen[str], wanted: str) -> list[str]:
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.strip())
        if line.startswith(wanted):
            return lines
    raise AssertionError(f"child ended before {wanted!r}: {process.stderr.read()}")  # type: ignore[union-attr]


def kill_9(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def assert_batch_is_whole(folder: Path) -> int:
    """Every stored transcript is coded, with all its units and codings; returns how many."""
    with Project.open(folder, writer=True) as project:
        assert project.integrity_problems() == []
        ids = project.transcript_ids()
        for transcript_id in ids:
            text = project.get_transcript(transcript_id).text
            assert project.is_coded(transcript_id, "fp-1", sha256_text(text))
            assert len(project.units(transcript_id)) == UNITS_PER_TRANSCRIPT
            assert len(project.codings(transcript_id=transcript_id)) == UNITS_PER_TRANSCRIPT
        orphans = project._conn.execute(
            "SELECT count(*) FROM codings WHERE transcript_id NOT IN "
            "(SELECT transcript_id FROM coded_transcripts)"
        ).fetchone()[0]
        assert orphans == 0
        assert [run.status for run in project.runs()] == ["interrupted"]
        return len(ids)


@pytest.fixture
def batch_project(tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    with Project.create(folder) as project:
        project.add_codebook(CODEBOOK)
    return folder


def test_kill_9_mid_transaction_leaves_no_partial_transcript(batch_project: Path) -> None:
    writer = start_python(BATCH_WRITER, str(batch_project), "stall")
    lines = read_until(writer, "stalled")
    kill_9(writer)
    assert lines == ["committed 0", "committed 1", "committed 2", "stalled"]
    assert assert_batch_is_whole(batch_project) == 3  # nothing of T00003


def test_kill_9_during_a_running_batch(batch_project: Path) -> None:
    writer = start_python(BATCH_WRITER, str(batch_project), "run")
    read_until(writer, "committed 5")
    kill_9(writer)
    assert assert_batch_is_whole(batch_project) >= 6


def test_second_writer_gets_a_clear_error_until_the_first_dies(batch_project: Path) -> None:
    holder = start_python(HOLD_LOCK, str(batch_project), "600")
    try:
        read_until(holder, "locked")
        message = f"project is in use by another autocode process (pid {holder.pid})"
        with pytest.raises(InputError, match=re.escape(message)):
            Project.open(batch_project, writer=True)
        began = time.monotonic()
        with pytest.raises(InputError, match=r"waited 0\.3 s"):
            Project.open(batch_project, writer=True, wait=0.3)
        assert time.monotonic() - began >= 0.3
        with Project.open(batch_project) as reader:  # readers need no lock
            assert reader.codebooks() == ["themes"]
    finally:
        kill_9(holder)
    # The kernel dropped the dead holder's lock; the lock file itself is still there.
    assert (batch_project / LOCK_NAME).exists()
    with Project.open(batch_project, writer=True) as project:
        assert project.writer


def test_writer_waits_for_the_lock(batch_project: Path) -> None:
    holder = start_python(HOLD_LOCK, str(batch_project), "0.5")
    try:
        read_until(holder, "locked")
        with Project.open(batch_project, writer=True, wait=30) as project:
            assert project.writer
            with pytest.raises(InputError, match=f"pid {os.getpid()}"):
                Project.open(batch_project, writer=True)  # also within one process
    finally:
        kill_9(holder)
