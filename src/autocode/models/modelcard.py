"""Cross-validated metrics for a model card, taken from an `autocode evaluate` JSON document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autocode.errors import InputError

CLASSIFIER_METHOD = "theme-classifier"


def card_metrics(evaluation_path: Path, data_sha256: str) -> dict[str, Any]:
    """The classifier's cross-validated agreement; refuses an evaluation of other data."""
    try:
        document = json.loads(Path(evaluation_path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(evaluation_path, f"cannot read evaluation JSON: {error}") from None
    if document.get("corpus", {}).get("data_sha256") != data_sha256:
        raise InputError(evaluation_path, "evaluation was run on different training data")
    for summary in document.get("methods", []):
        if summary.get("method") == CLASSIFIER_METHOD:
            return {
                "protocol": document["protocol"],
                "excerpt_level": summary["excerpt_level"],
                "participant_level": {
                    key: (summary.get("participant_level") or {}).get(key)
                    for key in ("pooled", "per_theme")
                },
            }
    raise InputError(evaluation_path, f"no {CLASSIFIER_METHOD!r} method in the evaluation")
