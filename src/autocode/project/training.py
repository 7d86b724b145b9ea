"""Training examples from the human coding a project holds, with any codebook.

    selection = CodingSelection("qc project", coder="human:cp", level="top")
    examples, _ = load_examples(project, selection, embedder)
    model = fit_classifier(examples.with_codes(frequent_codes(examples, 5)[0]), embedder)

Examples are the meaning units of the transcripts the coder coded (transcripts without units are
segmented first and the units stored; the CLI segments as `autocode code` does, so that batch
coding keeps those units), labelled from the coded spans:

- Overlap rule (`unit_labels`): a unit has code c when c's coded spans cover at least
  `min_overlap` (default 0.5) of the unit's characters, or when one coded span of c lies at least
  `min_overlap` inside the unit (a short coded phrase within a long unit). `min_overlap=0` means
  any overlap of one character or more. A unit that a span only grazes does not get the code.
- Negatives: units with no code are negatives for every code, and a unit is a negative for every
  code it does not get. Transcripts hold much talk that no code applies to, and a classifier
  that never saw such talk codes everything (seed-style excerpt corpora have no negatives).
  Only transcripts the selected coder(s) coded at all (one coding or more in the codebook) give
  examples: a transcript nobody coded says nothing about where codes are absent. Likewise a
  coder who stopped part-way left the rest of the text uncoded, not code-free: units starting
  after the end of the coder's last coding in a transcript are left out (for a fully coded
  interview this drops only an uncoded close), unless `whole_transcripts`.
- A reviewer's coding (`autocode review`, human:NAME with decisions in the project) says what
  applies to the units the reviewer answered, in whatever order they came, and nothing about the
  rest: in a transcript the selected coder(s) reviewed, the examples are the units answered
  (accept, recode, reject, "no code applies"; reject and "no code" are negatives) and any unit
  the coder coded otherwise. A transcript reviewed with "no code" answers only still counts.
- Levels: "coded" uses the codes as coded; "top" counts a coding of any code as a coding of its
  top-level ancestor, and trains one head per top-level code.
- Groups: cross-validation never splits a participant. The group of a unit is the transcript's
  `metadata["participant"]` when known; the respondent (turn speaker) of a survey table, where
  every row is another person; else the transcript. When a training set holds one group only
  (one coded transcript), folds are `BLOCKS` contiguous stretches of it in text order, so that
  neighbouring units rarely fall on both sides of a fold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import pandas as pd

from autocode.agreement.units import (
    Span,
    answered_units,
    code_targets,
    ensure_units,
    resolve_codes,
    reviewed_coverage,
    unit_groups,
    unit_labels,
)
from autocode.classify import ModelExcerpt, ThemeClassifier, WeakExamples
from autocode.errors import InputError
from autocode.evaluation.methods import SHIPPED, ClassifierSettings
from autocode.segment import SegmentConfig
from autocode.store import Project, sha256_text
from autocode.types import Codebook, Coding, Unit

if TYPE_CHECKING:
    from autocode.embed import Embedder

Level = Literal["coded", "top"]
LEVELS: tuple[str, ...] = get_args(Level)
BLOCKS = 5


@dataclass(frozen=True)
class CodingSelection:
    """Which human coding to learn from or compare with: one codebook, one coder (or every coder
    whose name starts with a prefix; their spans are pooled), a level and the overlap rule."""

    codebook: str
    coder: str | None = None
    coder_prefix: str | None = None
    level: Level = "coded"
    min_overlap: float = 0.5
    whole_transcripts: bool = False

    def __post_init__(self) -> None:
        if (self.coder is None) == (self.coder_prefix is None):
            raise ValueError("select the coding with exactly one of coder and coder_prefix")
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, got {self.level!r}")
        if not 0.0 <= self.min_overlap <= 1.0:
            raise ValueError(f"min_overlap must be within 0..1, got {self.min_overlap}")

    @property
    def coders(self) -> str:
        """The selected coder(s) as a user reads them."""
        return self.coder or f"{self.coder_prefix}*"

    def codings(self, project: Project) -> list[Coding]:
        return project.codings(
            coder=self.coder, coder_prefix=self.coder_prefix, codebook=self.codebook
        )

    def selects(self, coder: str) -> bool:
        """Whether `coder` is (one of) the selected coder(s)."""
        return coder == self.coder or (
            self.coder_prefix is not None and coder.startswith(self.coder_prefix)
        )

    def reviewed_units(self, project: Project) -> dict[str, set[int]]:
        """Indices of the units the selected coder(s) answered in review, per transcript."""
        reviewers = [r for r in project.reviewers(self.codebook) if self.selects(r)]
        return answered_units(project, self.codebook, reviewers)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class UnitExamples:
    """Units of the coded transcripts with their human labels (one 0/1 column per code)."""

    selection: CodingSelection
    codebook: Codebook
    targets: dict[str, str]  # code id -> the code it counts as at this level
    units: list[Unit]
    labels: pd.DataFrame
    groups: list[str]
    human_spans: dict[str, dict[str, list[Span]]]  # transcript -> code -> coded spans
    text_lengths: dict[str, int]  # characters examined: the coded part, or the whole text
    text_hashes: dict[str, str]
    # transcript -> the spans of the units a reviewer answered: only their characters compare
    reviewed_spans: dict[str, list[Span]] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        return [unit.text for unit in self.units]

    @property
    def code_ids(self) -> list[str]:
        return list(self.labels.columns)

    @property
    def transcript_ids(self) -> list[str]:
        return list(self.text_lengths)

    def name(self, code_id: str) -> str:
        return self.codebook.get(code_id).name

    def positives(self) -> dict[str, int]:
        return {code: int(self.labels[code].sum()) for code in self.labels.columns}

    def with_codes(self, code_ids: Sequence[str]) -> UnitExamples:
        """The same units labelled with `code_ids` only (in that order)."""
        return replace(self, labels=self.labels[list(code_ids)].copy())

    def describe(self) -> dict[str, Any]:
        """What the examples are, for a model card or an evaluation document."""
        return {
            "selection": self.selection.to_dict(),
            "n_units": len(self.units),
            "n_transcripts": len(self.text_lengths),
            "n_groups": len(set(self.groups)),
            "transcripts": dict(self.text_hashes),
            "codes": [
                {"id": code, "name": self.name(code), "positives": count}
                for code, count in self.positives().items()
            ],
        }


def coded_transcripts(
    project: Project, selection: CodingSelection, reviewed: dict[str, set[int]] | None = None
) -> list[str]:
    """Ids of the transcripts the selected coder(s) coded or reviewed, in the order they were
    added; `reviewed`, `selection.reviewed_units` when already read."""
    reviewed = selection.reviewed_units(project) if reviewed is None else reviewed
    coded = {coding.transcript_id for coding in selection.codings(project)} | set(reviewed)
    if not coded:
        raise InputError(
            project.path,
            f"no codings by {selection.coders} in codebook {selection.codebook!r}",
        )
    return [transcript_id for transcript_id in project.transcript_ids() if transcript_id in coded]


def fold_groups(groups: Sequence[str], blocks: int = BLOCKS) -> list[str]:
    """`groups`, or for a single group `blocks` contiguous stretches of it (in order)."""
    if len(set(groups)) >= 2:
        return list(groups)
    n = len(groups)
    return [f"{group}#{i * blocks // n + 1}" for i, group in enumerate(groups)]


def collect_examples(
    project: Project, selection: CodingSelection, codes: Sequence[str] | None = None
) -> UnitExamples:
    """The labelled units of every transcript the selection coded; they must have units.

    `codes` (ids or names of codes at the selection's level) restricts the label columns;
    by default every code of the level is a column, used or not.
    """
    if selection.codebook not in project.codebooks():
        raise InputError(project.path, f"has no codebook {selection.codebook!r}")
    codebook = project.codebook(selection.codebook)
    targets = code_targets(codebook, selection.level)
    columns = list(dict.fromkeys(targets.values()))
    if codes:
        columns = resolve_codes(codebook, codes, columns)
    reviewed = selection.reviewed_units(project)
    transcript_ids = coded_transcripts(project, selection, reviewed)
    spans: dict[str, dict[str, list[Span]]] = {tid: {} for tid in transcript_ids}
    for coding in selection.codings(project):
        spans[coding.transcript_id].setdefault(targets[coding.code_id], []).append(
            (coding.start, coding.end)
        )
    units: list[Unit] = []
    blocks: list[np.ndarray] = []
    groups: list[str] = []
    lengths: dict[str, int] = {}
    reviewed_spans: dict[str, list[Span]] = {}
    hashes: dict[str, str] = {}
    for transcript_id in transcript_ids:
        transcript = project.get_transcript(transcript_id)
        transcript_units = project.units(transcript_id)
        if not transcript_units:
            raise InputError(project.path, f"transcript {transcript_id} has no units yet")
        extent = len(transcript.text)
        labels = unit_labels(transcript_units, spans[transcript_id], columns, selection.min_overlap)
        if transcript_id in reviewed:
            covered = reviewed_coverage(
                transcript_units, reviewed[transcript_id], labels.any(axis=1)
            )
            keep = np.flatnonzero(covered)
            transcript_units, labels = [transcript_units[i] for i in keep], labels[keep]
            extent = max((unit.end for unit in transcript_units), default=0)
            reviewed_spans[transcript_id] = [(unit.start, unit.end) for unit in transcript_units]
        elif not selection.whole_transcripts:
            last = max(end for code_spans in spans[transcript_id].values() for _, end in code_spans)
            keep = [i for i, unit in enumerate(transcript_units) if unit.start < last]
            transcript_units, labels = [transcript_units[i] for i in keep], labels[keep]
            extent = max([last, *(unit.end for unit in transcript_units)])
        units += transcript_units
        blocks.append(labels)
        groups += unit_groups(transcript, transcript_units)
        lengths[transcript_id] = extent
        hashes[transcript_id] = sha256_text(transcript.text)
    labels = pd.DataFrame(np.vstack(blocks) if blocks else None, columns=columns).astype(int)
    return UnitExamples(
        selection, codebook, targets, units, labels, groups, spans, lengths, hashes, reviewed_spans
    )


def load_examples(
    project: Project,
    selection: CodingSelection,
    embedder: Embedder | None = None,
    codes: Sequence[str] | None = None,
    config: SegmentConfig | None = None,
) -> tuple[UnitExamples, list[str]]:
    """`collect_examples` after segmenting (with `config`) the coded transcripts that have no
    units yet. Returns the examples and the ids of the transcripts it segmented.
    """
    transcripts = coded_transcripts(project, selection)
    segmented = ensure_units(project, transcripts, embedder, config)
    return collect_examples(project, selection, codes), segmented


def frequent_codes(examples: UnitExamples, min_examples: int) -> tuple[list[str], dict[str, int]]:
    """(codes with at least `min_examples` positive units, {skipped code: its positives})."""
    positives = examples.positives()
    kept = [code for code, count in positives.items() if count >= min_examples]
    return kept, {code: count for code, count in positives.items() if count < min_examples}


def definition_examples(examples: UnitExamples, weight: float) -> WeakExamples | None:
    """Each code's "name. definition" as a weak example of the code it counts as; at level
    "top" the names of a code's descendants describe it too."""
    columns = set(examples.code_ids)
    texts: list[str] = []
    themes: list[list[str]] = []
    for code in examples.codebook.codes:
        target = examples.targets[code.id]
        text = ". ".join(part for part in (code.name.strip(), code.definition.strip()) if part)
        if target in columns and text:
            texts.append(text)
            themes.append([target])
    if not texts:
        return None
    labels = pd.DataFrame(
        [[int(code in row) for code in examples.code_ids] for row in themes],
        columns=examples.code_ids,
    )
    return WeakExamples(texts, labels, weight=weight)


def weak_examples(examples: UnitExamples, settings: ClassifierSettings) -> WeakExamples | None:
    """The code definitions as weak examples when the settings use definitions."""
    if not settings.definitions:
        return None
    weight = settings.weak_weight
    # A weight the classifier chooses itself ("auto") starts from the usual 0.5.
    return definition_examples(examples, weight if isinstance(weight, float | int) else 0.5)


def fit_classifier(
    examples: UnitExamples, embedder: Embedder, settings: ClassifierSettings = SHIPPED
) -> ThemeClassifier:
    """Train the classifier on every example; thresholds from grouped inner folds."""
    model = settings.build(embedder)
    return model.fit(
        examples.texts,
        examples.labels,
        groups=fold_groups(examples.groups),
        weak=weak_examples(examples, settings),
    )


def model_excerpts(examples: UnitExamples) -> list[ModelExcerpt]:
    """The units that carry a code, as the excerpts a model trained on them keeps as evidence
    (source: the transcript id; participant: the unit's group)."""
    excerpts = []
    for unit, group, row in zip(
        examples.units, examples.groups, examples.labels.to_numpy(), strict=True
    ):
        codes = tuple(code for code, flag in zip(examples.code_ids, row, strict=True) if flag)
        if codes:
            excerpts.append(
                ModelExcerpt(
                    excerpt_id=f"{unit.transcript_id}#{unit.index}",
                    text=unit.text,
                    source=unit.transcript_id,
                    participant=group,
                    codes=codes,
                )
            )
    return excerpts


def card_sections(examples: UnitExamples, project: Project) -> dict[str, Any]:
    """The model card section on what the model was trained on (the codebook comes from
    `ThemeClassifier.describe`)."""
    return {
        "training_data": {
            "project": str(project.path.resolve()),
            "languages": project.transcript_languages(),
            **examples.describe(),
        },
    }
