"""Writing output files so that a failure never leaves a half-written file behind.

Every file is written to a temporary name beside its target, then renamed into place; a group of
files is renamed only once all of them are written. Files get the mode a new file gets under the
process's umask (the temporaries themselves are private while they are written).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from autocode.errors import InputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: builds are then not serialised
    fcntl = None  # type: ignore[assignment]


def file_mode() -> int:
    """The mode a newly created file gets under the process's umask."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def temporary_beside(path: Path) -> Path:
    """An empty private temporary file in `path`'s folder, named after it."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    return Path(name)


def publish(temporary: Path, target: Path) -> None:
    """Give `temporary` the normal file mode and rename it onto `target`."""
    os.chmod(temporary, file_mode())
    os.replace(temporary, target)


def write_files_together(folder: Path, contents: Mapping[str, str | bytes]) -> dict[str, Path]:
    """Write every file (text as UTF-8) beside its target, then rename them all into place."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(folder, "is a file, not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    staged: dict[str, Path] = {}
    try:
        for name, content in contents.items():
            staged[name] = temporary_beside(folder / name)
            data = content.encode("utf-8") if isinstance(content, str) else content
            staged[name].write_bytes(data)
        for name, temporary in staged.items():
            publish(temporary, folder / name)
    finally:
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)
    return {name: folder / name for name in contents}


def write_text_atomic(path: Path, text: str) -> Path:
    """Write one text file atomically."""
    path = Path(path)
    return write_files_together(path.parent, {path.name: text})[path.name]


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on the file `path` (created if missing) while inside,
    waiting for another process that holds it. The kernel drops it when a holder dies, so a lock
    never goes stale. Used to build something once when several processes ask for it at once."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
