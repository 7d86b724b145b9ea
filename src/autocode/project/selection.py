"""Which human coding of a project a command learns from or compares with, and the labelled
units it makes of it (`autocode train --project`, `autocode evaluate --project`, notebooks).

`ProjectSelection` holds the options as given; `examples` segments the coded transcripts that
have no units yet (as `autocode code` would, so batch coding keeps them), labels the units and
skips codes with too few examples. Progress goes to a `Reporter`: rich's Console is one, and
`QUIET` says nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from autocode.errors import InputError
from autocode.types import coder_problem

if TYPE_CHECKING:
    from autocode.embed import Embedder
    from autocode.project.training import CodingSelection, UnitExamples
    from autocode.store import Project


class Reporter(Protocol):
    """Where progress goes: a line, and a long step shown while it runs."""

    def print(self, *objects: Any, **options: Any) -> None: ...

    def status(self, status: Any, **options: Any) -> AbstractContextManager[Any]: ...


class _Quiet:
    def print(self, *objects: Any, **options: Any) -> None:
        return None

    def status(self, status: Any, **options: Any) -> AbstractContextManager[Any]:
        return nullcontext()


QUIET: Reporter = _Quiet()


def say(console: Reporter, line: str) -> None:
    """One line as written: no wrapping, and code names in [brackets] are not markup."""
    console.print(line, soft_wrap=True, markup=False, highlight=False)


_SHOWN = 12  # skipped codes listed by name


@dataclass
class ProjectSelection:
    """The project options of one command, before the project is opened."""

    project: Path
    coder: str | None
    coder_prefix: str | None
    codebook: str | None
    codes: str | None
    level: str | None
    min_examples: int
    min_overlap: float | None
    whole_transcripts: bool = False

    def defaults_from(self, training: dict[str, Any], codebooks: Sequence[str]) -> None:
        """Take codebook, level and overlap rule from a model's training data when not given
        (the codebook only when the project holds one of that name)."""
        selection = training.get("selection") or {}
        if self.codebook is None and selection.get("codebook") in codebooks:
            self.codebook = selection["codebook"]
        self.level = self.level or selection.get("level")
        if self.min_overlap is None:
            self.min_overlap = selection.get("min_overlap")

    @contextmanager
    def open(self) -> Iterator[tuple[Project, Embedder]]:
        """The project, opened for reading, and an embedder that caches its vectors in it.

        Training and evaluating read the coding while a batch run may be writing; only
        segmenting takes the writer lock (see `examples`).
        """
        from autocode.embed import Embedder, backend_for_languages, prefer_backend
        from autocode.store import Project

        with Project.open(self.project) as store:
            prefer_backend(backend_for_languages(store.transcript_languages()))
            yield store, Embedder(cache=store)

    def selection(self, store: Project) -> CodingSelection:
        from autocode.agreement.units import choose_codebook
        from autocode.project.training import CodingSelection

        codebook = choose_codebook(store, self.codebook)
        coder, prefix = self.coder, self.coder_prefix
        problem = None if coder is None else coder_problem(coder)
        if problem:
            raise InputError(self.project, problem)
        if coder is None and prefix is None:
            coder = _only_human_coder(store, codebook)
        try:
            return CodingSelection(
                codebook,
                coder,
                prefix,
                self.level or "coded",  # type: ignore[arg-type]
                0.5 if self.min_overlap is None else self.min_overlap,
                self.whole_transcripts,
            )
        except ValueError as error:
            raise InputError(self.project, str(error)) from None

    def examples(
        self,
        store: Project,
        embedder: Embedder,
        status: Reporter = QUIET,
        codes: Sequence[str] | None = None,
    ) -> UnitExamples:
        """Labelled units of the coded transcripts (segmented first where needed).

        With `codes` (a model's), exactly those codes; else the --codes option, and codes with
        fewer than --min-examples positive units are skipped with a message.
        """
        from autocode.project.training import (
            coded_transcripts,
            collect_examples,
            ensure_units,
            frequent_codes,
        )
        from autocode.segment import DEFAULT_SEGMENT_CONFIG
        from autocode.store import Project

        selection = self.selection(store)
        transcripts = coded_transcripts(store, selection)
        segmented: list[str] = []
        if any(not store.units(transcript_id) for transcript_id in transcripts):
            with (
                status.status(f"segmenting the transcripts {selection.coders} coded"),
                Project.open(self.project, writer=True) as writer,
            ):
                # The units `autocode code` makes, so batch coding keeps them.
                segmented = ensure_units(writer, transcripts, embedder, DEFAULT_SEGMENT_CONFIG)
        if segmented:
            say(status, f"segmented {len(segmented)} transcripts into units (stored)")
        wanted = codes or [c for c in (self.codes or "").split(",") if c.strip()]
        examples = collect_examples(store, selection, wanted or None)
        if codes:
            return examples
        kept, skipped = frequent_codes(examples, self.min_examples)
        if skipped:
            listed = ", ".join(
                f"{examples.name(code)} ({count})" for code, count in list(skipped.items())[:_SHOWN]
            )
            more = f" and {len(skipped) - _SHOWN} more" if len(skipped) > _SHOWN else ""
            say(
                status,
                f"skipped {len(skipped)} codes with fewer than {self.min_examples} positive "
                f"units: {listed}{more}",
            )
        if not kept:
            raise InputError(
                self.project,
                f"no code has {self.min_examples} or more positive units in the coding of "
                f"{selection.coders}; lower --min-examples or use --level top",
            )
        return examples.with_codes(kept)


def _only_human_coder(store: Project, codebook: str) -> str:
    coders = sorted({c.coder for c in store.codings(coder_prefix="human:", codebook=codebook)})
    if len(coders) != 1:
        shown = ", ".join(coders) or "none"
        raise InputError(
            store.path,
            f"name the coder with --coder or --coder-prefix (human coders of {codebook!r}: "
            f"{shown})",
        )
    return coders[0]
