"""The one way autocode parses XML and HTML from files it is given.

Files come from other people, so a parser never resolves entities, never loads a DTD, never
touches the network and keeps libxml2's size and depth limits (no `huge_tree`). A document
that declares a DOCTYPE (where entities live: billion laughs, external entities) is refused
before it is parsed, and every parser failure is one `InputError` line.
"""

from __future__ import annotations

from pathlib import Path

import lxml.html
from lxml import etree

from autocode.errors import InputError

# A real prolog (XML declaration, a comment or two) is a few hundred bytes.
PROLOG_SCAN_BYTES = 64 * 1024
_SPACE = " \t\r\n\ufeff"


def xml_parser() -> etree.XMLParser:
    """A parser that resolves no entities, loads no DTD, fetches nothing, keeps size limits."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )


def html_parser() -> lxml.html.HTMLParser:
    """The same for HTML (noScribe transcripts)."""
    return lxml.html.HTMLParser(no_network=True, huge_tree=False)


def parse_xml(data: bytes, path: str | Path, what: str) -> etree._Element:
    """The root element of `data` (read from `path`; `what` names the part for messages)."""
    if declares_doctype(data[:PROLOG_SCAN_BYTES]):
        raise doctype_refused(path, what)
    try:
        root = etree.fromstring(data, parser=xml_parser())
    except etree.XMLSyntaxError as error:
        raise InputError(path, f"{what} is malformed XML: {first_line(error)}") from None
    except (etree.Error, ValueError, TypeError) as error:
        raise InputError(path, f"{what} cannot be parsed as XML: {first_line(error)}") from None
    if root is None:
        raise InputError(path, f"{what} holds no XML element")
    if root.getroottree().docinfo.doctype:
        raise doctype_refused(path, what)
    return root


def parse_html(text: str, path: str | Path) -> etree._Element:
    """The document element of an HTML page."""
    try:
        return lxml.html.document_fromstring(text, parser=html_parser())
    except (etree.Error, ValueError, TypeError) as error:
        raise InputError(path, f"is not a readable HTML file ({first_line(error)})") from None


def declares_doctype(prefix: bytes) -> bool | None:
    """Whether the XML whose first bytes are `prefix` has a DOCTYPE before its root element.

    None when `prefix` ends before the prolog does (the caller decides: read more, or refuse).
    Bytes that are not XML at all give False: the parser will say what is wrong with them.
    """
    text = _prefix_text(prefix)
    position, length = 0, len(text)
    while True:
        while position < length and text[position] in _SPACE:
            position += 1
        if position >= length:
            return None
        if text.startswith("<?", position):
            end = text.find("?>", position + 2)
        elif text.startswith("<!--", position):
            end = text.find("-->", position + 4)
        else:
            return text.startswith("<!", position)
        if end < 0:
            return None
        position = end + 2


def doctype_refused(path: str | Path, what: str) -> InputError:
    return InputError(
        path,
        f"{what} declares a DOCTYPE; document type declarations and entities are refused in "
        "files from others",
    )


def first_line(error: BaseException) -> str:
    """The first line of an error's message, shortened: parser messages can be long."""
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:200]


def _prefix_text(prefix: bytes) -> str:
    if prefix.startswith((b"\xff\xfe", b"<\x00")):
        return prefix.decode("utf-16-le", errors="ignore")
    if prefix.startswith((b"\xfe\xff", b"\x00<")):
        return prefix.decode("utf-16-be", errors="ignore")
    return prefix.decode("utf-8", errors="ignore")
