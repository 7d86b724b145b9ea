"""Hostile files, built small or large: zip bombs in every archive format autocode reads,
nested archives, XML entity tricks, huge lines, malformed UTF-16.

Used by tests/test_hostile_files.py, tests/test_fuzz_readers.py and benchmarks/hostile.py. A
bomb is real (its members inflate to what they declare) but cheap to build: one compressed
block is repeated (a full flush after each block makes every copy identical), and the zip is
written by hand around it.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import BinaryIO

import docx
import openpyxl

MB = 1024 * 1024
PROJECT_NS = "urn:QDA-XML:project:1.0"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
ODT_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
GUID = "11111111-2222-4333-8444-555555555555"


@dataclass
class Member:
    """A zip member whose content is `parts`: (bytes, times repeated), in order."""

    name: str
    parts: Sequence[tuple[bytes, int]]
    method: int = zipfile.ZIP_DEFLATED
    declared_size: int | None = None  # lie about the uncompressed size
    flags: int = 0

    @property
    def size(self) -> int:
        return sum(len(data) * times for data, times in self.parts)


def plain(name: str, data: bytes, **options) -> Member:
    return Member(name, [(data, 1)], **options)


def write_zip(path: Path, members: Sequence[Member]) -> Path:
    """Write `members` as a zip archive (no zip64: keep each member under 4 GB)."""
    with path.open("wb") as out:
        write_zip_to(out, members)
    return path


def zip_bytes(members: Sequence[Member]) -> bytes:
    buffer = io.BytesIO()
    write_zip_to(buffer, members)
    return buffer.getvalue()


def write_zip_to(out: BinaryIO, members: Sequence[Member]) -> None:
    central = []
    for member in members:
        packed, crc = _pack(member)
        packed_size = sum(len(data) * times for data, times in packed)
        size = member.size if member.declared_size is None else member.declared_size
        name = member.name.encode()
        offset = out.tell()
        # flags, method, time, date, crc, packed and unpacked size, name length
        common = (member.flags, member.method, 0, 0x21, crc, packed_size, size, len(name))
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, *common, 0) + name)
        for data, times in packed:
            for _ in range(times):
                out.write(data)
        entry = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, *common, 0, 0, 0, 0, 0, offset)
        central.append(entry + name)
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    count = len(central)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), start, 0))


def _pack(member: Member) -> tuple[list[tuple[bytes, int]], int]:
    crc = 0
    for data, times in member.parts:
        for _ in range(times):
            crc = zlib.crc32(data, crc)
    if member.method == zipfile.ZIP_STORED:
        return list(member.parts), crc
    if member.method == zipfile.ZIP_BZIP2:
        import bz2

        content = b"".join(data * times for data, times in member.parts)
        return [(bz2.compress(content), 1)], crc
    packed = [(_deflated_block(data), times) for data, times in member.parts]
    return [*packed, (b"\x03\x00", 1)], crc  # an empty final block ends the stream


@lru_cache(maxsize=64)
def _deflated_block(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def members_of(archive_bytes: bytes) -> list[Member]:
    """The members of a small real archive, to rebuild it with some replaced."""
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        return [plain(info.filename, archive.read(info)) for info in archive.infolist()]


def replaced(members: list[Member], name: str, new: Member) -> list[Member]:
    return [new if member.name == name else member for member in members] + (
        [] if any(member.name == name for member in members) else [new]
    )


# ---- well-formed small documents -------------------------------------------------------------


@cache
def docx_bytes(text: str = "Interviewer: How was it?\nP1: It was fine, thank you.") -> bytes:
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@cache
def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "answer"])
    sheet.append(["r1", "The proctoring software made my students anxious."])
    sheet.append(["r2", "We stopped using it after one term."])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def odt_content(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODT_NS}>'
        f"<office:body><office:text>{body}</office:text></office:body>"
        "</office:document-content>"
    ).encode()


def odt_members(content: bytes) -> list[Member]:
    return [
        plain("mimetype", b"application/vnd.oasis.opendocument.text", method=0),
        plain("content.xml", content),
    ]


def project_qde(sources: str = "", head: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{head}<Project xmlns="{PROJECT_NS}" '
        f'name="hostile" origin="hostile_builders"><Sources>{sources}</Sources></Project>'
    ).encode()


def text_source(name: str, path: str, tag: str = "plainTextPath") -> str:
    guid = f"{GUID[:-4]}{zlib.crc32(name.encode()) % 10000:04d}"
    return f'<TextSource guid="{guid}" name="{name}" {tag}="internal://{path}"/>'


def small_qdpx_members(text: bytes = b"P1: I moved here for work.\n") -> list[Member]:
    return [
        plain("project.qde", project_qde(text_source("a", "a.txt"))),
        plain("Sources/a.txt", text),
    ]


# ---- bombs ------------------------------------------------------------------------------------


def _repeated(head: bytes, block: bytes, total: int, tail: bytes) -> list[tuple[bytes, int]]:
    return [(head, 1), (block, max(1, total // len(block))), (tail, 1)]


def qdpx_bomb(path: Path, unpacked: int, *, lie: bool = False) -> Path:
    """A .qdpx whose text source inflates to `unpacked` bytes (`lie`: while declaring 1 KB)."""
    source = Member("Sources/big.txt", _repeated(b"P1: ", b"A" * MB, unpacked, b"\n"))
    if lie:
        source.declared_size = 1024
    return write_zip(
        path, [plain("project.qde", project_qde(text_source("big", "big.txt"))), source]
    )


def docx_document_bomb(unpacked: int) -> Member:
    head = f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>'
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    return Member("word/document.xml", _repeated(head.encode(), b"A" * MB, unpacked, tail))


def docx_bomb(path: Path, unpacked: int) -> Path:
    members = replaced(members_of(docx_bytes()), "word/document.xml", docx_document_bomb(unpacked))
    return write_zip(path, members)


def odt_bomb(path: Path, unpacked: int) -> Path:
    head = odt_content("<text:p>")[
        : -len(b"</office:text></office:body></office:document-content>")
    ]
    tail = b"</text:p></office:text></office:body></office:document-content>"
    content = Member("content.xml", _repeated(head, b"A" * MB, unpacked, tail))
    return write_zip(path, [*odt_members(b"")[:1], content])


def xlsx_bomb(path: Path, unpacked: int) -> Path:
    head = (
        f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t>'
    ).encode()
    tail = b"</t></is></c></row></sheetData></worksheet>"
    sheet = Member("xl/worksheets/sheet1.xml", _repeated(head, b"A" * MB, unpacked, tail))
    return write_zip(path, replaced(members_of(xlsx_bytes()), sheet.name, sheet))


def many_members_bomb(path: Path, count: int, size: int = MB) -> Path:
    """A .docx with `count` media members of `size` bytes each: each one small, all too many."""
    media = [Member(f"word/media/image{i}.png", [(b"\0" * size, 1)]) for i in range(count)]
    return write_zip(path, [*members_of(docx_bytes()), *media])


def nested_qdpx(path: Path, inner: bytes, name: str = "inner.docx") -> Path:
    """A .qdpx whose only text comes from a .docx source (`inner`: that archive's bytes)."""
    qde = project_qde(text_source("inner", name, tag="richTextPath"))
    return write_zip(path, [plain("project.qde", qde), plain(f"Sources/{name}", inner)])


def recursive_qdpx(path: Path, depth: int, bottom: bytes) -> Path:
    """A .qdpx holding a .docx source that is itself a .qdpx holding one, `depth` times, with
    `bottom` (e.g. a docx bomb) inside the innermost."""
    inner = bottom
    for level in range(depth):
        target = path.with_name(f"{path.stem}-level{level}.zip")
        nested_qdpx(target, inner)
        inner = target.read_bytes()
        target.unlink()
    path.write_bytes(inner)
    return path


# ---- XML tricks -------------------------------------------------------------------------------


def billion_laughs(root: str, levels: int = 10) -> str:
    """A DOCTYPE whose `&lol{levels - 1};` expands to 10**levels "lol"s (put it in the body)."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)
    ]
    return f"<!DOCTYPE {root} [{''.join(entities)}]>"


EXTERNAL_ENTITY = '<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
EXTERNAL_DTD = '<!DOCTYPE {root} SYSTEM "http://127.0.0.1:9/evil.dtd">'


def qdpx_with_doctype(path: Path, doctype: str, body_entity: str = "") -> Path:
    """A .qdpx whose project.qde declares `doctype` and uses `body_entity` in a description."""
    source = f'<TextSource guid="{GUID}" name="a"><Description>{body_entity}</Description>'
    source += "<PlainTextContent>P1: hello</PlainTextContent></TextSource>"
    return write_zip(path, [plain("project.qde", project_qde(source, head=doctype))])


def deep_xml(depth: int, tag: str = "x") -> bytes:
    return f"<{tag}>".encode() * depth + f"</{tag}>".encode() * depth


# ---- text -------------------------------------------------------------------------------------


def huge_line(path: Path, size: int, prefix: bytes = b"P1: ") -> Path:
    """A text file of one line of `size` bytes."""
    with path.open("wb") as out:
        out.write(prefix)
        block = b"word " * (MB // 5)
        for _ in range(size // len(block)):
            out.write(block)
    return path


MALFORMED_UTF16 = b"\xff\xfe" + "P1: hello".encode("utf-16-le") + b"\x00\xd8A"  # lone surrogate
