"""Export autocode projects and codebooks as REFI-QDA `.qdpx` / `.qdc` files.

Choices, for the tools that read these files:
- One `PlainTextSelection` per coding, holding one `Coding`, so codings by different coders (or
  with different confidences) on the same span stay apart.
- Each coder is a `User`: human codings keep their user; each model version gets a user named
  e.g. "autocode model seed-themes 0.1", so a researcher can filter, accept or delete its codings.
- A model coding's confidence (and unit index) goes into the selection's `Description`, e.g.
  "autocode model seed-themes@0.1; confidence=0.87; unit=12"; tools show it as a quotation
  comment and QualCoder as a coding memo. Tools ignore text they do not understand there.
- Every GUID is derived from content (uuid5), dates come from the codings (or a fixed date), and
  the zip entries carry a fixed timestamp, so exporting the same project twice gives the same
  bytes.
- A project Note named "autocode metadata" keeps what REFI has no place for (autocode code ids
  that are not GUIDs, code examples, exact coder strings, the offset convention) so that
  `import_qdpx` gives back what was exported.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from lxml import etree

import autocode
from autocode.io.refi_model import (
    CODEBOOK_NS,
    DEFAULT_DATETIME,
    METADATA_NOTE_NAME,
    PROJECT_NS,
    RefiProject,
    coder_from_user_name,
    is_guid,
    is_rgb,
    stable_guid,
    user_display_name,
    validate_codebook_xml,
    validate_project_xml,
)
from autocode.io.refi_offsets import PositionMap, PositionModel
from autocode.types import Code, Codebook, Coding, Transcript

ORIGIN = f"autocode {autocode.__version__}"
# Characters XML 1.0 cannot carry (most C0 controls, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_P = f"{{{PROJECT_NS}}}"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_NAME_LENGTH = 80


def export_qdpx(
    project: RefiProject,
    path: str | Path,
    *,
    crlf_offsets: bool = False,
    utf16_offsets: bool = False,
) -> Path:
    """Write `project` as a REFI-QDA project archive and return its path.

    The archive holds `project.qde` and `Sources/<guid>.txt` (UTF-8, no BOM). `crlf_offsets`
    writes the texts with CRLF line endings and counts each as two characters (as NVivo for
    Windows does); `utf16_offsets` counts characters outside the Basic Multilingual Plane (emoji)
    as two, as NVivo does. Raises ValueError when codings point at unknown transcripts or codes
    or past the end of a text. The file appears whole or not at all.
    """
    path = Path(path)
    model = PositionModel(crlf=crlf_offsets, utf16=utf16_offsets)
    xml, texts = project_xml(project, model)
    line_break = "\r\n" if crlf_offsets else "\n"
    members = [("project.qde", xml)]
    members += [
        (f"Sources/{guid}.txt", text.replace("\n", line_break).encode("utf-8"))
        for guid, text in sorted(texts.items())
    ]
    _write_atomically(path, lambda handle: _write_zip(handle, members))
    return path


def export_qdc(codebook: Codebook, path: str | Path) -> Path:
    """Write `codebook` as a REFI-QDA codebook (`.qdc`) and return its path."""
    path = Path(path)
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin=ORIGIN)
    codes = etree.SubElement(root, f"{{{CODEBOOK_NS}}}Codes")
    _add_codes(codes, CODEBOOK_NS, codebook.codes, set())
    xml = _serialise(root, validate_codebook_xml)
    _write_atomically(path, lambda handle: handle.write(xml))
    return path


def code_guid(code_id: str) -> str:
    """The REFI GUID of an autocode code: its id when that is a GUID, else derived from it."""
    return code_id if is_guid(code_id) else stable_guid("code", code_id)


def transcript_guid(transcript: Transcript) -> str:
    """The source GUID of a transcript: the one it was imported with, else derived from its id
    and text."""
    known = str(transcript.metadata.get("refi_guid", ""))
    if is_guid(known):
        return known
    digest = hashlib.sha256(transcript.text.encode("utf-8")).hexdigest()
    return stable_guid("source", f"{transcript.id}\0{digest}")


def project_xml(project: RefiProject, model: PositionModel) -> tuple[bytes, dict[str, str]]:
    """`project.qde` for a project, and the source texts to store, by source GUID."""
    transcripts = {transcript.id: transcript for transcript in project.transcripts}
    if len(transcripts) != len(project.transcripts):
        raise ValueError("transcript ids must be unique to export a project")
    code_ids = set(project.codebook.ids)
    for coding in project.codings:
        _check_coding(coding, transcripts, code_ids)
    coders = sorted(set(project.users) | {coding.coder for coding in project.codings})
    user_guids = {
        coder: project.user_guids.get(coder) or stable_guid("user", coder) for coder in coders
    }
    # Children in the order the schema's xsd:sequence wants: Users, CodeBook, Sources, Notes.
    root = etree.Element(
        f"{_P}Project", nsmap={None: PROJECT_NS}, name=_xml_text(project.name), origin=ORIGIN
    )
    if coders:
        users = etree.SubElement(root, f"{_P}Users")
        for coder in coders:
            name = project.users.get(coder) or user_display_name(coder)
            etree.SubElement(users, f"{_P}User", guid=user_guids[coder], name=_xml_text(name))
    if project.codebook.codes:
        codes = etree.SubElement(etree.SubElement(root, f"{_P}CodeBook"), f"{_P}Codes")
        _add_codes(codes, PROJECT_NS, project.codebook.codes, project.uncodable_code_ids)
    texts = _add_sources(root, project, user_guids, model)
    _add_notes(root, project, _metadata(project, user_guids, model))
    return _serialise(root, validate_project_xml), texts


def _add_sources(
    root: etree._Element, project: RefiProject, user_guids: dict[str, str], model: PositionModel
) -> dict[str, str]:
    """One TextSource per transcript, with its codings; returns the texts by source GUID."""
    texts: dict[str, str] = {}
    if not project.transcripts:
        return texts
    by_transcript: dict[str, list[Coding]] = {}
    for coding in project.codings:
        by_transcript.setdefault(coding.transcript_id, []).append(coding)
    sources = etree.SubElement(root, f"{_P}Sources")
    for transcript in project.transcripts:
        guid = transcript_guid(transcript)
        texts[guid] = transcript.text
        source = etree.SubElement(
            sources,
            f"{_P}TextSource",
            guid=guid,
            name=_xml_text(transcript.id),
            plainTextPath=f"internal://{guid}.txt",
        )
        mapping = PositionMap(transcript.text, model)
        for coding in sorted(by_transcript.get(transcript.id, []), key=_coding_key):
            _add_selection(source, coding, mapping, user_guids[coding.coder])
    return texts


def _add_notes(root: etree._Element, project: RefiProject, metadata: dict) -> None:
    notes = [(note.guid, note.name, note.text, note.description) for note in project.notes]
    if metadata:
        notes.append(
            (
                stable_guid("note", METADATA_NOTE_NAME),
                METADATA_NOTE_NAME,
                json.dumps(metadata, sort_keys=True, ensure_ascii=False),
                "Written by autocode to re-import this project exactly; safe to delete.",
            )
        )
    if not notes:
        return
    notes_element = etree.SubElement(root, f"{_P}Notes")
    for guid, name, text, description in notes:
        if not is_guid(guid):
            guid = stable_guid("note", f"{name}\0{text}")
        note = etree.SubElement(notes_element, f"{_P}Note", guid=guid, name=_xml_text(name))
        if description:
            etree.SubElement(note, f"{_P}Description").text = _xml_text(description)
        etree.SubElement(note, f"{_P}PlainTextContent").text = _xml_text(text)


def _check_coding(coding: Coding, transcripts: dict[str, Transcript], code_ids: set[str]) -> None:
    transcript = transcripts.get(coding.transcript_id)
    if transcript is None:
        raise ValueError(f"coding refers to unknown transcript {coding.transcript_id!r}")
    if coding.code_id not in code_ids:
        raise ValueError(f"coding refers to code {coding.code_id!r}, which is not in the codebook")
    if coding.end > len(transcript.text):
        raise ValueError(
            f"coding {coding.start}..{coding.end} runs past the end of transcript "
            f"{transcript.id!r} ({len(transcript.text)} characters)"
        )


def _coding_key(coding: Coding) -> tuple:
    return (
        coding.start,
        coding.end,
        coding.code_id,
        coding.coder,
        coding.created_at or "",
        -1 if coding.confidence is None else coding.confidence,
        -1 if coding.unit_index is None else coding.unit_index,
    )


def _add_selection(
    source: etree._Element, coding: Coding, mapping: PositionMap, user_guid: str
) -> None:
    key = "\0".join(map(str, (source.get("guid"), *_coding_key(coding))))
    created = _datetime(coding.created_at)
    excerpt = _xml_text(" ".join(mapping.text[coding.start : coding.end].split()))
    if len(excerpt) > _NAME_LENGTH:
        excerpt = excerpt[: _NAME_LENGTH - 1] + "…"
    selection = etree.SubElement(
        source,
        f"{_P}PlainTextSelection",
        guid=stable_guid("selection", key),
        name=excerpt,
        startPosition=str(mapping.position(coding.start)),
        endPosition=str(mapping.position(coding.end)),
        creatingUser=user_guid,
        creationDateTime=created,
    )
    if coding.coder.startswith("model:"):
        parts = [f"autocode {coding.coder}"]
        if coding.confidence is not None:
            parts.append(f"confidence={coding.confidence!r}")
        if coding.unit_index is not None:
            parts.append(f"unit={coding.unit_index}")
        etree.SubElement(selection, f"{_P}Description").text = "; ".join(parts)
    element = etree.SubElement(
        selection,
        f"{_P}Coding",
        guid=stable_guid("coding", key),
        creatingUser=user_guid,
        creationDateTime=created,
    )
    etree.SubElement(element, f"{_P}CodeRef", targetGUID=code_guid(coding.code_id))


def _add_codes(
    parent: etree._Element, namespace: str, codes: list[Code], uncodable: set[str]
) -> None:
    """Nest codes under their parents, keeping the codebook's order among siblings."""
    children: dict[str | None, list[Code]] = {}
    for code in codes:
        children.setdefault(code.parent_id, []).append(code)

    def add(element: etree._Element, code: Code) -> None:
        node = etree.SubElement(
            element,
            f"{{{namespace}}}Code",
            guid=code_guid(code.id),
            name=_xml_text(code.name),
            isCodable="false" if code.id in uncodable else "true",
        )
        if code.color and is_rgb(code.color):
            node.set("color", code.color)
        if code.definition:
            etree.SubElement(node, f"{{{namespace}}}Description").text = _xml_text(code.definition)
        for child in children.get(code.id, []):
            add(node, child)

    for code in children.get(None, []):
        add(parent, code)
    written = len(parent.findall(f".//{{{namespace}}}Code"))
    if written != len(codes):
        raise ValueError("the codebook's parent links form a cycle; codes in it have no root")


def _metadata(project: RefiProject, user_guids: dict[str, str], model: PositionModel) -> dict:
    """What only autocode needs back; empty when the REFI elements already say everything."""
    metadata: dict = {}
    code_ids = {
        code_guid(code.id): code.id for code in project.codebook.codes if not is_guid(code.id)
    }
    if code_ids:
        metadata["code_ids"] = code_ids
    examples = {
        code_guid(code.id): list(code.examples) for code in project.codebook.codes if code.examples
    }
    if examples:
        metadata["code_examples"] = examples
    if project.codebook.name != project.name:
        metadata["codebook_name"] = project.codebook.name
    coders = {
        guid: coder
        for coder, guid in user_guids.items()
        if coder_from_user_name(project.users.get(coder) or user_display_name(coder)) != coder
    }
    if coders:
        metadata["coders"] = coders
    if metadata or project.codings:
        metadata["offsets"] = {"crlf": model.crlf, "utf16": model.utf16}
    return metadata


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _datetime(value: str | None) -> str:
    """An xsd:dateTime for a coding's `created_at`; the fixed default when it has none."""
    if not value:
        return DEFAULT_DATETIME
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return DEFAULT_DATETIME
    if parsed.tzinfo is None:
        return parsed.isoformat()
    return parsed.isoformat().replace("+00:00", "Z")


def _serialise(root: etree._Element, validate: Callable[[bytes], list[str]]) -> bytes:
    xml = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    errors = validate(xml)
    if errors:  # a bug in this module, never the user's doing
        raise RuntimeError(f"autocode wrote REFI-QDA XML that breaks the schema: {errors[0]}")
    return xml


def _write_zip(handle: BinaryIO, members: Iterable[tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


def _write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
