"""The model card of a saved classifier: format constants and the codebook it carries."""

from __future__ import annotations

from typing import Any

from autocode.types import Code, Codebook

FORMAT = "autocode-theme-classifier"
# 2: the folder carries its hand-coded excerpts (excerpts.json). 1 named a corpus folder instead.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
CARD_FILE = "model.json"
WEIGHTS_FILE = "weights.safetensors"
EXCERPTS_FILE = "excerpts.json"


def codebook_section(codebook: Codebook) -> dict[str, Any]:
    """The card's `codebook` entry: name and each code's id, name, definition and parent."""
    return {
        "name": codebook.name,
        "themes": [
            {
                "id": code.id,
                "name": code.name,
                "definition": code.definition,
                **({"parent_id": code.parent_id} if code.parent_id else {}),
            }
            for code in codebook.codes
        ],
    }


def card_codebook(card: dict[str, Any], default_name: str) -> Codebook:
    """The model's themes as a Codebook, with names and definitions where the card has them
    (`themes: [{id, name, definition}]` or `codebook: {name, themes: [...]}`), else their ids."""
    section = card.get("codebook") if isinstance(card.get("codebook"), dict) else {}
    entries = card.get("themes") or section.get("themes") or section.get("codes") or []
    if isinstance(entries, dict):
        entries = [
            {"id": key, **(value if isinstance(value, dict) else {"name": value})}
            for key, value in entries.items()
        ]
    described: dict[str, dict[str, Any]] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("id") is not None:
            described[str(entry["id"])] = entry
    theme_ids = [str(theme_id) for theme_id in card["theme_ids"]]
    codes = []
    for theme_id in theme_ids:
        entry = described.get(theme_id, {})
        parent = entry.get("parent_id")
        codes.append(
            Code(
                id=theme_id,
                name=str(entry.get("name") or theme_id),
                definition=str(entry.get("definition") or entry.get("statement") or "").strip(),
                parent_id=str(parent) if parent and str(parent) in theme_ids else None,
            )
        )
    return Codebook(str(section.get("name") or default_name), codes)
