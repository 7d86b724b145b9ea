"""Text sources of a REFI-QDA project -> transcripts and codings.

Each `TextSource` (and the text representation of a `PDFSource`) becomes a `Transcript` whose
text has "\\n" line endings; each `Coding` in its `PlainTextSelection`s becomes a `Coding` with
offsets into that text (a `Coding` directly under the source covers the whole text). The text
comes from `PlainTextContent`, else the `plainTextPath` file, else the `.docx` at `richTextPath`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from autocode.errors import InputError
from autocode.io.language import set_language
from autocode.io.refi_archive import ProjectArchive, decode_text, docx_plain_text
from autocode.io.refi_model import DEFAULT_DATETIME, PROJECT_NS
from autocode.io.refi_offsets import PositionMap, PositionModel, auto_detect, candidate_models
from autocode.types import Coding, Transcript

_P = f"{{{PROJECT_NS}}}"
_CONFIDENCE_RE = re.compile(r"\bconfidence=([-+0-9.eE]+)")
_UNIT_RE = re.compile(r"\bunit=(\d+)")


@dataclass
class SourceReader:
    """Reads text sources; `code_ids` maps each REFI code GUID to its autocode id and
    `coders` each user GUID (lowercased) to a coder string."""

    path: Path
    archive: ProjectArchive
    code_ids: dict[str, str]
    coders: dict[str, str]
    model: PositionModel
    detect_crlf: bool
    detect_utf16: bool
    prefer_utf16: bool = False
    prefer_one_break: bool = False
    strict: bool = True
    from_autocode: bool = False
    warnings: list[str] = field(default_factory=list)

    def _text_sources(self, root: etree._Element) -> list[tuple[etree._Element, str]]:
        """TextSources and the text representations of PDFs, with the name to show."""
        found = []
        for element in root.iterfind(f"{_P}Sources/*"):
            local = etree.QName(element).localname
            if local == "TextSource":
                found.append((element, element.get("name") or ""))
            elif local == "PDFSource":
                representation = element.find(f"{_P}Representation")
                if representation is not None:
                    found.append((representation, element.get("name") or ""))
        return found

    def read(
        self, root: etree._Element, allow_missing: bool
    ) -> tuple[list[Transcript], list[Coding]]:
        """Transcripts and codings of every text source under `root` (a Project element)."""
        texts: list[tuple[etree._Element, str, str, str]] = []
        missing: list[str] = []
        for element, name in self._text_sources(root):
            text = self._source_text(element, name)
            if text is None:
                missing.append(self._missing_description(element, name))
                continue
            stored, how = text
            texts.append((element, name, stored, how))
        if missing and not allow_missing:
            shown = "; ".join(missing[:3]) + (
                f"; and {len(missing) - 3} more" if len(missing) > 3 else ""
            )
            raise InputError(
                self.path,
                f"{len(missing)} of {len(missing) + len(texts)} text sources are missing: {shown} "
                "(use allow_missing_sources=True to import the rest)",
            )
        if missing:
            self.warnings.append(f"skipped {len(missing)} text sources whose files are missing")
        transcripts: list[Transcript] = []
        codings: list[Coding] = []
        used_ids: dict[str, int] = {}
        for element, name, stored, how in texts:
            transcript_id = _unique(
                name or _stem(element) or element.get("guid", "source"), used_ids
            )
            transcript, source_codings = self._read_source(element, transcript_id, stored, how)
            transcripts.append(transcript)
            codings.extend(source_codings)
        return transcripts, codings

    def _source_text(self, element: etree._Element, name: str) -> tuple[str, str] | None:
        """The stored plain text of a source and where it came from; None when it is missing."""
        content = element.find(f"{_P}PlainTextContent")
        if content is not None:
            return content.text or "", "PlainTextContent"
        plain_path = element.get("plainTextPath")
        if plain_path:
            data = self.archive.read(plain_path)
            if data is not None:
                where = self.archive.location(plain_path)
                return decode_text(data, self.path, where), where
        rich_path = element.get("richTextPath")
        if rich_path and rich_path.lower().endswith(".docx"):
            data = self.archive.read(rich_path)
            if data is not None:
                where = self.archive.location(rich_path)
                self.warnings.append(
                    f"source {name!r}: no plain text file, text extracted from {where}; "
                    "positions may be off where the .docx has more than text"
                )
                return docx_plain_text(data, self.archive.budget, where), where
        return None

    def _missing_description(self, element: etree._Element, name: str) -> str:
        reference = element.get("plainTextPath") or element.get("richTextPath")
        where = self.archive.location(reference) if reference else "no file named"
        return f"{where} ({name!r})"

    def _read_source(
        self, element: etree._Element, transcript_id: str, stored: str, how: str
    ) -> tuple[Transcript, list[Coding]]:
        text = stored.replace("\r\n", "\n").replace("\r", "\n")
        selections = list(element.iterfind(f"{_P}PlainTextSelection"))
        spans = [self._span(selection, transcript_id) for selection in selections]
        model = self._model_for(text, "\r\n" in stored, spans)
        mapping = PositionMap(text, model)
        codings: list[Coding] = []
        uncoded = 0
        for selection, (start, end) in zip(selections, spans, strict=True):
            if end > mapping.length:
                raise InputError(
                    self.path,
                    f"source {transcript_id!r}: selection {selection.get('guid')} ends at {end}, "
                    f"past the end of the text ({mapping.length} positions, {model.describe()})",
                )
            span = (mapping.offset(start, is_end=False), mapping.offset(end, is_end=True))
            found = self._codings(selection, transcript_id, span, selection)
            uncoded += not found
            codings.extend(found)
        codings.extend(self._codings(element, transcript_id, (0, len(text)), None))
        if uncoded:
            self.warnings.append(
                f"source {transcript_id!r}: dropped {uncoded} selections without a code "
                "(quotations or annotations)"
            )
        metadata = {
            "source": str(self.path),
            "format": "refi-qda",
            "title": transcript_id,
            "refi_guid": element.get("guid", ""),
            "refi_name": element.get("name", ""),
            "refi_text_file": how,
            "refi_offsets": {"crlf": model.crlf, "utf16": model.utf16},
        }
        description = (element.findtext(f"{_P}Description") or "").strip()
        if description:
            metadata["description"] = description
        return set_language(Transcript(id=transcript_id, text=text, metadata=metadata)), codings

    def _span(self, selection: etree._Element, transcript_id: str) -> tuple[int, int]:
        try:
            start = int(selection.get("startPosition", ""))
            end = int(selection.get("endPosition", ""))
        except ValueError:
            raise InputError(
                self.path,
                f"source {transcript_id!r}: selection {selection.get('guid')} has no valid "
                "startPosition/endPosition",
            ) from None
        if not 0 <= start <= end:
            raise InputError(
                self.path,
                f"source {transcript_id!r}: selection {selection.get('guid')} has positions "
                f"{start}..{end} out of order",
            )
        return start, end

    def _model_for(
        self, text: str, stored_crlf: bool, spans: list[tuple[int, int]]
    ) -> PositionModel:
        if not (self.detect_crlf or self.detect_utf16):
            return self.model
        prefer_crlf = stored_crlf and not self.prefer_one_break
        candidates = [
            model
            for model in candidate_models(text, prefer_crlf, self.prefer_utf16)
            if (self.detect_crlf or model.crlf == self.model.crlf)
            and (self.detect_utf16 or model.utf16 == self.model.utf16)
        ]
        if not candidates:
            return self.model
        return auto_detect(text, spans, candidates)

    def _codings(
        self,
        holder: etree._Element,
        transcript_id: str,
        span: tuple[int, int],
        selection: etree._Element | None,
    ) -> list[Coding]:
        description = "" if selection is None else selection.findtext(f"{_P}Description") or ""
        codings = []
        for coding in holder.iterfind(f"{_P}Coding"):
            reference = coding.find(f"{_P}CodeRef")
            guid = "" if reference is None else reference.get("targetGUID", "")
            code_id = self.code_ids.get(guid)
            if code_id is None:
                if self.strict:
                    raise InputError(
                        self.path,
                        f"source {transcript_id!r}: coding {coding.get('guid')} refers to code "
                        f"{guid}, which is not in the codebook; use strict=False to skip it",
                    )
                self.warnings.append(f"skipped coding {coding.get('guid')}: unknown code {guid}")
                continue
            coder = self._coder(coding, selection)
            is_model = coder.startswith("model:")
            confidence = _CONFIDENCE_RE.search(description) if is_model else None
            unit = _UNIT_RE.search(description) if is_model else None
            created = coding.get("creationDateTime") or (
                None if selection is None else selection.get("creationDateTime")
            )
            if created == DEFAULT_DATETIME and self.from_autocode:
                created = None  # autocode wrote its placeholder for "no date"
            codings.append(
                Coding(
                    transcript_id=transcript_id,
                    start=span[0],
                    end=span[1],
                    code_id=code_id,
                    coder=coder,
                    confidence=float(confidence.group(1)) if confidence else None,
                    created_at=created,
                    unit_index=int(unit.group(1)) if unit else None,
                )
            )
        return codings

    def _coder(self, coding: etree._Element, selection: etree._Element | None) -> str:
        for element in (coding, selection):
            guid = None if element is None else element.get("creatingUser")
            if guid:
                return self.coders.get(guid.lower(), "human:unknown")
        return "human:unknown"


def _stem(element: etree._Element) -> str:
    path = element.get("plainTextPath") or element.get("richTextPath") or ""
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def _unique(name: str, used: dict[str, int]) -> str:
    """`name`, or `name (2)`, `name (3)`... when taken; `used` maps each name to the next number
    to try, so that many sources of one name stay linear."""
    candidate, number = name, used.get(name, 2)
    while candidate in used:
        candidate = f"{name} ({number})"
        number += 1
    used[name] = number
    used.setdefault(candidate, 2)
    return candidate
