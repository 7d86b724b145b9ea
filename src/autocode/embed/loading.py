"""Loading a backend, and the id of its vectors: the derived files are built on first use.

A backend other than torch runs on files derived from the installed model (an ONNX export, int8
weights, static token vectors). The first process that needs them builds them, offline, under an
inter-process lock, so two processes (or two Dask workers on one machine) that ask at once build
them once and both use them; `autocode backends build` does the same ahead of time.
"""

from __future__ import annotations

from functools import lru_cache

from autocode.embed.backends import (
    MULTILINGUAL,
    EncoderBackend,
    artefact_dir,
    check_backend_name,
)
from autocode.embed.build import ensure_built
from autocode.embed.identity import model_identity, resolve_model_path


def backend_id(model: str | None, backend: str, device: str | None = None) -> str:
    """The cache id of `model`'s vectors through `backend` (see autocode.embed.backends)."""
    if backend == MULTILINGUAL:
        from autocode.embed.e5_backend import e5_identity

        return e5_identity()
    base = model_identity(model)
    if backend == "torch":
        from autocode.embed.torch_backend import default_device

        on_gpu = (device or default_device()).startswith("cuda")
        return f"{base}+cuda-fp16" if on_gpu else base
    return f"{base}+{backend}@{ensure_built(backend, model)['digest']}"


@lru_cache(maxsize=8)
def load_backend(
    model: str | None, backend: str, device: str | None = None, threads: int | None = None
) -> EncoderBackend:
    """Load `backend` for `model` once per process (and per device and thread count), building
    its files first if this machine has none yet."""
    check_backend_name(backend)
    if backend == MULTILINGUAL:
        from autocode.embed.e5_backend import E5Backend

        return E5Backend(threads)
    if backend == "torch":
        from autocode.embed.torch_backend import TorchBackend

        return TorchBackend(model, device, threads)
    manifest = ensure_built(backend, model)
    folder = artefact_dir(model, backend)
    if backend == "static":
        from autocode.embed.static_backend import StaticBackend

        return StaticBackend(folder, manifest)
    from autocode.embed.onnx_backend import OnnxBackend

    return OnnxBackend(folder, manifest, resolve_model_path(model), device, threads)
