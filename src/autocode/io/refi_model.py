"""What a REFI-QDA exchange file holds, in autocode's data model, and the pieces shared by the
importer and the exporter: namespaces, stable GUIDs, coder <-> user naming, schema validation.

REFI-QDA (www.qdasoftware.org) is the exchange standard of NVivo, ATLAS.ti, MAXQDA and
QualCoder: a `.qdpx` is a zip holding `project.qde` (XML) and a `Sources/` folder; a `.qdc` is a
codebook XML. The XSDs are bundled in `autocode/data/refi/`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from lxml import etree

from autocode.io.safe_xml import PROLOG_SCAN_BYTES, declares_doctype, first_line, xml_parser
from autocode.types import Codebook, Coding, Transcript

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_SCHEMA = "Project-mrt2019.xsd"
CODEBOOK_SCHEMA = "Codebook.xsd"

# Every GUID autocode writes is uuid5(GUID_NAMESPACE, "<kind>:<key>"), so exporting the same
# project twice gives the same file. Never change this constant: it would re-key every export.
GUID_NAMESPACE = uuid.UUID("6f1c2a4e-8d3b-5e7f-9a0c-1b2d3e4f5a6b")

# A coding without `created_at` gets this date: REFI tools (QualCoder) need one, and "now"
# would make exports differ from run to run.
DEFAULT_DATETIME = "2000-01-01T00:00:00Z"

# Name of the project Note in which autocode keeps what REFI has no place for (its own code ids,
# exact coder strings, the offset convention). Tools show it as a memo; deleting it only loses
# those ids on re-import.
METADATA_NOTE_NAME = "autocode metadata"

MODEL_USER_PREFIX = "autocode model "

_GUID_RE = re.compile(
    r"^(\{)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?(1)\})$"
)
_RGB_RE = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")


@dataclass
class RefiNote:
    """A project-level note (memo). Notes attached to codes or selections are not kept."""

    guid: str
    name: str
    text: str
    description: str = ""


@dataclass
class RefiProject:
    """A REFI-QDA project as autocode sees it.

    `users` maps a coder string (`human:<name>` or `model:<name>@<version>`) to the user name the
    QDA tool shows. `user_guids` keeps the User GUID of each coder read from a file, so a project
    that is imported and exported again keeps them. Transcripts keep their source GUID in
    `metadata["refi_guid"]`; codes keep theirs as `Code.id` (or in the metadata note for autocode
    ids that are not GUIDs).

    Not kept (import drops them, listing what it dropped in `warnings`): picture, PDF (except its
    text representation), audio and video sources and their selections; selections without a code
    (quotations, annotations) and selection descriptions written by tools; notes attached to
    anything but the project; sets, cases, variables, links and graphs; `Code.examples` travel
    only inside autocode's own metadata note.
    """

    name: str
    transcripts: list[Transcript]
    codebook: Codebook
    codings: list[Coding]
    users: dict[str, str] = field(default_factory=dict)
    user_guids: dict[str, str] = field(default_factory=dict)
    notes: list[RefiNote] = field(default_factory=list)
    uncodable_code_ids: set[str] = field(default_factory=set)
    origin: str = ""
    warnings: list[str] = field(default_factory=list)


def stable_guid(kind: str, key: str) -> str:
    """A GUID that depends only on `kind` and `key` (uuid5), lowercase as NVivo writes them."""
    return str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{key}"))


def is_guid(value: str) -> bool:
    return bool(_GUID_RE.match(value))


def is_rgb(value: str) -> bool:
    return bool(_RGB_RE.match(value))


def user_display_name(coder: str) -> str:
    """The user name a QDA tool shows for a coder.

    `human:alice` -> `alice`; `model:seed-themes@0.1` -> `autocode model seed-themes 0.1`, so a
    researcher can tell model codings apart and filter, accept or delete them in the tool.
    """
    kind, _, name = coder.partition(":")
    if kind == "model":
        model, _, version = name.partition("@")
        return f"{MODEL_USER_PREFIX}{model} {version}".rstrip()
    return name


def coder_from_user_name(user_name: str) -> str:
    """The coder string for a REFI user name; the inverse of `user_display_name`."""
    if user_name.startswith(MODEL_USER_PREFIX):
        model, _, version = user_name[len(MODEL_USER_PREFIX) :].rpartition(" ")
        if not model:
            return f"model:{version}"
        return f"model:{model}@{version}"
    return f"human:{user_name}"


@cache
def _schema(file_name: str) -> etree.XMLSchema:
    source = resources.files("autocode") / "data" / "refi" / file_name
    with resources.as_file(source) as schema_path:
        return etree.XMLSchema(etree.parse(str(schema_path), parser=xml_parser()))


def _validate(xml_bytes: bytes, schema_name: str, namespace: str, root_name: str) -> list[str]:
    if declares_doctype(xml_bytes[:PROLOG_SCAN_BYTES]):
        return ["declares a DOCTYPE (entities and document type declarations are refused)"]
    try:
        root = etree.fromstring(xml_bytes, parser=xml_parser())
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML: {first_line(error)}"]
    if root.getroottree().docinfo.doctype:
        return ["declares a DOCTYPE (entities and document type declarations are refused)"]
    expected = f"{{{namespace}}}{root_name}"
    if root.tag != expected:
        return [
            f"root element is {describe_tag(root.tag)}, expected {root_name} "
            f"in namespace {namespace}"
        ]
    schema = _schema(schema_name)
    try:
        if schema.validate(root):
            return []
    except etree.Error as error:  # libxml2's "internal error" on trees it cannot check
        return [f"schema validation failed: {first_line(error)}"]
    return [
        f"line {entry.line}: {entry.message.replace('{' + namespace + '}', '')}"
        for entry in schema.error_log
    ]


def validate_project_xml(xml_bytes: bytes) -> list[str]:
    """Errors of a `project.qde` against the REFI-QDA project schema; [] when it is valid."""
    return _validate(xml_bytes, PROJECT_SCHEMA, PROJECT_NS, "Project")


def validate_codebook_xml(xml_bytes: bytes) -> list[str]:
    """Errors of a `.qdc` codebook against the REFI-QDA codebook schema; [] when it is valid."""
    return _validate(xml_bytes, CODEBOOK_SCHEMA, CODEBOOK_NS, "CodeBook")


def describe_tag(tag: str) -> str:
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return f"{local} (namespace {namespace})" if namespace else f"{local} (no namespace)"
