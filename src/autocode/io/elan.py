"""Reader for ELAN annotation files (.eaf): time-aligned tiers, one per speaker.

Every top-level tier (one with no parent: dependent tiers hold translations, glosses or
comments) is a speaker, named by its PARTICIPANT attribute or else its TIER_ID. Its time-aligned
annotations become rows in order of their start time (ties: document order), and consecutive
rows of one speaker one turn (autocode.io.lines). Annotations without a time keep their place
after the timed one before them. Parsed with the safe parser (no entities, no DTD, no network)
from at most `max_text_mb` of bytes.
"""

from __future__ import annotations

from pathlib import Path

from autocode.errors import InputError
from autocode.io.decode import read_bytes
from autocode.io.lines import Row, rows_transcript
from autocode.io.safe_xml import parse_xml
from autocode.types import Transcript


def read(path: Path) -> Transcript:
    root = parse_xml(read_bytes(path), path, "the ELAN file")
    if _local(root.tag) != "ANNOTATION_DOCUMENT":
        raise InputError(path, "is not an ELAN annotation document (no ANNOTATION_DOCUMENT)")
    slots = _time_slots(root)
    timed: list[tuple[float, int, Row]] = []
    position = 0
    last_time = 0.0
    for tier in root.iter("TIER"):
        if tier.get("PARENT_REF"):
            continue
        speaker = (tier.get("PARTICIPANT") or tier.get("TIER_ID") or "").strip()
        for annotation in tier.iter("ALIGNABLE_ANNOTATION"):
            value = annotation.findtext("ANNOTATION_VALUE") or ""
            milliseconds = slots.get(annotation.get("TIME_SLOT_REF1") or "")
            seconds = milliseconds / 1000 if milliseconds is not None else None
            last_time = seconds if seconds is not None else last_time
            timed.append((last_time, position, Row(speaker, value, seconds)))
            position += 1
    timed.sort(key=lambda item: (item[0], item[1]))
    language = _language(root)
    return rows_transcript(path, "eaf", [row for _, _, row in timed], language=language)


def _time_slots(root: object) -> dict[str, float]:
    slots: dict[str, float] = {}
    for slot in root.iter("TIME_SLOT"):  # type: ignore[attr-defined]
        value = slot.get("TIME_VALUE")
        if value is not None and value.strip().lstrip("-").isdigit():
            slots[slot.get("TIME_SLOT_ID") or ""] = float(value)
    return slots


def _language(root: object) -> str | None:
    """The document's first LANGUAGE code when it is an ISO 639-1 code (ELAN 3 writes them)."""
    for language in root.iter("LANGUAGE"):  # type: ignore[attr-defined]
        code = (language.get("LANG_ID") or "").strip()
        if len(code) == 2 and code.isalpha():
            return code.lower()
    return None


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]
