"""Fuzzing every reader: mutated real inputs (../shared/testdata, when present) and small
generated ones either read or raise the project's one InputError, never anything else, and
memory stays bounded (checked under a lowered RLIMIT_AS in a subprocess).

A bounded number of examples per reader here; benchmarks/fuzz.py runs 10,000 per reader and
records the counts in benchmarks/results/hostile.json.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_cases

EXAMPLES = 40  # per reader: 9 readers, about 30 s in all on 2 cores
MEMORY_LIMIT = 1024**3  # address space for the subprocess: well under the 1 GB-of-RSS goal


@pytest.mark.slow
@pytest.mark.parametrize("reader", sorted(fuzz_cases.READERS))
def test_a_mutated_input_reads_or_is_one_input_error(reader: str, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp(f"fuzz-{reader}")

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.integers(min_value=0, max_value=2**32 - 1))
    def check(seed: int) -> None:
        (case,) = fuzz_cases.cases(reader, random.Random(seed), 1)
        assert fuzz_cases.run_case(case, folder) in ("read", "input error")

    check()


_MEMORY_SCRIPT = """
import json, random, resource, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
import fuzz_cases
outcomes = {{}}
folder = Path(tempfile.mkdtemp())
for reader in fuzz_cases.READERS:
    rng = random.Random(7)
    for case in fuzz_cases.cases(reader, rng, {count}):
        if case.mutation not in ("oversized member", "long line", "deep nesting",
                                 "member deep nesting", "member DOCTYPE"):
            continue
        try:
            outcome = fuzz_cases.run_case(case, folder)
        except BaseException as error:
            outcome = f"{{type(error).__name__}}: {{str(error)[:200]}}"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
print(json.dumps(outcomes))
"""


@pytest.mark.slow
def test_memory_stays_bounded_on_oversized_and_deep_inputs() -> None:
    """The memory-hungry mutations, under a 1 GB address-space limit: a MemoryError (or a
    killed process) fails the test."""
    script = _MEMORY_SCRIPT.format(limit=MEMORY_LIMIT, count=30)
    tests_dir = str(Path(__file__).resolve().parent)
    result = subprocess.run(
        [sys.executable, "-c", script, tests_dir], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(outcomes) <= {"read", "input error"}, outcomes
    assert sum(outcomes.values()) >= 20


def _project_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.mark.slow
def test_a_failed_import_of_a_mutated_file_changes_no_byte_of_the_project(tmp_path: Path) -> None:
    """`autocode import` of mutated .qdpx, .qdc, .csv and .xlsx files into one project: each
    succeeds, or exits 2 with one line and leaves every file of the project as it was."""
    from typer.testing import CliRunner

    from autocode.cli import app

    runner = CliRunner()
    project = tmp_path / "project"
    good = tmp_path / "good.qdpx"
    good.write_bytes(fuzz_cases.seeds("qdpx")[0][1])
    assert runner.invoke(app, ["import", str(good), "--project", str(project)]).exit_code == 0
    failed = 0

    @settings(max_examples=30, deadline=None, database=None, derandomize=True)
    @given(
        st.sampled_from(["qdpx", "qdc", "csv", "xlsx"]), st.integers(min_value=0, max_value=2**32)
    )
    def check(reader: str, seed: int) -> None:
        nonlocal failed
        (case,) = fuzz_cases.cases(reader, random.Random(seed), 1)
        path = tmp_path / f"case{case.suffix}"
        path.write_bytes(case.data)
        before = _project_files(project)
        arguments = ["import", str(path), "--project", str(project)]
        if reader in ("csv", "xlsx"):
            arguments += ["--codes-column", "answer", "--coder", "human:fuzz"]
        result = runner.invoke(app, arguments)
        if result.exit_code != 0:
            failed += 1
            assert result.exit_code == 2, (result.exception, result.stderr)
            assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
            assert _project_files(project) == before

    check()
    assert failed >= 10  # most mutations break the file: the failure path was exercised
