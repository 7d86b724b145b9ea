"""The header noScribe writes above a transcript: title, "Transcribed with noScribe", settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_MARKER = re.compile(r"^Transcribed with noScribe(?: vers\. (?P<version>\S+))?", re.MULTILINE)
_SETTINGS = re.compile(
    r"^\(Language: (?P<language>[^|)(]*?)(?: \((?P<code>[\w-]+)\))?\s*\|.*$", re.MULTILINE
)
_AUDIO = re.compile(r"^Audio file: (?P<audio>.+)$", re.MULTILINE)


@dataclass
class NoScribeHeader:
    body_start: int  # offset just after the header
    metadata: dict[str, str] = field(default_factory=dict)


def noscribe_header(text: str) -> NoScribeHeader | None:
    """The header at the top of a noScribe transcript, or None for other text."""
    marker = _MARKER.search(text, 0, 3000)
    if marker is None:
        return None
    metadata = {"transcriber": f"noScribe {marker.group('version') or ''}".strip()}
    title = text[: marker.start()].strip()
    if title and "\n" not in title:
        metadata["title"] = title
    audio = _AUDIO.search(text, marker.end(), marker.end() + 1000)
    if audio:
        metadata["audio_file"] = audio.group("audio").strip()
    body_start = text.find("\n", marker.end())
    settings = _SETTINGS.search(text, marker.end(), marker.end() + 1500)
    if settings:
        if settings.group("code"):  # "English (en)"; "Auto" names no language
            metadata["language"] = settings.group("code")
        body_start = settings.end()
    elif audio:
        body_start = audio.end()
    return NoScribeHeader(len(text) if body_start < 0 else body_start, metadata)
