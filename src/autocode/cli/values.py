"""Option values several commands parse alike."""

from __future__ import annotations


def comma_list(value: str | None) -> list[str]:
    """`"a, b,,c"` -> `["a", "b", "c"]`; None or an empty string -> `[]`."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]
