"""Import REFI-QDA projects (`.qdpx`, bare `.qde`) and codebooks (`.qdc`) into autocode's model.

Every problem a user can act on is an `InputError` with one line naming the file and what is
wrong. Text positions are converted to offsets into the "\\n"-normalised transcript text; how the
exporting tool counted them is detected per source unless given (see `refi_offsets`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from autocode.errors import InputError
from autocode.io.refi_archive import ProjectArchive, decode_text, docx_plain_text
from autocode.io.refi_model import (
    CODEBOOK_NS,
    DEFAULT_DATETIME,
    METADATA_NOTE_NAME,
    PROJECT_NS,
    RefiNote,
    RefiProject,
    coder_from_user_name,
    safe_parser,
    validate_codebook_xml,
    validate_project_xml,
)
from autocode.io.refi_offsets import PositionMap, PositionModel, auto_detect, candidate_models
from autocode.types import Code, Codebook, Coding, Transcript

_P = f"{{{PROJECT_NS}}}"
_CONFIDENCE_RE = re.compile(r"\bconfidence=([-+0-9.eE]+)")
_UNIT_RE = re.compile(r"\bunit=(\d+)")
_DROPPED_ELEMENTS = ("PictureSource", "AudioSource", "VideoSource", "PDFSelection")
_DROPPED_PARTS = ("Cases", "Variables", "Sets", "Links", "Graphs")


def import_qdc(path: str | Path, *, strict: bool = True) -> Codebook:
    """Read a REFI-QDA codebook (`.qdc`). Code ids are the REFI GUIDs; nesting gives parents.

    With `strict=False` a file that breaks the schema is read anyway when its codes can be
    understood (Taguette writes an empty `<Sets/>`, which the schema forbids).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(path, f"cannot read the file: {error.strerror or error}") from None
    root = _parse(data, path, validate_codebook_xml, "Codebook.xsd", strict)
    if root.tag != f"{{{CODEBOOK_NS}}}CodeBook":
        raise InputError(path, "not a REFI-QDA codebook: the root element is not CodeBook")
    codes, _ = _read_codes(root.find(f"{{{CODEBOOK_NS}}}Codes"), CODEBOOK_NS, path)
    return _codebook(path.stem, codes, path)


def import_qdpx(
    path: str | Path,
    *,
    crlf_offsets: bool | None = None,
    utf16_offsets: bool | None = None,
    allow_missing_sources: bool = False,
    strict: bool = True,
) -> RefiProject:
    """Read a REFI-QDA project: a `.qdpx` archive, or a bare `.qde` (sources looked up in a
    `Sources/` folder beside it).

    `crlf_offsets`: True when the exporting tool counted each line break as two characters
    ("\\r\\n"), False when as one; `utf16_offsets`: True when it counted UTF-16 code units (NVivo
    does). None (the default) detects both per source from where the selections fall, and
    records the result in `Transcript.metadata["refi_offsets"]`.

    Text sources whose files are missing are an error naming them, unless
    `allow_missing_sources` (then the rest is imported and `warnings` says what was skipped).
    `strict=False` reads files that break the schema, and skips codings that point at unknown
    codes instead of failing.
    """
    path = Path(path)
    archive = ProjectArchive(path)
    root = _parse(archive.project_xml, path, validate_project_xml, "Project-mrt2019.xsd", strict)
    if root.tag == f"{{{CODEBOOK_NS}}}CodeBook":
        raise InputError(path, "this is a REFI-QDA codebook (.qdc); import it as a codebook")
    if root.tag != f"{_P}Project":
        raise InputError(path, "not a REFI-QDA project: the root element is not Project")
    reader = _ProjectReader(path, archive, root, strict)
    return reader.read(
        PositionModel(crlf_offsets or False, utf16_offsets or False),
        detect_crlf=crlf_offsets is None,
        detect_utf16=utf16_offsets is None,
        allow_missing_sources=allow_missing_sources,
    )


def _parse(
    data: bytes,
    path: Path,
    validate: Callable[[bytes], list[str]],
    schema_name: str,
    strict: bool,
) -> etree._Element:
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as error:
        raise InputError(path, f"malformed XML: {error}") from None
    if strict:
        errors = validate(data)
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise InputError(
                path,
                f"does not follow the REFI-QDA schema {schema_name}: {errors[0]}{more}; "
                "use strict=False to read it anyway",
            )
    return root


def _read_codes(
    codes_element: etree._Element | None, namespace: str, path: Path
) -> tuple[list[Code], set[str]]:
    """Codes in document order (parents before children) and the ids of non-codable ones."""
    codes: list[Code] = []
    uncodable: set[str] = set()
    if codes_element is None:
        return codes, uncodable

    def walk(element: etree._Element, parent_id: str | None) -> None:
        for child in element.iterchildren(f"{{{namespace}}}Code"):
            guid = child.get("guid")
            if not guid:
                raise InputError(path, f"a Code ({child.get('name')!r}) has no guid")
            description = child.findtext(f"{{{namespace}}}Description") or ""
            color = child.get("color")
            if color and len(color) == 4:  # "#abc" -> "#aabbcc"
                color = "#" + "".join(2 * digit for digit in color[1:])
            codes.append(
                Code(
                    id=guid,
                    name=child.get("name") or "",
                    definition=description.strip(),
                    parent_id=parent_id,
                    color=color or None,
                )
            )
            if child.get("isCodable") == "false":
                uncodable.add(guid)
            walk(child, guid)

    walk(codes_element, None)
    return codes, uncodable


def _codebook(name: str, codes: list[Code], path: Path) -> Codebook:
    try:
        return Codebook(name=name, codes=codes)
    except ValueError as error:
        raise InputError(path, f"inconsistent codebook: {error}") from None


class _ProjectReader:
    def __init__(
        self, path: Path, archive: ProjectArchive, root: etree._Element, strict: bool
    ) -> None:
        self.path = path
        self.archive = archive
        self.root = root
        self.strict = strict
        self.warnings: list[str] = []
        self.metadata = self._metadata_note()

    def read(
        self,
        model: PositionModel,
        *,
        detect_crlf: bool,
        detect_utf16: bool,
        allow_missing_sources: bool,
    ) -> RefiProject:
        root = self.root
        origin = root.get("origin") or ""
        self.from_autocode = origin.startswith("autocode ")
        self._read_users()
        codes, uncodable = _read_codes(root.find(f"{_P}CodeBook/{_P}Codes"), PROJECT_NS, self.path)
        code_ids = self.metadata.get("code_ids", {})
        codes = [self._with_autocode_id(code) for code in codes]
        self.code_ids = {code.id for code in codes}
        self.guid_to_code = dict(code_ids)
        codebook = _codebook(
            self.metadata.get("codebook_name") or root.get("name", ""), codes, self.path
        )
        offsets = self.metadata.get("offsets")
        if offsets and detect_crlf and detect_utf16:
            model = PositionModel(bool(offsets.get("crlf")), bool(offsets.get("utf16")))
            detect_crlf = detect_utf16 = False
        self.model, self.detect_crlf, self.detect_utf16 = model, detect_crlf, detect_utf16
        self.prefer_utf16 = origin.lower().startswith("nvivo")
        self.prefer_one_break = "atlas" in origin.lower()
        transcripts, codings = self._read_sources(allow_missing_sources)
        self._note_dropped_parts()
        return RefiProject(
            name=root.get("name", ""),
            transcripts=transcripts,
            codebook=codebook,
            codings=codings,
            users={coder: name for coder, (name, _) in self.users.items()},
            user_guids={coder: guid for coder, (_, guid) in self.users.items()},
            notes=self._read_notes(),
            uncodable_code_ids={self.guid_to_code.get(guid, guid) for guid in uncodable},
            origin=origin,
            warnings=self.warnings,
        )

    # ---- users and autocode's own metadata -------------------------------------------------

    def _metadata_note(self) -> dict:
        for note in self.root.iterfind(f"{_P}Notes/{_P}Note"):
            if note.get("name") == METADATA_NOTE_NAME:
                try:
                    data = json.loads(note.findtext(f"{_P}PlainTextContent") or "{}")
                except json.JSONDecodeError:
                    self.warnings.append(f"ignored an unreadable '{METADATA_NOTE_NAME}' note")
                    return {}
                return data if isinstance(data, dict) else {}
        return {}

    def _read_users(self) -> None:
        known_coders = self.metadata.get("coders", {})
        self.users: dict[str, tuple[str, str]] = {}  # coder -> (display name, guid)
        self.coder_by_guid: dict[str, str] = {}
        for user in self.root.iterfind(f"{_P}Users/{_P}User"):
            guid = user.get("guid", "")
            name = user.get("name") or user.get("id") or guid
            coder = known_coders.get(guid) or coder_from_user_name(name)
            if coder in self.users:  # two users with one name: keep them apart
                coder = f"{coder} [{guid[:8]}]"
            self.users[coder] = (name, guid)
            self.coder_by_guid[guid.lower()] = coder

    def _coder(self, *elements: etree._Element) -> str:
        for element in elements:
            guid = element.get("creatingUser")
            if guid:
                return self.coder_by_guid.get(guid.lower(), "human:unknown")
        return "human:unknown"

    def _with_autocode_id(self, code: Code) -> Code:
        """The code under the id autocode gave it, when the metadata note remembers one."""
        code_ids = self.metadata.get("code_ids", {})
        examples = self.metadata.get("code_examples", {}).get(code.id, ())
        parent = code.parent_id
        return Code(
            id=code_ids.get(code.id, code.id),
            name=code.name,
            definition=code.definition,
            parent_id=None if parent is None else code_ids.get(parent, parent),
            color=code.color,
            examples=tuple(str(example) for example in examples),
        )

    # ---- sources ---------------------------------------------------------------------------

    def _text_sources(self) -> list[tuple[etree._Element, str]]:
        """TextSources and the text representations of PDFs, with the name to show."""
        found = []
        for element in self.root.iterfind(f"{_P}Sources/*"):
            local = etree.QName(element).localname
            if local == "TextSource":
                found.append((element, element.get("name") or ""))
            elif local == "PDFSource":
                representation = element.find(f"{_P}Representation")
                if representation is not None:
                    found.append((representation, element.get("name") or ""))
        return found

    def _read_sources(self, allow_missing: bool) -> tuple[list[Transcript], list[Coding]]:
        texts: list[tuple[etree._Element, str, str, str]] = []
        missing: list[str] = []
        for element, name in self._text_sources():
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
        used_ids: set[str] = set()
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
                return docx_plain_text(data, self.path, where), where
        return None

    def _missing_description(self, element: etree._Element, name: str) -> str:
        references = [element.get("plainTextPath"), element.get("richTextPath")]
        files = " or ".join(self.archive.location(ref) for ref in references if ref)
        return f"{files or 'no file named'} (source {name!r})"

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
        return Transcript(id=transcript_id, text=text, metadata=metadata), codings

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
            guid = coding.find(f"{_P}CodeRef").get("targetGUID", "")
            code_id = self.guid_to_code.get(guid, guid)
            if code_id not in self.code_ids:
                if self.strict:
                    raise InputError(
                        self.path,
                        f"source {transcript_id!r}: coding {coding.get('guid')} refers to code "
                        f"{guid}, which is not in the codebook; use strict=False to skip it",
                    )
                self.warnings.append(f"skipped coding {coding.get('guid')}: unknown code {guid}")
                continue
            coder = self._coder(coding, *([] if selection is None else [selection]))
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

    # ---- notes and what is dropped ---------------------------------------------------------

    def _read_notes(self) -> list[RefiNote]:
        notes = []
        for note in self.root.iterfind(f"{_P}Notes/{_P}Note"):
            name = note.get("name") or ""
            if name == METADATA_NOTE_NAME:
                continue
            text = note.findtext(f"{_P}PlainTextContent")
            if text is None and note.get("plainTextPath"):
                data = self.archive.read(note.get("plainTextPath", ""))
                where = self.archive.location(note.get("plainTextPath", ""))
                text = None if data is None else decode_text(data, self.path, where)
                if text is None:
                    self.warnings.append(f"note {name!r}: its text file {where} is missing")
            notes.append(
                RefiNote(
                    guid=note.get("guid", ""),
                    name=name,
                    text=(text or "").replace("\r\n", "\n"),
                    description=(note.findtext(f"{_P}Description") or "").strip(),
                )
            )
        return notes

    def _note_dropped_parts(self) -> None:
        found = Counter(
            etree.QName(element).localname
            for element in self.root.iterfind(f"{_P}Sources//*")
            if isinstance(element.tag, str)
        )
        for kind in _DROPPED_ELEMENTS:
            if found[kind]:
                self.warnings.append(f"dropped {found[kind]} {kind} elements (not text)")
        for part in _DROPPED_PARTS:
            if self.root.find(f"{_P}{part}") is not None:
                self.warnings.append(f"dropped the project's {part} (not kept by autocode)")


def _stem(element: etree._Element) -> str:
    path = element.get("plainTextPath") or element.get("richTextPath") or ""
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def _unique(name: str, used: set[str]) -> str:
    candidate, number = name, 2
    while candidate in used:
        candidate = f"{name} ({number})"
        number += 1
    used.add(candidate)
    return candidate
