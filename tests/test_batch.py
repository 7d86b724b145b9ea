"""`autocode code`: batch coding that survives kill -9, refuses a second writer, skips what is done.

The transcripts are synthetic: the seed corpus excerpts of each participant, written as
"P1: ..." lines. The classifier is the shipped one (a quick fit when it is missing). The kill,
the resume, the lock and the bad-file runs are real `autocode code` subprocesses; runs whose
outcome only the library decides are made in this process, where the model is already loaded.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autocode.batch import BatchResult, code_transcripts, ensure_codebook
from autocode.batch.export import REPORT_HTML, THEMES_CSV, UNITS_CSV, UNITS_PARQUET
from autocode.classify import ThemeClassifier
from autocode.classify.card import card_codebook
from autocode.corpus import load_corpus
from autocode.errors import InputError
from autocode.models.batch_model import load_batch_model
from autocode.segment import DEFAULT_SEGMENT_CONFIG, SegmentConfig
from autocode.store import Project
from autocode.types import Code, Codebook, Transcript

REPO_ROOT = Path(__file__).resolve().parents[1]
EXCERPTS_PER_TRANSCRIPT = 5
SHIPPED_MODEL = REPO_ROOT / "models" / "seed-themes"


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped classifier (softmax head, novelty gate), else a quick fit with fixed
    thresholds on the seed codebook's theme texts (15 texts embed in a second)."""
    if (SHIPPED_MODEL / "model.json").is_file():
        return SHIPPED_MODEL
    prototypes = load_corpus(REPO_ROOT / "corpus" / "seed").weak_examples(paraphrases=False)
    model = ThemeClassifier(threshold=0.5).fit(prototypes.texts, prototypes.labels)
    return model.save(tmp_path_factory.mktemp("models") / "quick-themes")


def write_transcripts(folder: Path) -> list[str]:
    """One "P<n>: ..." file per participant of the seed excerpts; returns the transcript ids."""
    by_participant: dict[str, list[str]] = {}
    with (REPO_ROOT / "corpus" / "seed" / "excerpts.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_participant.setdefault(row["participant"], []).append(row["text"])
    folder.mkdir(parents=True, exist_ok=True)
    for participant, texts in by_participant.items():
        lines = [f"{participant}: {text}" for text in texts[:EXCERPTS_PER_TRANSCRIPT]]
        (folder / f"{participant}.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return sorted(by_participant)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("interviews")
    ids = write_transcripts(folder)
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really a Word file")
    return folder, ids


def autocode(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "autocode", *map(str, args)]


def run_code(
    inputs: Path, model: Path, project: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    command = autocode("code", inputs, "--model", model, "--project", project, "--json", *extra)
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def reference(
    inputs: tuple[Path, list[str]], model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, BatchResult]:
    """An uninterrupted run into a fresh project (in this process: the model is loaded)."""
    project = tmp_path_factory.mktemp("reference") / "study"
    return project, code_transcripts([inputs[0]], model_dir, project)


def stored_codings(project_dir: Path) -> list[tuple[object, ...]]:
    with Project.open(project_dir) as project:
        return [
            (c.transcript_id, c.start, c.end, c.unit_index, c.code_id, c.coder, c.confidence)
            for c in project.codings(coder_prefix="model:")
        ]


def stored_units(project_dir: Path) -> dict[str, list[tuple[int, int, str]]]:
    with Project.open(project_dir) as project:
        return {
            tid: [(u.start, u.end, u.speaker) for u in project.units(tid)]
            for tid in project.transcript_ids()
        }


def assert_same_codings(
    found: list[tuple[object, ...]], expected: list[tuple[object, ...]]
) -> None:
    assert [row[:-1] for row in found] == [row[:-1] for row in expected]
    confidences = np.array([row[-1] for row in found], dtype=float)
    np.testing.assert_allclose(confidences, [row[-1] for row in expected], rtol=0, atol=1e-6)


def coded_count(database: Path) -> int:
    """Transcripts the store marks coded, read through a read-only connection (0 before)."""
    if not database.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT count(*) FROM coded_transcripts").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


@pytest.fixture
def holder() -> Iterator[list[Project]]:
    projects: list[Project] = []
    yield projects
    for project in projects:
        project.close()


# --- the command, end to end ------------------------------------------------------------------


def test_run_codes_good_files_skips_bad_ones_and_exports(
    inputs: tuple[Path, list[str]], model_dir: Path, reference: tuple[Path, BatchResult]
) -> None:
    ids = inputs[1]
    project, result = reference
    summary = result.to_dict()
    assert sorted(summary["coded"]) == ids and summary["skipped"] == []
    assert len(summary["errors"]) == 1 and "broken.docx" in summary["errors"][0]
    data_hash = summary["fingerprint"].split("/")[1]
    assert summary["coder"] == f"model:{model_dir.name}@0.1.0+{data_hash[:8]}"

    with Project.open(project) as store:
        assert store.transcript_ids() == ids
        [run] = store.runs()
        assert (run.command, run.status, run.model) == ("code", "done", summary["coder"])
        assert run.config["segment"] == DEFAULT_SEGMENT_CONFIG.to_dict()
        assert run.versions["sentence-transformers"] != "not installed"
        assert store.codebook(summary["codebook"]).ids == ["T1", "T2", "T3", "T4", "T5"]
        codings = store.codings_frame(coder=summary["coder"])
        n_units = sum(len(store.units(tid)) for tid in ids)
    assert summary["units"] == n_units > len(ids)
    assert summary["codings"] == len(codings) > 0

    units = pd.read_parquet(project / "exports" / UNITS_PARQUET)
    pd.testing.assert_frame_equal(
        pd.read_csv(project / "exports" / UNITS_CSV, keep_default_na=False),
        units,
        check_dtype=False,
    )
    assert len(units) == n_units
    # The export's predicted themes and probabilities are exactly the stored codings.
    exported = {
        (row.transcript, row.start, row.end, theme, round(getattr(row, f"p_{theme}"), 9))
        for row in units.itertuples()
        for theme in row.themes.split(";")
        if theme
    }
    assert exported == {
        (c.transcript, c.start, c.end, c.code, round(c.confidence, 9)) for c in codings.itertuples()
    }
    with Project.open(project) as store:
        texts = {tid: store.get_transcript(tid).text for tid in ids}
    assert all(texts[r.transcript][r.start : r.end] == r.text for r in units.itertuples())
    report = (project / "exports" / REPORT_HTML).read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and result.report_skipped is None
    assert units.text[0].split()[0] in report
    table = pd.read_csv(project / "exports" / THEMES_CSV).set_index("transcript")
    counted = units.assign(T1=units.themes.str.contains("T1")).groupby("transcript").T1.sum()
    assert table["n_T1"].to_dict() == counted.to_dict()
    assert np.allclose(table["share_T1"], table["n_T1"] / table["units"])


def start_code_run(
    folder: Path, model_dir: Path, project: Path, until_coded: tuple[int, int]
) -> subprocess.Popen[str]:
    """A real `autocode code` subprocess, returned once its coded count lies in `until_coded`."""
    command = autocode("code", folder, "--model", model_dir, "--project", project, "-q")
    child = subprocess.Popen([*command, "--batch-units", "3"], stderr=subprocess.PIPE, text=True)
    low, high = until_coded
    deadline = time.monotonic() + 240
    while not low <= coded_count(project / "autocode.sqlite") <= high:
        if child.poll() is not None:
            errors = child.stderr.read() if child.stderr else ""
            raise AssertionError(f"the run ended before it could be stopped: {errors}")
        assert time.monotonic() < deadline, "the run never got under way"
        time.sleep(0.01)
    return child


def test_killed_run_resumes_to_the_codings_of_an_uninterrupted_run(
    inputs: tuple[Path, list[str]],
    model_dir: Path,
    reference: tuple[Path, BatchResult],
    tmp_path: Path,
) -> None:
    folder, ids = inputs
    project = tmp_path / "study"
    database = project / "autocode.sqlite"
    child = start_code_run(folder, model_dir, project, until_coded=(2, len(ids) - 4))
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    assert child.stderr is not None
    child.stderr.close()
    at_kill = coded_count(database)
    assert 2 <= at_kill < len(ids)
    with Project.open(project) as store:
        assert store.integrity_problems() == []
        marked = {
            row[0] for row in store._conn.execute("SELECT transcript_id FROM coded_transcripts")
        }
        assert {c.transcript_id for c in store.codings()} <= marked  # whole transcripts only

    resumed = run_code(folder, model_dir, project)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert len(summary["skipped"]) == at_kill
    assert sorted(summary["coded"] + summary["skipped"]) == ids
    assert_same_codings(stored_codings(project), stored_codings(reference[0]))
    assert stored_units(project) == stored_units(reference[0])
    with Project.open(project) as store:
        assert [run.status for run in store.runs()] == ["interrupted", "done"]
    ours = pd.read_parquet(project / "exports" / UNITS_PARQUET)
    theirs = pd.read_parquet(reference[0] / "exports" / UNITS_PARQUET)
    pd.testing.assert_frame_equal(ours, theirs, check_exact=False, atol=1e-6, rtol=0)


def test_sigterm_marks_the_run_interrupted_and_exits_143_without_a_traceback(
    inputs: tuple[Path, list[str]], model_dir: Path, tmp_path: Path
) -> None:
    folder, ids = inputs
    project = tmp_path / "study"
    child = start_code_run(folder, model_dir, project, until_coded=(1, len(ids) - 4))
    child.terminate()
    _, errors = child.communicate(timeout=60)
    assert child.returncode == 143
    assert errors.strip().splitlines()[-1] == "terminated"
    assert "Traceback" not in errors
    with Project.open(project) as store:
        assert store.integrity_problems() == []
        runs = store.runs()
    assert [(run.status, run.error) for run in runs] == [("interrupted", "terminated (SIGTERM)")]
    assert runs[0].ended_at is not None


def test_rerun_codes_nothing_new_and_a_changed_file_is_coded_again(
    inputs: tuple[Path, list[str]],
    model_dir: Path,
    reference: tuple[Path, BatchResult],
    tmp_path: Path,
) -> None:
    folder, ids = inputs
    project = tmp_path / "study"
    shutil.copytree(reference[0], project)
    before = stored_codings(project)

    again = run_code(folder, model_dir, project)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["coded"] == [] and sorted(summary["skipped"]) == ids
    assert summary["embedded_texts"] == 0
    assert f"nothing new to code: {len(ids)} transcript(s) already coded" in again.stderr
    assert "not coded:" in again.stderr and "broken.docx" in again.stderr  # listed at the end
    assert stored_codings(project) == before

    changed = tmp_path / "interviews"
    shutil.copytree(folder, changed)
    text = (changed / "P3.txt").read_text(encoding="utf-8")
    (changed / "P3.txt").write_text(
        text + "\nP3: Without enough labelled data we could not deploy the model at all.\n",
        encoding="utf-8",
    )
    recoded = code_transcripts([changed], model_dir, project)  # in this process: faster
    assert recoded.coded == ["P3"] and len(recoded.skipped) == len(ids) - 1
    after = stored_codings(project)
    assert [c for c in after if c[0] != "P3"] == [c for c in before if c[0] != "P3"]
    with Project.open(project) as store:
        assert "Without enough labelled data" in store.get_transcript("P3").text
        assert any("Without enough labelled data" in u.text for u in store.units("P3"))


def test_second_run_gets_the_lock_message(
    inputs: tuple[Path, list[str]],
    model_dir: Path,
    reference: tuple[Path, BatchResult],
    tmp_path: Path,
    holder: list[Project],
) -> None:
    project = tmp_path / "study"
    shutil.copytree(reference[0], project)
    holder.append(Project.open(project, writer=True))  # the first run, still going
    began = time.monotonic()
    second = run_code(inputs[0], model_dir, project, "--wait", "1")
    assert time.monotonic() - began >= 1
    assert second.returncode == 2
    assert second.stderr.strip().splitlines() == [
        f"error: {project}: project is in use by another autocode process (pid {os.getpid()}); "
        "waited 1 s"
    ]
    holder[0].close()
    with Project.open(project) as store:
        assert len(store.runs()) == 1  # the refused run recorded nothing


def test_strict_stops_at_a_bad_file_and_writes_nothing(
    inputs: tuple[Path, list[str]], model_dir: Path, tmp_path: Path
) -> None:
    project = tmp_path / "study"
    refused = run_code(inputs[0], model_dir, project, "--strict")
    assert refused.returncode == 2
    assert "broken.docx" in refused.stderr and "Traceback" not in refused.stderr
    assert refused.stdout == ""
    assert not project.exists()


# --- the library ------------------------------------------------------------------------------


class StopAtSecond:
    """A progress display that raises `error` once the second transcript is committed."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def started(self, pending: object, skipped: int) -> None:
        self.count = 0

    def committed(self, transcript: Transcript, units: int) -> None:
        self.count += 1
        if self.count == 2:
            raise self.error


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (KeyboardInterrupt(), "interrupted", "interrupted by the user"),
        (RuntimeError("disk on fire"), "failed", "RuntimeError: disk on fire"),
    ],
)
def test_stopped_library_run_is_recorded_and_keeps_whole_transcripts(
    inputs: tuple[Path, list[str]],
    model_dir: Path,
    tmp_path: Path,
    error: BaseException,
    status: str,
    message: str,
) -> None:
    files = [inputs[0] / "P1.txt", inputs[0] / "P2.txt", inputs[0] / "P3.txt"]
    with pytest.raises(type(error)):
        code_transcripts(
            files, model_dir, tmp_path / "study", batch_units=1, progress=StopAtSecond(error)
        )
    with Project.open(tmp_path / "study") as store:
        [run] = store.runs()
        assert (run.status, run.error) == (status, message)
        assert store.transcript_ids() == ["P1", "P2"]
    assert not (tmp_path / "study" / "exports").exists()
    result = code_transcripts(files, model_dir, tmp_path / "study")
    assert (result.coded, result.skipped) == (["P3"], ["P1", "P2"])
    assert len(pd.read_csv(result.exports[UNITS_CSV]).transcript.unique()) == 3


def test_out_that_is_a_file_is_refused_before_anything_is_written(
    inputs: tuple[Path, list[str]], model_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "exports.csv").write_text("not a folder\n", encoding="utf-8")
    with pytest.raises(InputError, match="is a file; the exports need a folder"):
        code_transcripts(
            [inputs[0] / "P1.txt"], model_dir, tmp_path / "study", out_dir=tmp_path / "exports.csv"
        )
    assert not (tmp_path / "study").exists()


def test_fingerprint_follows_thresholds_weights_and_segmentation(model_dir: Path) -> None:
    model = load_batch_model(model_dir)
    base = model.fingerprint(SegmentConfig())
    assert base == load_batch_model(model_dir).fingerprint(SegmentConfig())
    assert base.startswith(model.embedder_id + "/")
    assert model.fingerprint(SegmentConfig(coherence=False)) != base
    model.classifier.thresholds_ = model.classifier.thresholds_ + 0.01
    assert model.fingerprint(SegmentConfig()) != base
    model.classifier.thresholds_ = model.classifier.thresholds_ - 0.01
    model.classifier.coef_ = model.classifier.coef_ * 1.001
    assert model.fingerprint(SegmentConfig()) != base


def test_codebook_from_the_model_card_and_merging_into_the_store(tmp_path: Path) -> None:
    card = {
        "theme_ids": ["T1", "T2"],
        "themes": [{"id": "T1", "name": "Communication", "definition": "Talking to clients."}],
    }
    codebook = card_codebook(card, "seed-themes")
    assert codebook.name == "seed-themes"
    assert [(c.id, c.name, c.definition) for c in codebook.codes] == [
        ("T1", "Communication", "Talking to clients."),
        ("T2", "T2", ""),
    ]
    with Project.create(tmp_path / "study", writer=True) as project:
        project.add_codebook(Codebook("seed-themes", [Code("T1", "Researcher's own name")]))
        assert ensure_codebook(project, codebook) == "seed-themes"
        stored = project.codebook("seed-themes")
    assert [(c.id, c.name) for c in stored.codes] == [("T1", "Researcher's own name"), ("T2", "T2")]
