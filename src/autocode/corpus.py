"""A hand-coded corpus on disk: excerpts, codebook, and optionally paraphrases and participants.

Layout of a corpus folder (corpus/seed is the seed study's):
  codebook.yaml     themes (id, name, statement, definition) and optional stages
  excerpts.csv      excerpt_id, participant, text, themes (";"-joined ids), stage, section, note,
                    duplicate_of (optional: id of an earlier row with the same utterance)
  paraphrases.csv   optional weakly-labelled researcher paraphrases: paraphrase_id, participants,
                    text, themes, stage, section
  participants.csv  optional participant-level coding: participant, themes, stages, withheld

Every file is validated on load; a problem raises InputError naming the file, row and problem.
Rows are numbered as a spreadsheet shows them: the header is row 1.

A corpus may code its excerpts with two codebooks (the seed study's themes and lifecycle stages).
`Corpus.layer("stages")` is the same corpus seen through its stage codebook: every method that
reads themes (examples, weak examples, participant table) then reads stages, so training and
cross-validation work on either codebook unchanged.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from autocode.classify import WeakExamples, labels_to_frame
from autocode.errors import InputError
from autocode.io.decode import read_bounded
from autocode.io.limits import current_limits
from autocode.types import Code, Codebook

EXCERPT_COLUMNS = ("excerpt_id", "participant", "text", "themes", "stage")
PARAPHRASE_COLUMNS = ("paraphrase_id", "participants", "text", "themes")
PARTICIPANT_COLUMNS = ("participant", "themes")
PARTICIPANT_ID = re.compile(r"^[A-Za-z][\w.-]*$")
THEMES, STAGES = "themes", "stages"


def split_ids(cell: str) -> list[str]:
    """`"T1;T3"` -> `["T1", "T3"]`; empty cell -> `[]`."""
    return [part.strip() for part in str(cell).split(";") if part.strip()]


def read_csv_strict(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """Read a UTF-8 CSV keeping empty cells as "", checking the required columns exist."""
    raw = read_bounded(path, current_limits().max_text_bytes, "max_text_mb", "corpus files")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError(path, f"not UTF-8 text (invalid byte at line {line})") from None
    try:
        frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(path, f"not a readable CSV file: {error}") from None
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise InputError(path, f"missing column(s): {', '.join(missing)}")
    return frame


def _check_rows(
    path: Path,
    frame: pd.DataFrame,
    id_column: str,
    theme_ids: set[str],
    stage_ids: set[str],
    participant_column: str,
) -> None:
    seen: set[str] = set()
    for i, row in enumerate(frame.itertuples(index=False)):
        record = row._asdict()
        row_number = i + 2
        key = record[id_column].strip()
        if not key:
            raise InputError(path, f"empty {id_column}", row=row_number)
        if key in seen:
            raise InputError(path, f"duplicate {id_column} {key!r}", row=row_number)
        seen.add(key)
        if not record["text"].strip():
            raise InputError(path, "empty text", row=row_number)
        for participant in split_ids(record[participant_column]) or [""]:
            if not PARTICIPANT_ID.match(participant):
                raise InputError(path, f"bad participant id {participant!r}", row=row_number)
        unknown = [t for t in split_ids(record["themes"]) if t not in theme_ids]
        if unknown:
            raise InputError(path, f"unknown theme id(s) {', '.join(unknown)}", row=row_number)
        stage = record.get("stage", "").strip()
        if stage and stage not in stage_ids:
            raise InputError(path, f"unknown stage {stage!r}", row=row_number)
        duplicate_of = record.get("duplicate_of", "").strip()
        if duplicate_of and duplicate_of not in seen - {key}:
            raise InputError(
                path, f"duplicate_of {duplicate_of!r} is not an earlier row", row=row_number
            )


def load_codebook(path: Path) -> tuple[Codebook, list[Code], dict]:
    """Themes as a Codebook, stages as Codes, and the raw YAML document."""
    try:
        limit = current_limits().max_text_bytes
        document = yaml.safe_load(
            read_bounded(path, limit, "max_text_mb", "corpus files").decode("utf-8")
        )
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text") from None
    except yaml.YAMLError as error:
        raise InputError(path, f"not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("themes"), list):
        raise InputError(path, "needs a 'themes' list")

    def code(entry: object, kind: str, number: int) -> Code:
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("name"):
            raise InputError(path, f"{kind} #{number} needs an id and a name")
        text = entry.get("definition") or entry.get("statement") or ""
        return Code(
            id=str(entry["id"]),
            name=str(entry["name"]),
            definition=str(text).strip(),
            parent_id=entry.get("parent_id"),
            color=entry.get("color"),
        )

    themes = [code(entry, "theme", i + 1) for i, entry in enumerate(document["themes"])]
    stages = [code(entry, "stage", i + 1) for i, entry in enumerate(document.get("stages") or [])]
    try:
        codebook = Codebook(name=str(document.get("name", path.parent.name)), codes=themes)
    except ValueError as error:
        raise InputError(path, str(error)) from None
    return codebook, stages, document


@dataclass
class Corpus:
    """A validated hand-coded corpus; see the module docstring for the files."""

    directory: Path
    codebook: Codebook
    stages: list[Code]
    codebook_document: dict
    excerpts: pd.DataFrame
    paraphrases: pd.DataFrame | None
    participants: pd.DataFrame | None
    layer_name: str = THEMES

    @property
    def theme_ids(self) -> list[str]:
        return self.codebook.ids

    @property
    def layers(self) -> list[str]:
        """The codebooks this corpus codes its excerpts with: themes, and stages when it has any."""
        return [THEMES, STAGES] if self.stages else [THEMES]

    def layer(self, name: str) -> Corpus:
        """This corpus coded by one of its codebooks ("themes" or "stages"): for "stages" the
        stage codebook takes the themes' place and each row's stage its themes, so everything
        that trains or evaluates on themes works on stages. InputError for an unknown name."""
        if name not in self.layers:
            raise InputError(
                self.directory,
                f"has no codebook {name!r}; it codes excerpts with {', '.join(self.layers)}",
            )
        if name == self.layer_name:
            return self
        if self.layer_name != THEMES:
            raise ValueError("layer() is read from the themes view of a corpus")
        document = dict(self.codebook_document)
        document["themes"] = list(document.get("stages") or [])
        name_of_stages = document.get("stages_name") or f"{self.codebook.name}: stages"
        stages = Codebook(name=str(name_of_stages), codes=list(self.stages))

        def stage_as_themes(frame: pd.DataFrame | None, column: str) -> pd.DataFrame | None:
            if frame is None:
                return None
            view = frame.copy()
            view["themes"] = view[column] if column in view.columns else ""
            return view

        return Corpus(
            directory=self.directory,
            codebook=stages,
            stages=[],
            codebook_document=document,
            excerpts=stage_as_themes(self.excerpts, "stage"),  # type: ignore[arg-type]
            paraphrases=stage_as_themes(self.paraphrases, "stage"),
            participants=stage_as_themes(self.participants, "stages"),
            layer_name=name,
        )

    def coded_paraphrases(self) -> int:
        """How many paraphrases carry a code of this view's codebook."""
        if self.paraphrases is None:
            return 0
        return int((self.paraphrases["themes"].str.strip() != "").sum())

    def utterances(self) -> pd.DataFrame:
        """One row per distinct utterance: rows marked `duplicate_of` are merged into the first
        occurrence, whose themes become the union of all occurrences' themes."""
        frame = self.excerpts.copy()
        if "duplicate_of" not in frame.columns:
            frame["duplicate_of"] = ""
        root = frame["duplicate_of"].where(frame["duplicate_of"] != "", frame["excerpt_id"])
        themes = (
            frame.assign(root=root)
            .groupby("root", sort=False)["themes"]
            .agg(
                lambda cells: ";".join(
                    t for t in self.theme_ids if any(t in split_ids(c) for c in cells)
                )
            )
        )
        firsts = frame[frame["duplicate_of"] == ""].copy()
        firsts["themes"] = firsts["excerpt_id"].map(themes)
        firsts["occurrences"] = firsts["excerpt_id"].map(root.value_counts()).astype(int)
        return firsts.reset_index(drop=True)

    def theme_examples(self) -> tuple[list[str], pd.DataFrame, list[str]]:
        """Texts, 0/1 theme labels and participant groups of the utterances that have a theme.

        Utterances the corpus ties to no theme (e.g. quoted only under a lifecycle stage) are
        left out: the coders did not say they lack every theme, only that they gave none.
        """
        rows = self.utterances()
        rows = rows[rows["themes"] != ""]
        labels = labels_to_frame([split_ids(c) for c in rows["themes"]], self.theme_ids)
        return list(rows["text"]), labels, list(rows["participant"])

    def weak_examples(
        self, *, paraphrases: bool = True, definitions: bool = True, weight: float = 0.5
    ) -> WeakExamples:
        """Paraphrases (grouped by the participants they describe) and each theme's name,
        statement and definition as prototypes that belong to no participant."""
        texts: list[str] = []
        themes: list[list[str]] = []
        groups: list[frozenset[str]] = []
        if paraphrases and self.paraphrases is not None:
            for row in self.paraphrases.itertuples(index=False):
                if split_ids(row.themes):
                    texts.append(row.text)
                    themes.append(split_ids(row.themes))
                    groups.append(frozenset(split_ids(row.participants)))
        if definitions:
            for theme in self.codebook_document["themes"]:
                for key in ("name", "statement", "definition"):
                    if theme.get(key):
                        texts.append(str(theme[key]).strip())
                        themes.append([str(theme["id"])])
                        groups.append(frozenset())
        return WeakExamples(texts, labels_to_frame(themes, self.theme_ids), groups, weight)

    def participant_themes(self) -> pd.DataFrame | None:
        """Participant x theme 0/1 table as the coders stated it (withheld participants dropped)."""
        if self.participants is None:
            return None
        table = self.participants
        if "withheld" in table.columns:
            table = table[table["withheld"].str.lower() != "true"]
        labels = labels_to_frame([split_ids(c) for c in table["themes"]], self.theme_ids)
        labels.index = list(table["participant"])
        return labels


def load_corpus(directory: str | Path) -> Corpus:
    """Load and validate a corpus folder; raises InputError on the first problem found."""
    folder = Path(directory)
    if not folder.is_dir():
        raise InputError(folder, "corpus folder does not exist")
    codebook_path = folder / "codebook.yaml"
    excerpts_path = folder / "excerpts.csv"
    for required in (codebook_path, excerpts_path):
        if not required.is_file():
            raise InputError(required, "missing file")
    codebook, stages, document = load_codebook(codebook_path)
    theme_ids = set(codebook.ids)
    stage_ids = {stage.id for stage in stages}

    excerpts = read_csv_strict(excerpts_path, EXCERPT_COLUMNS)
    _check_rows(excerpts_path, excerpts, "excerpt_id", theme_ids, stage_ids, "participant")

    paraphrases = None
    paraphrases_path = folder / "paraphrases.csv"
    if paraphrases_path.is_file():
        paraphrases = read_csv_strict(paraphrases_path, PARAPHRASE_COLUMNS)
        _check_rows(
            paraphrases_path, paraphrases, "paraphrase_id", theme_ids, stage_ids, "participants"
        )

    participants = None
    participants_path = folder / "participants.csv"
    if participants_path.is_file():
        participants = read_csv_strict(participants_path, PARTICIPANT_COLUMNS)
        for i, record in enumerate(participants.to_dict(orient="records")):
            unknown = [t for t in split_ids(record["themes"]) if t not in theme_ids]
            unknown += [s for s in split_ids(record.get("stages", "")) if s not in stage_ids]
            if unknown:
                raise InputError(
                    participants_path,
                    f"unknown theme or stage id(s) {', '.join(unknown)}",
                    row=i + 2,
                )
    return Corpus(
        directory=folder,
        codebook=codebook,
        stages=stages,
        codebook_document=document,
        excerpts=excerpts,
        paraphrases=paraphrases,
        participants=participants,
    )
