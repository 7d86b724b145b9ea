"""`autocode code --cluster`: batch coding on a Dask cluster (the `distributed` extra).

    --cluster local        a LocalCluster of one worker per 2 cores, on this machine
    --cluster local:4      four local workers
    --cluster tcp://H:P    an existing scheduler (dask-jobqueue, Kubernetes, `dask scheduler`)

The client reads the transcripts and decides what is already coded (as a single-process run
does); pending transcripts go to the workers in tasks of about `batch_units` units. A worker
segments, embeds and classifies them with the model the client scattered to it, loading the
embedding backend once per worker process with its threads pinned to the worker's share of the
host's cores, and returns one Parquet part per transcript (autocode.batch.parts). The client
writes the parts into `<project>/parts/` and commits them, one transaction per transcript, in
the order of the input: the store ends as a single-process run leaves it. A worker that dies is
replaced and its tasks rescheduled by Dask; a rerun commits parts already written without
computing them again. This module is imported only when `--cluster` is given.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autocode.batch.parts import PARTS_FOLDER, Part, part_bytes, part_name, read_part, write_part
from autocode.errors import InputError
from autocode.types import Transcript

if TYPE_CHECKING:
    from distributed import Client

    from autocode.batch.local import LocalCoder
    from autocode.batch.results import BatchProgress, BatchResult
    from autocode.embed import Embedder
    from autocode.models.batch_model import BatchModel
    from autocode.segment import SegmentConfig

_SPEC = re.compile(r"^(?:local(?::(?P<workers>\d+))?|(?P<address>(?:tcp|tls)://[^\s/]+:\d+))$")
CONNECT_TIMEOUT = "5s"
CHARS_PER_UNIT = 110  # median unit length without coherence merging: sizes tasks before segmenting
TASK_UNITS = 256  # at most this many units per task, so a few transcripts still spread out


@dataclass(frozen=True)
class ClusterSpec:
    workers: int | None = None  # local: how many; None with no address: one per 2 cores
    address: str | None = None  # an existing scheduler

    @classmethod
    def parse(cls, text: str) -> ClusterSpec:
        match = _SPEC.match(text.strip())
        if not match or match["workers"] == "0":
            raise InputError(
                "--cluster", f"{text!r} is not local, local:N (N >= 1) or tcp://HOST:PORT"
            )
        workers = int(match["workers"]) if match["workers"] else None
        return cls(workers, match["address"])


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


@contextlib.contextmanager
def open_client(spec: ClusterSpec) -> Iterator[Client]:
    """A Dask client of a new LocalCluster (loopback only) or of the scheduler at the address."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--cluster", "needs Dask: pip install 'autocode[distributed]'") from None
    if spec.address is not None:
        try:
            client = Client(spec.address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as error:
            raise InputError("--cluster", f"cannot reach {spec.address}: {error}") from None
        with client:
            yield client
        return
    workers = spec.workers or max(1, _cores() // 2)
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _threads_of_worker(workers_on_host: dict[str, int]) -> int:
    """This worker's share of its host's cores (unpinned, workers on one host slow each other)."""
    from distributed import get_worker

    host = _host(get_worker().address)
    return max(1, _cores() // max(1, workers_on_host.get(host, 1)))


def _host(address: str) -> str:
    return address.split("://")[-1].rsplit(":", 1)[0]


@lru_cache(maxsize=2)
def _worker_embedder(model: str | None, backend: str, threads: int) -> Embedder:
    from autocode.embed import Embedder

    return Embedder(model, backend=backend, threads=threads, memo_size=0)


def code_task(
    model: BatchModel,
    transcripts: list[Transcript],
    segment_config: SegmentConfig,
    backend: str,
    workers_on_host: dict[str, int],
) -> list[bytes]:
    """On a worker: segment, embed and classify `transcripts`; one Parquet part each."""
    from autocode.batch.parts import classify_parts
    from autocode.segment import segment

    threads = _threads_of_worker(workers_on_host)
    embedder = _worker_embedder(model.classifier.embedder, backend, threads)
    batch = [(t, segment(t, segment_config, embedder=embedder)) for t in transcripts]
    vectors = embedder.encode([unit.text for _, units in batch for unit in units])
    return [part_bytes(part) for part in classify_parts(model, batch, vectors)]


@dataclass
class DaskCoder:
    """Sends pending transcripts to the cluster and commits the parts that come back, in order."""

    coder: LocalCoder
    client: Client
    parts_dir: Path
    backend: str
    window_per_worker: int = 3

    def code(
        self,
        transcripts: Sequence[Transcript],
        result: BatchResult,
        batch_units: int,
        strict: bool,
        progress: BatchProgress | None,
    ) -> None:
        pending = self.coder.pending(transcripts, result, progress)
        fingerprint = self.coder.fingerprint
        have = {t.id for t in pending if (self.parts_dir / part_name(t, fingerprint)).is_file()}
        tasks = _tasks([t for t in pending if t.id not in have], min(batch_units, TASK_UNITS))
        workers = self._workers()
        window = max(2, self.window_per_worker * max(1, len(workers)))
        model = self.client.scatter(self.coder.model, broadcast=True)
        hosts = dict(Counter(_host(address) for address in workers))
        submitted: deque[tuple[list[Transcript], Any]] = deque()
        queue = deque(tasks)

        def submit_more() -> None:
            while queue and len(submitted) < window:
                group = queue.popleft()
                future = self.client.submit(
                    code_task,
                    model,
                    group,
                    self.coder.segment_config,
                    self.backend,
                    hosts,
                    pure=False,
                )
                submitted.append((group, future))

        submit_more()
        for transcript in pending:
            name = part_name(transcript, fingerprint)
            if transcript.id not in have:
                group, future = submitted[0]
                if transcript is group[0]:
                    self._write(group, future.result())
                if transcript is group[-1]:
                    submitted.popleft()
                    submit_more()
            part = read_part(self.parts_dir / name)
            self.coder.store(transcript, part, result, strict, progress, store_vectors=True)
            result.embedded_texts += len(part.units) if transcript.id not in have else 0

    def _write(self, group: list[Transcript], parts: list[bytes]) -> None:
        for transcript, data in zip(group, parts, strict=True):
            write_part(self.parts_dir, part_name(transcript, self.coder.fingerprint), data)

    def _workers(self) -> list[str]:
        return list(self.client.scheduler_info()["workers"])


def _tasks(transcripts: Sequence[Transcript], batch_units: int) -> list[list[Transcript]]:
    """Consecutive transcripts grouped to about `batch_units` units each (by characters)."""
    budget = batch_units * CHARS_PER_UNIT
    tasks: list[list[Transcript]] = []
    size = budget
    for transcript in transcripts:
        if size >= budget:
            tasks.append([])
            size = 0
        tasks[-1].append(transcript)
        size += len(transcript.text)
    return tasks


def dask_coder(coder: LocalCoder, client: Client, project_dir: Path, backend: str) -> DaskCoder:
    return DaskCoder(coder, client, project_dir / PARTS_FOLDER, backend)


__all__ = ["ClusterSpec", "DaskCoder", "Part", "code_task", "dask_coder", "open_client"]
