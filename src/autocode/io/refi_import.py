"""Import REFI-QDA projects (`.qdpx`, bare `.qde`) and codebooks (`.qdc`) into autocode's model.

Every problem a user can act on is an `InputError` with one line naming the file and what is
wrong. Text positions are converted to offsets into the "\\n"-normalised transcript text; how the
exporting tool counted them is detected per source unless given (see `refi_offsets`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from autocode.errors import InputError
from autocode.io.decode import read_bytes
from autocode.io.refi_archive import ProjectArchive, decode_text
from autocode.io.refi_model import (
    CODEBOOK_NS,
    CODEBOOK_SCHEMA,
    METADATA_NOTE_NAME,
    PROJECT_NS,
    PROJECT_SCHEMA,
    RefiNote,
    RefiProject,
    coder_from_user_name,
    validate_codebook_xml,
    validate_project_xml,
)
from autocode.io.refi_offsets import PositionModel
from autocode.io.refi_sources import SourceReader
from autocode.io.safe_xml import parse_xml
from autocode.types import Code, Codebook

_P = f"{{{PROJECT_NS}}}"
_DROPPED_ELEMENTS = ("PictureSource", "AudioSource", "VideoSource", "PDFSelection")
_DROPPED_PARTS = ("Cases", "Variables", "Sets", "Links", "Graphs")


def import_qdc(path: str | Path, *, strict: bool = True) -> Codebook:
    """Read a REFI-QDA codebook (`.qdc`). Code ids are the REFI GUIDs; nesting gives parents.

    With `strict=False` a file that breaks the schema is read anyway when its codes can be
    understood (Taguette writes an empty `<Sets/>`, which the schema forbids).
    """
    path = Path(path)
    data = read_bytes(path)
    root = _parse(data, path, validate_codebook_xml, CODEBOOK_SCHEMA, strict, "the codebook")
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
    with ProjectArchive(path) as archive:
        root = _parse(
            archive.project_xml,
            path,
            validate_project_xml,
            PROJECT_SCHEMA,
            strict,
            archive.project_member if archive.is_zip else "it",
        )
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
    what: str,
) -> etree._Element:
    root = parse_xml(data, path, what)
    if strict:
        errors = validate(data)
        if errors:
            first = errors[0].rstrip(".")
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise InputError(
                path,
                f"does not follow the REFI-QDA schema {schema_name}: {first}{more}; "
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
        users = self._read_users()
        codes, uncodable = _read_codes(root.find(f"{_P}CodeBook/{_P}Codes"), PROJECT_NS, self.path)
        guid_to_id = {code.id: self.metadata["code_ids"].get(code.id, code.id) for code in codes}
        codes = [self._with_autocode_id(code, guid_to_id) for code in codes]
        codebook_name = self.metadata["codebook_name"] or root.get("name", "")
        offsets = self.metadata["offsets"]
        from_autocode = origin.startswith("autocode ")
        # Only a file autocode wrote counts positions as the note says: a tool that re-exports
        # our file keeps the note but counts in its own way.
        if offsets and from_autocode and detect_crlf and detect_utf16:
            model = PositionModel(bool(offsets.get("crlf")), bool(offsets.get("utf16")))
            detect_crlf = detect_utf16 = False
        sources = SourceReader(
            path=self.path,
            archive=self.archive,
            code_ids=guid_to_id,
            coders={guid.lower(): coder for coder, (_, guid) in users.items()},
            model=model,
            detect_crlf=detect_crlf,
            detect_utf16=detect_utf16,
            prefer_utf16=origin.lower().startswith("nvivo"),
            prefer_one_break="atlas" in origin.lower(),
            strict=self.strict,
            from_autocode=from_autocode,
            warnings=self.warnings,
        )
        transcripts, codings = sources.read(root, allow_missing_sources)
        self._note_dropped_parts()
        return RefiProject(
            name=root.get("name", ""),
            transcripts=transcripts,
            codebook=_codebook(codebook_name, codes, self.path),
            codings=codings,
            users={coder: name for coder, (name, _) in users.items()},
            user_guids={coder: guid for coder, (_, guid) in users.items()},
            notes=self._read_notes(),
            uncodable_code_ids={guid_to_id[guid] for guid in uncodable},
            origin=origin,
            warnings=self.warnings,
        )

    def _metadata_note(self) -> dict:
        """autocode's own metadata note, checked: every key present, of the expected type."""
        data: dict = {}
        for note in self.root.iterfind(f"{_P}Notes/{_P}Note"):
            if note.get("name") == METADATA_NOTE_NAME:
                try:
                    data = json.loads(note.findtext(f"{_P}PlainTextContent") or "{}")
                except json.JSONDecodeError:
                    self.warnings.append(f"ignored an unreadable '{METADATA_NOTE_NAME}' note")
                break
        data = data if isinstance(data, dict) else {}

        def mapping(key: str) -> dict:
            value = data.get(key)
            return value if isinstance(value, dict) else {}

        name = data.get("codebook_name")
        return {
            "code_ids": {k: v for k, v in mapping("code_ids").items() if isinstance(v, str)},
            "code_examples": {
                k: tuple(map(str, v))
                for k, v in mapping("code_examples").items()
                if isinstance(v, list)
            },
            "coders": {
                k: v
                for k, v in mapping("coders").items()
                if isinstance(v, str) and v.startswith(("human:", "model:"))
            },
            "codebook_name": name if isinstance(name, str) else "",
            "offsets": mapping("offsets"),
        }

    def _read_users(self) -> dict[str, tuple[str, str]]:
        """Coder string -> (user name, user GUID) for every User."""
        known_coders = self.metadata["coders"]
        users: dict[str, tuple[str, str]] = {}
        for user in self.root.iterfind(f"{_P}Users/{_P}User"):
            guid = user.get("guid", "")
            name = user.get("name") or user.get("id") or guid
            coder = known_coders.get(guid) or coder_from_user_name(name)
            if coder in users:  # two users with one name: keep them apart
                coder = f"{coder} [{guid[:8]}]"
            users[coder] = (name, guid)
        return users

    def _with_autocode_id(self, code: Code, guid_to_id: dict[str, str]) -> Code:
        """The code under the id autocode gave it, when the metadata note remembers one."""
        parent = code.parent_id
        return Code(
            id=guid_to_id[code.id],
            name=code.name,
            definition=code.definition,
            parent_id=None if parent is None else guid_to_id[parent],
            color=code.color,
            examples=self.metadata["code_examples"].get(code.id, ()),
        )

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
