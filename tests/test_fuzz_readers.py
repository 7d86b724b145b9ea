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
