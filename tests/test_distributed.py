"""Batch coding on Dask: a real LocalCluster of 2 worker processes on real transcripts gives the
codings, units and vectors of the single-process run, also when a worker is SIGKILLed mid-run;
bad cluster specs fail in one line with the project untouched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from autocode.batch import code_transcripts
from autocode.batch.distributed import ClusterSpec
from autocode.cli import app
from autocode.embed import text_hash
from autocode.errors import InputError
from autocode.store import Project

distributed = pytest.importorskip("distributed")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHIPPED_MODEL = REPO_ROOT / "models" / "seed-themes"
SMALL_TASKS = 16  # units per task: one task per transcript, so a kill lands mid-run


@pytest.fixture(scope="module")
def transcripts(testdata: Path) -> list[Path]:
    """Seven real transcripts of different sources, languages and sizes (about 270 units)."""
    examples = sorted((REPO_ROOT / "examples" / "transcripts").glob("*.txt"))
    shared = [
        testdata / "transcripts" / "txt" / "qualcoder_example_transcript.txt",
        testdata / "transcripts" / "txt" / "noscribe_interview_de.txt",
    ]
    return examples + shared


@pytest.fixture(scope="module")
def cluster() -> Iterator[distributed.LocalCluster]:
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=50,
    ) as local:
        yield local


@pytest.fixture(scope="module")
def single_process(transcripts: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("single") / "study"
    code_transcripts(transcripts, SHIPPED_MODEL, project, report=False)
    return project


def end_state(project_dir: Path) -> dict[str, object]:
    """Codings, units, completion marks and unit vectors of a project, comparable across runs."""
    with Project.open(project_dir) as project:
        codings = sorted(
            (c.transcript_id, c.start, c.end, c.unit_index, c.code_id, c.coder)
            for c in project.codings(coder_prefix="model:")
        )
        confidences = {
            (c.transcript_id, c.unit_index, c.code_id): c.confidence
            for c in project.codings(coder_prefix="model:")
        }
        units = {
            t: [(u.start, u.end, u.speaker) for u in project.units(t)]
            for t in project.transcript_ids()
        }
        texts = [u.text for t in sorted(units) for u in project.units(t)]
        marks = {r.config["fingerprint"] for r in project.runs()}
        found, vectors = project.get_embeddings(
            next(iter(marks)).rsplit("/", 2)[0], [text_hash(text) for text in texts]
        )
    assert found.all()
    return {
        "codings": codings,
        "confidences": confidences,
        "units": units,
        "fingerprints": marks,
        "vectors": vectors,
    }


def assert_same_end_state(found: dict[str, object], expected: dict[str, object]) -> None:
    assert found["codings"] == expected["codings"]
    assert found["units"] == expected["units"]
    assert found["fingerprints"] == expected["fingerprints"]
    keys = sorted(expected["confidences"])  # type: ignore[arg-type]
    np.testing.assert_allclose(
        [found["confidences"][k] for k in keys],  # type: ignore[index]
        [expected["confidences"][k] for k in keys],  # type: ignore[index]
        atol=1e-6,
    )
    np.testing.assert_allclose(found["vectors"], expected["vectors"], atol=1e-5)


@pytest.mark.slow
def test_two_workers_code_what_one_process_codes(
    transcripts: list[Path], cluster: distributed.LocalCluster, single_process: Path, tmp_path: Path
) -> None:
    project = tmp_path / "study"
    result = code_transcripts(
        transcripts,
        SHIPPED_MODEL,
        project,
        report=False,
        cluster=cluster.scheduler_address,
        batch_units=SMALL_TASKS,
    )
    assert len(result.coded) == len(transcripts) and result.units > 150
    assert_same_end_state(end_state(project), end_state(single_process))
    assert len(list((project / "parts").glob("*.parquet"))) == len(transcripts)
    again = code_transcripts(
        transcripts, SHIPPED_MODEL, project, report=False, cluster=cluster.scheduler_address
    )
    assert again.coded == [] and len(again.skipped) == len(transcripts)


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_replaced_and_nothing_is_lost_or_doubled(
    transcripts: list[Path], cluster: distributed.LocalCluster, single_process: Path, tmp_path: Path
) -> None:
    project = tmp_path / "study"
    client = distributed.Client(cluster)
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(
                code_transcripts(
                    transcripts,
                    SHIPPED_MODEL,
                    project,
                    report=False,
                    cluster=cluster.scheduler_address,
                    batch_units=SMALL_TASKS,
                )
            )
        except BaseException as error:  # reported by the assertion below
            outcome.append(error)

    coding = threading.Thread(target=run)
    coding.start()
    parts = project / "parts"
    deadline = time.monotonic() + 240
    while not list(parts.glob("*.parquet")) and time.monotonic() < deadline and coding.is_alive():
        time.sleep(0.05)
    written_before_kill = len(list(parts.glob("*.parquet")))
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    os.kill(victim, signal.SIGKILL)
    coding.join(timeout=300)
    client.close()
    assert 0 < written_before_kill < len(transcripts), "the kill did not land mid-run"
    assert len(outcome) == 1 and not isinstance(outcome[0], BaseException), outcome
    assert victim not in client_pids(cluster)
    assert_same_end_state(end_state(project), end_state(single_process))


def client_pids(cluster: distributed.LocalCluster) -> set[int]:
    with distributed.Client(cluster) as client:
        client.wait_for_workers(2, timeout=60)
        return set(client.run(os.getpid).values())


@pytest.mark.parametrize(
    ("spec", "problem"),
    [("tcp://127.0.0.1:9", "cannot reach tcp://127.0.0.1:9"), ("local:0", "is not local")],
)
def test_a_cluster_that_cannot_be_used_is_one_line_and_no_project(
    tmp_path: Path, spec: str, problem: str
) -> None:
    project = tmp_path / "study"
    result = CliRunner().invoke(
        app,
        ["code", str(REPO_ROOT / "examples" / "transcripts"), "--model", str(SHIPPED_MODEL),
         "--project", str(project), "--cluster", spec],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0] and "Traceback" not in result.output
    assert not project.exists()


def test_cluster_specs() -> None:
    assert ClusterSpec.parse("local") == ClusterSpec()
    assert ClusterSpec.parse("local:4") == ClusterSpec(workers=4)
    assert ClusterSpec.parse("tcp://10.0.0.5:8786") == ClusterSpec(address="tcp://10.0.0.5:8786")
    for bad in ["", "local:", "local:-1", "http://host:1", "tcp://host", "remote"]:
        with pytest.raises(InputError, match="--cluster"):
            ClusterSpec.parse(bad)


def test_the_single_machine_path_never_imports_dask() -> None:
    probe = (
        "import sys, autocode.batch, autocode.cli, autocode.embed; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'dask', 'distributed'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"
