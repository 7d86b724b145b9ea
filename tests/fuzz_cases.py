"""Fuzz cases for every reader: seed inputs (real files from ../shared/testdata when present,
small generated ones always) and the mutations applied to them.

    for case in cases("docx", random.Random(1), 100):
        outcome = run_case(case, folder)      # "read" or "input error"; raises on anything else

A case is deterministic given its seed: tests/test_fuzz_readers.py draws them with hypothesis,
benchmarks/fuzz.py runs thousands per reader and records what happened.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import hostile_builders as hb
from autocode.errors import InputError

TESTDATA = Path(__file__).resolve().parents[2] / "shared" / "testdata"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "io"
# reader -> (suffixes of its seeds, the suffix a case is written with)
READERS: dict[str, tuple[tuple[str, ...], str]] = {
    "text": ((".txt", ".md"), ".txt"),
    "captions": ((".vtt", ".srt"), ".vtt"),
    "html": ((".html",), ".html"),
    "csv": ((".csv",), ".csv"),
    "xlsx": ((".xlsx",), ".xlsx"),
    "docx": ((".docx",), ".docx"),
    "odt": ((".odt",), ".odt"),
    "qdpx": ((".qdpx", ".qde"), ".qdpx"),
    "qdc": ((".qdc",), ".qdc"),
}
ARCHIVES = {"xlsx", "docx", "odt", "qdpx"}
# Real seeds larger than this are drawn rarely: each read of them costs 10-100x a small one.
_LARGE_SEED = 100_000


@dataclass(frozen=True)
class Case:
    reader: str
    seed_name: str
    mutation: str
    data: bytes
    suffix: str
    strict: bool = True


@cache
def seeds(reader: str) -> tuple[tuple[str, bytes], ...]:
    """(name, bytes) of the reader's seed inputs: generated ones, then real files."""
    suffixes, _ = READERS[reader]
    found = [(f"generated:{name}", data) for name, data in _generated(reader)]
    for folder in (FIXTURES, TESTDATA):
        if folder.is_dir():
            found += [
                (path.name, path.read_bytes())
                for path in sorted(folder.rglob("*"))
                if path.is_file() and path.suffix.lower() in suffixes
            ]
    return tuple(found)


def _generated(reader: str) -> list[tuple[str, bytes]]:
    if reader == "text":
        return [("qa", b"Q: How did it start?\nA: Slowly.\n\nQ: And then?\nA: Fast.\n")]
    if reader == "captions":
        return [("vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\n<v Ana>Hello there.\n")]
    if reader == "html":
        return [("page", b"<html><body><p>Interviewer: Hi.</p><p>P1: Hello.</p></body></html>")]
    if reader == "csv":
        return [("survey", b"id,answer\nr1,It helped a lot.\nr2,Not at all.\n")]
    if reader == "xlsx":
        return [("sheet", hb.xlsx_bytes())]
    if reader == "docx":
        return [("doc", hb.docx_bytes())]
    if reader == "odt":
        content = hb.odt_content("<text:p>Interviewer: Hi.</text:p><text:p>P1: Hello.</text:p>")
        return [("odt", hb.zip_bytes(hb.odt_members(content)))]
    if reader == "qdpx":
        return [("qdpx", hb.zip_bytes(hb.small_qdpx_members()))]
    codebook = (
        b'<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        b'<Code guid="0f4e6b8e-3c1b-4d6e-9b7a-2c3d4e5f6a7b" name="a" isCodable="true"/>'
        b"</Codes></CodeBook>"
    )
    return [("qdc", codebook)]


def cases(reader: str, rng: random.Random, count: int) -> Iterator[Case]:
    """`count` mutated inputs for `reader`, drawn with `rng`."""
    pool = seeds(reader)
    weights = [1.0 if len(data) <= _LARGE_SEED else 0.03 for _, data in pool]
    for _ in range(count):
        name, data = rng.choices(pool, weights)[0]
        yield mutate(reader, name, data, rng)


def mutate(reader: str, name: str, data: bytes, rng: random.Random) -> Case:
    """One mutation of seed `data`, chosen by `rng`."""
    table = ZIP_MUTATIONS if reader in ARCHIVES and zipfile.is_zipfile(io.BytesIO(data)) else {}
    table = {**BYTE_MUTATIONS, **table, **({} if table else TEXT_MUTATIONS)}
    mutation = rng.choice(sorted(table))
    suffix = READERS[reader][1]
    if reader == "qdpx" and not zipfile.is_zipfile(io.BytesIO(data)):
        suffix = ".qde"
    return Case(reader, name, mutation, table[mutation](data, rng), suffix, rng.random() < 0.5)


def run_case(case: Case, folder: Path) -> str:
    """Read the case's file: "read", or "input error"; any other exception propagates."""
    from autocode.io import read
    from autocode.io.refi import import_qdc, import_qdpx

    path = folder / f"case{case.suffix}"
    path.write_bytes(case.data)
    try:
        if case.reader == "qdpx":
            import_qdpx(path, strict=case.strict, allow_missing_sources=not case.strict)
        elif case.reader == "qdc":
            import_qdc(path, strict=case.strict)
        else:
            read(path)
    except InputError as error:
        assert "\n" not in str(error), str(error)
        return "input error"
    return "read"


# ---- byte-level mutations ---------------------------------------------------------------------


def _flip_bits(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    mutable = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        position = rng.randrange(len(mutable))
        mutable[position] ^= 1 << rng.randrange(8)
    return bytes(mutable)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _splice(data: bytes, rng: random.Random) -> bytes:
    position = rng.randrange(len(data) + 1)
    junk = rng.choice([b"\x00" * 16, b"\xff\xfe", b"<", b"&lol;", b"]]>", rng.randbytes(32)])
    return data[:position] + junk + data[position:]


BYTE_MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "bit flips": _flip_bits,
    "truncation": _truncate,
    "splice": _splice,
}


# ---- text mutations ---------------------------------------------------------------------------


def _reencode(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    encoding = rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252", "latin-1"])
    encoded = text.encode(encoding, errors="replace")
    return encoded[: len(encoded) - rng.choice([0, 0, 1])]  # sometimes an odd byte count


def _wrong_bom(data: bytes, rng: random.Random) -> bytes:
    return rng.choice([b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\xff\xfe\x00\x00"]) + data


def _long_line(data: bytes, rng: random.Random) -> bytes:
    line = data.split(b"\n", 1)[0] or b"P1: x"
    return line * max(1, rng.randint(50_000, 500_000) // len(line)) + b"\n" + data


def _deep_tags(data: bytes, rng: random.Random) -> bytes:
    depth = rng.choice([300, 5_000, 50_000])
    return b"<div>" * depth + data + b"</div>" * rng.choice([0, depth])


TEXT_MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "wrong encoding": _reencode,
    "wrong BOM": _wrong_bom,
    "long line": _long_line,
    "deep nesting": _deep_tags,
}


# ---- archive mutations ------------------------------------------------------------------------


def _members(data: bytes) -> list[hb.Member]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [
            hb.plain(info.filename, archive.read(info), method=info.compress_type)
            for info in archive.infolist()
            if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        ]


def _member_mutation(change: Callable[[hb.Member, random.Random], list[hb.Member]]):
    def mutation(data: bytes, rng: random.Random) -> bytes:
        try:
            members = _members(data)
        except Exception:
            return data
        if not members:
            return data
        xml = [m for m in members if m.name.lower().endswith((".xml", ".qde", ".rels", ".txt"))]
        target = rng.choice(xml or members)
        index = members.index(target)
        return hb.zip_bytes(members[:index] + change(target, rng) + members[index + 1 :])

    return mutation


def _content(member: hb.Member) -> bytes:
    return b"".join(data * times for data, times in member.parts)


def _with(member: hb.Member, content: bytes, **options) -> hb.Member:
    return hb.Member(member.name, [(content, 1)], method=member.method, **options)


def _member_flips(member: hb.Member, rng: random.Random) -> list[hb.Member]:
    return [_with(member, _flip_bits(_content(member), rng))]


def _member_truncated(member: hb.Member, rng: random.Random) -> list[hb.Member]:
    return [_with(member, _truncate(_content(member), rng))]


def _duplicated(member: hb.Member, rng: random.Random) -> list[hb.Member]:
    return [member, _with(member, _flip_bits(_content(member), rng))]


def _oversized(member: hb.Member, rng: random.Random) -> list[hb.Member]:
    content = _content(member)
    kind = rng.choice(["declares huge", "declares tiny", "ratio"])
    if kind == "declares huge":
        return [_with(member, content, declared_size=rng.choice([2**31, 2**32 - 1, 300 * hb.MB]))]
    if kind == "declares tiny":
        return [_with(member, content + b" " * 65_536, declared_size=rng.randint(0, 64))]
    head, tail = content[: len(content) // 2], content[len(content) // 2 :]
    return [hb.Member(member.name, [(head, 1), (b" " * hb.MB, rng.randint(2, 40)), (tail, 1)])]


def _member_encoding(member: hb.Member, rng: random.Random) -> list[hb.Member]:
    return [_with(member, _reencode(_content(member), rng))]


def _member_deep(member: hb.Member, rng: random.Random) -> list[hb.Member]:
    content = _content(member)
    end = content.rfind(b"</")
    if end < 0:
        return [member]
    depth = rng.choice([300, 5_000, 100_000])
    nested = b"<x>" * depth + b"</x>" * depth
    return [_with(member, content[:end] + nested + content[end:])]


def _member_doctype(member: hb.Member, rng: random.Random) -> list[hb.Member]:
    content = _content(member)
    start = content.find(b"?>") + 2 if content.startswith(b"<?xml") else 0
    doctype = rng.choice(
        [
            hb.billion_laughs("x"),
            hb.EXTERNAL_ENTITY.format(root="x"),
            hb.EXTERNAL_DTD.format(root="x"),
        ]
    ).encode()
    return [_with(member, content[:start] + doctype + content[start:])]


ZIP_MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "member bit flips": _member_mutation(_member_flips),
    "member truncation": _member_mutation(_member_truncated),
    "duplicated member": _member_mutation(_duplicated),
    "oversized member": _member_mutation(_oversized),
    "member wrong encoding": _member_mutation(_member_encoding),
    "member deep nesting": _member_mutation(_member_deep),
    "member DOCTYPE": _member_mutation(_member_doctype),
}
