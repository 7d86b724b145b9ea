"""Models and corpora by name or folder: the shipped ones live inside the package.

`--model seed-themes` and `--corpus seed` name the classifier and the hand-coded corpus shipped
in `autocode/data/`, so autocode works from any folder once installed. A spec that names an
existing folder (or contains a path separator) is a path; a bare name is looked up among the
shipped ones first. The repository's `models/` and `corpus/` are the sources of the packaged
copies (`make package-data`; a test checks that they are equal).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autocode.errors import InputError

if TYPE_CHECKING:  # the classifier stack loads only when a model is loaded, not for --help
    from autocode.classify import ModelExcerpt, ThemeClassifier

DEFAULT_MODEL = "seed-themes"
DEFAULT_CORPUS = "seed"


def data_folder() -> Path:
    """The package's data folder (models, corpora, REFI schemas)."""
    return Path(str(resources.files("autocode") / "data"))


def is_model_folder(folder: Path) -> bool:
    from autocode.classify.files import is_model_folder as holds_model_files

    return holds_model_files(folder)


def shipped_models() -> dict[str, Path]:
    """Name -> folder of every model shipped inside the package."""
    return _shipped("models", is_model_folder)


def is_shipped(folder: Path) -> bool:
    """Whether `folder` is one of the models shipped inside the package."""
    return folder.resolve() in {path.resolve() for path in shipped_models().values()}


def shipped_corpora() -> dict[str, Path]:
    return _shipped("corpus", lambda folder: (folder / "excerpts.csv").is_file())


def _shipped(kind: str, accept: Any) -> dict[str, Path]:
    root = data_folder() / kind
    if not root.is_dir():
        return {}
    return {folder.name: folder for folder in sorted(root.iterdir()) if accept(folder)}


def _resolve(spec: str | Path | None, default: str, shipped: dict[str, Path], kind: str) -> Path:
    text = str(spec) if spec is not None else default
    is_path = isinstance(spec, Path) or os.sep in text or "/" in text or Path(text).is_dir()
    if not is_path and text in shipped:
        return shipped[text]
    if Path(text).is_dir():
        return Path(text)
    names = ", ".join(shipped) or "none"
    raise InputError(text, f"no {kind} folder here and no shipped {kind} of that name ({names})")


def resolve_model(spec: str | Path | None = None) -> Path:
    """The folder of a model given by shipped name (default `seed-themes`) or path."""
    return _resolve(spec, DEFAULT_MODEL, shipped_models(), "model")


def resolve_corpus(spec: str | Path | None = None) -> Path:
    """The folder of a corpus given by shipped name (default `seed`) or path."""
    return _resolve(spec, DEFAULT_CORPUS, shipped_corpora(), "corpus")


def prefer_backend_for(spec: str | Path | None, languages: Sequence[str] = ()) -> bool:
    """Choose this process's embedding backend for a model and the languages of what it will
    code, unless `--backend` chose one: a shipped model (retrained for any backend on first
    use) takes the backend of the languages (multilingual for interviews not in English); a
    model trained with the multilingual embedder takes it. True when the backend changed."""
    import json

    from autocode.embed import MULTILINGUAL, backend_for_languages, prefer_backend

    folder = resolve_model(spec)
    if is_shipped(folder):
        return prefer_backend(backend_for_languages(languages))
    try:
        card = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False  # loading the model says what is wrong with it
    if (card.get("embedder") or {}).get("backend") == MULTILINGUAL:
        return prefer_backend(MULTILINGUAL)
    return False


def load_model(spec: str | Path | None = None, *, device: str | None = None) -> ThemeClassifier:
    """Load a classifier by name or folder, with its codebook and hand-coded excerpts.

    A folder saved by autocode 0.1 (format 1) carries no excerpts; they are read from the corpus
    its card names when that folder exists, else the error says how to retrain."""
    from autocode.classify import ThemeClassifier

    prefer_backend_for(spec)
    folder = shipped_for_backend(resolve_model(spec))
    model = ThemeClassifier.load(folder, device=device)
    if model.excerpts_ is None:
        model.excerpts_ = _legacy_excerpts(folder, model)
    return model


def shipped_for_backend(folder: Path) -> Path:
    """`folder`, or for a shipped model whose vectors the chosen backend does not give (onnx-int8,
    static), that model retrained on its corpus with this backend: trained on first use (seconds
    on the seed corpus), once under a lock, and cached beside the backend's files. A user's own
    model is returned as it is, so it still refuses other vectors with the hint to retrain."""
    if not is_shipped(folder):
        return folder
    import json

    from autocode.embed import Embedder
    from autocode.embed.backends import artefact_dir

    embedder = Embedder()
    card = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    if embedder.model_id == card["embedder"]["id"]:
        return folder
    target = artefact_dir(None, embedder.backend) / "classifiers" / folder.name
    if not is_model_folder(target):
        _train_shipped_once(folder, card, target, embedder)
    return target


def _train_shipped_once(source: Path, card: dict[str, Any], target: Path, embedder: Any) -> None:
    import sys
    import tempfile

    from autocode.evaluation.methods import SHIPPED
    from autocode.files import exclusive_lock

    target.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(target.parent / f".{target.name}.lock"):
        if is_model_folder(target):
            return
        print(
            f"training the shipped {source.name} classifier for the {embedder.backend} backend "
            f"(once) into {target}",
            file=sys.stderr,
            flush=True,
        )
        corpus_name = str(card.get("corpus") or DEFAULT_CORPUS)
        layer = str(card.get("corpus_codebook") or "themes")
        model = train_on_corpus(corpus_name, embedder, layer)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}-") as work:
            staging = Path(work) / target.name
            model.save(
                staging,
                corpus=corpus_name,
                corpus_codebook=layer,
                settings=SHIPPED.__dict__,
                trained_for=source.name,
            )
            staging.rename(target)


def train_on_corpus(corpus: str | Path, embedder: Any, codebook: str = "themes") -> ThemeClassifier:
    """The shipped classifier configuration trained on a whole hand-coded corpus (by name or
    folder) and one of its codebooks (themes or stages), with that codebook and the excerpts
    attached: what `autocode train --corpus` saves."""
    from autocode.corpus import load_corpus
    from autocode.evaluation.methods import train_classifier

    loaded = load_corpus(resolve_corpus(corpus)).layer(codebook)
    model = train_classifier(loaded, embedder)
    return model.describe(loaded.codebook, excerpts_from_corpus(loaded, model.theme_ids_))


def _legacy_excerpts(folder: Path, model: ThemeClassifier) -> list[ModelExcerpt]:
    named = model.card_.get("corpus")
    candidates = [Path(named)] if named else []
    if named:
        candidates.append(folder / named)
    corpus_dir = next((path for path in candidates if (path / "excerpts.csv").is_file()), None)
    if corpus_dir is None:
        raise InputError(
            folder,
            "saved by autocode 0.1 without its hand-coded excerpts, and the corpus it names "
            f"({named or 'none'}) is not here; retrain it: autocode train --corpus CORPUS "
            f"--out {folder}",
        )
    from autocode.corpus import load_corpus

    layer = str(model.card_.get("corpus_codebook") or "themes")
    return excerpts_from_corpus(load_corpus(corpus_dir).layer(layer), model.theme_ids_)


def excerpts_from_corpus(corpus: Any, theme_ids: list[str] | None = None) -> list[ModelExcerpt]:
    """A corpus's distinct theme-coded utterances as model excerpts (what a model trains on)."""
    from autocode.classify import ModelExcerpt
    from autocode.corpus import split_ids

    rows = corpus.utterances()
    rows = rows[rows["themes"] != ""]
    keep = set(theme_ids or corpus.theme_ids)
    source = corpus.codebook.name
    return [
        ModelExcerpt(
            excerpt_id=str(row.excerpt_id),
            text=str(row.text),
            source=f"{source}, {row.section}" if getattr(row, "section", "") else source,
            participant=str(row.participant),
            codes=tuple(t for t in split_ids(row.themes) if t in keep),
        )
        for row in rows.itertuples(index=False)
    ]


@dataclass(frozen=True)
class ModelSummary:
    """What `autocode models` shows about one model folder."""

    name: str
    folder: Path
    shipped: bool
    codebook: str
    codes: list[str]
    embedder: str
    trained_on: str
    n_excerpts: int
    macro_kappa: float | None

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "folder": str(self.folder)}


def summarize_model(folder: Path, shipped: bool = False) -> ModelSummary:
    model = load_model(folder)
    card = model.card_
    training = card.get("training", {})
    data = card.get("training_data") or {}
    if data.get("project"):
        trained_on = f"project {data['project']} ({data.get('n_units', '?')} units)"
    else:
        trained_on = f"corpus {card.get('corpus', '?')} ({training.get('n_examples', '?')} texts)"
    return ModelSummary(
        name=folder.name,
        folder=folder,
        shipped=shipped,
        codebook=model.codebook_.name,
        codes=[f"{code.id} {code.name}" for code in model.codebook_.codes],
        embedder=str(card["embedder"]["id"]),
        trained_on=trained_on,
        n_excerpts=len(model.excerpts_ or []),
        macro_kappa=_macro_kappa(card.get("metrics") or {}),
    )


def _macro_kappa(metrics: dict[str, Any]) -> float | None:
    for row in metrics.get("excerpt_level") or []:
        if row.get("label") == "macro" and row.get("metric") == "kappa":
            return float(row["estimate"])
    return None


def find_models(folders: list[Path]) -> list[ModelSummary]:
    """The shipped models, then every model folder in or below the given folders."""
    found = [summarize_model(path, shipped=True) for path in shipped_models().values()]
    for root in folders:
        if not root.is_dir():
            raise InputError(root, "not a folder")
        candidates = [root] if is_model_folder(root) else sorted(root.rglob("model.json"))
        for candidate in candidates:
            folder = candidate if candidate.is_dir() else candidate.parent
            if is_model_folder(folder):
                found.append(summarize_model(folder))
    return found
