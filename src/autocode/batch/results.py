"""What a batch run reports: its progress as it goes, and its result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from autocode.errors import InputError
from autocode.types import Transcript


class BatchProgress(Protocol):
    """What a progress display is told while a batch runs."""

    def started(self, pending: Sequence[Transcript], skipped: int) -> None:
        """Coding begins: `pending` will be coded, `skipped` were already."""

    def committed(self, transcript: Transcript, units: int) -> None:
        """One transcript's units and codings are stored."""


@dataclass
class BatchResult:
    """What a batch run did."""

    run_id: int
    coder: str
    fingerprint: str
    codebook: str
    read: int
    coded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    units: int = 0
    codings: int = 0
    embedded_texts: int = 0
    seconds: float = 0.0
    exports: dict[str, Path] = field(default_factory=dict)
    report_skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "coder": self.coder,
            "fingerprint": self.fingerprint,
            "codebook": self.codebook,
            "transcripts_read": self.read,
            "coded": self.coded,
            "skipped": self.skipped,
            "errors": [str(error) for error in self.errors],
            "units": self.units,
            "codings": self.codings,
            "embedded_texts": self.embedded_texts,
            "seconds": round(self.seconds, 3),
            "units_per_second": round(self.units / self.seconds, 1) if self.seconds else None,
            "exports": {name: str(path) for name, path in self.exports.items()},
            "report_skipped": self.report_skipped,
        }
