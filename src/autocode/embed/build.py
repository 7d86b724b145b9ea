"""Make a backend's files offline from the installed model: on first use or ahead of time.

Files are written into a temporary folder beside their place and renamed into it whole, so an
interrupted build leaves nothing that looks built. A build on first use (`ensure_built`) runs
under an inter-process lock: processes that ask at once build once and all use the result.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autocode.embed.backends import BUILDABLE, MANIFEST, artefact_dir, read_manifest
from autocode.embed.identity import file_digest, model_identity, resolve_model_path
from autocode.errors import AutocodeError, InputError
from autocode.files import exclusive_lock
from autocode.versions import package_versions


@dataclass(frozen=True)
class BuiltBackend:
    backend: str
    folder: Path
    manifest: dict[str, Any] | None  # None: not built
    problem: str | None = None

    @property
    def size_bytes(self) -> int:
        files = (self.manifest or {}).get("files", [])
        return sum((self.folder / name).stat().st_size for name in files)


def ensure_built(
    backend: str, model: str | None = None, notify: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """The manifest of `backend` for `model`, building the backend first when this machine has
    none (once, whoever else asks at the same time). `notify` hears one line before a build
    (default: stderr), since a build takes seconds to half a minute."""
    if not (artefact_dir(model, backend) / MANIFEST).is_file():
        build_backend(backend, model, notify=notify or _to_stderr)
    return read_manifest(model, backend)


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def build_backend(
    backend: str,
    model: str | None = None,
    *,
    force: bool = False,
    only_tokens: Sequence[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    fit_texts: Sequence[str] | None = None,
    notify: Callable[[str], None] | None = None,
) -> BuiltBackend:
    """Build `backend` for `model` (None: the shipped all-MiniLM-L6-v2) unless already built,
    holding the backend's lock, so that concurrent builds of one backend run one at a time and
    a process that waited finds it built. `notify` hears one line when a build starts.

    `only_tokens` (static only) distils just those vocabulary ids: for tests and experiments.
    `fit_texts` (static only) fits the token vectors to the network on those texts.
    """
    if backend not in BUILDABLE:
        raise InputError(backend, f"nothing to build; buildable: {BUILDABLE}")
    folder = artefact_dir(model, backend)
    custom = custom_static(only_tokens, fit_texts)
    with exclusive_lock(folder.parent / f".{backend}.lock"):
        if not force and not custom and (folder / MANIFEST).is_file():
            return BuiltBackend(backend, folder, read_manifest(model, backend))
        if notify is not None:
            notify(
                f"building the {backend} backend of {model_identity(model)} "
                f"(once, offline, from the installed model) into {folder}"
            )
        return _build(backend, model, folder, only_tokens, progress, fit_texts)


def _build(
    backend: str,
    model: str | None,
    folder: Path,
    only_tokens: Sequence[int] | None,
    progress: Callable[[int, int], None] | None,
    fit_texts: Sequence[str] | None,
) -> BuiltBackend:
    source = Path(resolve_model_path(model))
    if not source.is_dir():
        raise InputError(source, "backends are built from a local model folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{backend}-") as work:
        staging = Path(work) / backend
        staging.mkdir()
        manifest = _write_files(backend, model, source, staging, only_tokens, progress, fit_texts)
        manifest.update(
            backend=backend,
            source_id=model_identity(model),
            digest=file_digest([staging / name for name in manifest["files"]]),
            seconds=round(time.perf_counter() - began, 1),
            versions=package_versions(),
        )
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    return BuiltBackend(backend, folder, manifest)


def _write_files(
    backend: str,
    model_source: str | None,
    source: Path,
    staging: Path,
    only_tokens: Sequence[int] | None,
    progress: Callable[[int, int], None] | None,
    fit_texts: Sequence[str] | None,
) -> dict[str, Any]:
    if backend == "static":
        from autocode.embed.static_backend import (
            SIF_COEFFICIENT,
            TOKENIZER_FILE,
            VECTORS_FILE,
            distill_static,
        )

        dimension = distill_static(source, staging, only_tokens, progress, fit_texts)
        return {
            "files": [VECTORS_FILE, TOKENIZER_FILE],
            "dimension": dimension,
            "method": "model2vec-style distillation, mean pooling, SIF 1e-4, no PCA",
            "sif_coefficient": SIF_COEFFICIENT,
            "partial_vocabulary": only_tokens is not None,
            "fitted_on_texts": len(set(fit_texts or ())),
        }
    if custom_static(only_tokens, fit_texts):
        raise InputError(backend, "--tokens-of and --fit-on apply to the static backend only")
    from autocode.embed.onnx_backend import (
        ONNX_FILE,
        TOKENIZER_FILE,
        export_onnx,
        model_settings,
        quantize_int8,
    )

    settings = model_settings(source)
    try:
        if backend == "onnx":
            export_onnx(source, staging / ONNX_FILE, settings["pooling"])
        else:
            fp32 = artefact_dir(model_source, "onnx") / ONNX_FILE
            if not fp32.is_file():  # else the onnx backend's export serves, unchanged
                fp32 = staging / "fp32.onnx"
                export_onnx(source, fp32, settings["pooling"])
            quantize_int8(fp32, staging / ONNX_FILE)
            (staging / "fp32.onnx").unlink(missing_ok=True)
    except (RuntimeError, ValueError, ImportError) as error:
        raise AutocodeError(f"{source}: ONNX export failed: {error}") from None
    shutil.copyfile(source / TOKENIZER_FILE, staging / TOKENIZER_FILE)
    dimension = _hidden_size(source)
    return {"files": [ONNX_FILE, TOKENIZER_FILE], "dimension": dimension, **settings}


def custom_static(only_tokens: Sequence[int] | None, fit_texts: Sequence[str] | None) -> bool:
    return only_tokens is not None or bool(fit_texts)


def _hidden_size(source: Path) -> int:
    config = json.loads((source / "config.json").read_text())
    return int(config.get("hidden_size") or config.get("dim") or 0)


def built_backends(model: str | None = None) -> list[BuiltBackend]:
    """Each buildable backend of `model`: its folder and manifest, or why it cannot be used."""
    rows = []
    for backend in BUILDABLE:
        folder = artefact_dir(model, backend)
        if not (folder / MANIFEST).is_file():
            rows.append(BuiltBackend(backend, folder, None, "not built"))
            continue
        try:
            rows.append(BuiltBackend(backend, folder, read_manifest(model, backend)))
        except InputError as error:
            rows.append(BuiltBackend(backend, folder, None, str(error)))
    return rows
