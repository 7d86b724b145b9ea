"""Hostile files: zip bombs, nested archives, XML entity tricks, huge and malformed text.

Each one must end in one `InputError` line naming the file, the member and the limit, before
much is unpacked; a failed `autocode import` leaves the project's files byte for byte as they
were. The bombs are real (they inflate to what they declare) but small enough for a shared
machine, or checked against lowered limits (`AUTOCODE_MAX_*`).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hostile_builders as hb
from autocode.cli import app
from autocode.errors import InputError
from autocode.io import read
from autocode.io.archive_guard import ArchiveBudget
from autocode.io.limits import ENVIRONMENT, ReadLimits
from autocode.io.refi import import_qdc, import_qdpx

MB = hb.MB
AUTOCODE = Path(sys.executable).with_name("autocode")


def one_line_error(call, *args, **options) -> str:
    with pytest.raises(InputError) as caught:
        call(*args, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


# ---- limits -----------------------------------------------------------------------------------


def test_limits_come_from_the_environment() -> None:
    limits = ReadLimits.from_environment(
        {"AUTOCODE_MAX_MEMBER_MB": "512", "AUTOCODE_MAX_RATIO": ""}
    )
    assert limits.max_member_bytes == 512 * MB
    assert limits.max_ratio == ReadLimits().max_ratio
    assert set(ENVIRONMENT.values()) >= {"AUTOCODE_MAX_MEMBER_MB", "AUTOCODE_MAX_TEXT_MB"}
    with pytest.raises(InputError, match="AUTOCODE_MAX_MEMBERS: must be a positive int"):
        ReadLimits.from_environment({"AUTOCODE_MAX_MEMBERS": "many"})
    with pytest.raises(InputError, match="positive float"):
        ReadLimits.from_environment({"AUTOCODE_MAX_TEXT_MB": "-1"})


def test_the_defaults_are_far_above_the_real_test_files(testdata: Path) -> None:
    """The limits must never refuse a real file: measure the largest member and ratio."""
    limits = ReadLimits()
    largest, ratio, members = 0, 0.0, 0
    for path in testdata.rglob("*"):
        if path.suffix.lower() not in (".qdpx", ".docx", ".odt", ".xlsx"):
            continue
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            members = max(members, len(infos))
            for info in infos:
                largest = max(largest, info.file_size)
                if info.filename.lower().endswith(".docx"):  # a .docx source inside a .qdpx
                    with zipfile.ZipFile(archive.open(info)) as inner:
                        for part in inner.infolist():
                            largest = max(largest, part.file_size)
                            ratio = max(ratio, part.file_size / max(part.compress_size, 1))
                if info.file_size > limits.ratio_floor_bytes:
                    ratio = max(ratio, info.file_size / max(info.compress_size, 1))
    assert largest * 5 < limits.max_member_bytes
    assert ratio * 5 < limits.max_ratio
    assert members * 100 < limits.max_members


# ---- zip bombs --------------------------------------------------------------------------------

BOMBS = {
    ".qdpx": (hb.qdpx_bomb, import_qdpx, "Sources/big.txt"),
    ".docx": (hb.docx_bomb, read, "word/document.xml"),
    ".odt": (hb.odt_bomb, read, "content.xml"),
    ".xlsx": (hb.xlsx_bomb, read, "xl/worksheets/sheet1.xml"),
}


@pytest.mark.parametrize("suffix", sorted(BOMBS))
def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path: Path, suffix: str) -> None:
    build, reader, member = BOMBS[suffix]
    path = build(tmp_path / f"bomb{suffix}", 100 * MB)  # real: inflates to 100 MB
    assert path.stat().st_size < MB
    message = one_line_error(reader, path)
    assert str(path) in message and member in message
    assert "times its packed size, over the limit of 500 (set AUTOCODE_MAX_RATIO" in message


@pytest.mark.parametrize("suffix", sorted(BOMBS))
def test_a_member_past_the_size_limit_is_refused(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOCODE_MAX_RATIO", "100000")
    monkeypatch.setenv("AUTOCODE_MAX_MEMBER_MB", "2")
    build, reader, member = BOMBS[suffix]
    message = one_line_error(reader, build(tmp_path / f"big{suffix}", 5 * MB))
    assert f"member {member} unpacks to 5.0 MB, over the 2.0 MB limit for one member" in message
    assert "AUTOCODE_MAX_MEMBER_MB" in message


def test_a_member_that_inflates_past_its_declared_size_is_stopped(tmp_path: Path) -> None:
    path = hb.qdpx_bomb(tmp_path / "liar.qdpx", 50 * MB, lie=True)  # declares 1 KB
    message = one_line_error(import_qdpx, path, strict=False)
    assert "member Sources/big.txt cannot be read" in message


def test_many_small_members_share_one_budget(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUTOCODE_MAX_UNPACKED_MB", "8")
    path = hb.many_members_bomb(
        tmp_path / "media.docx", 20
    )  # 20 x 1 MB, each under the ratio floor
    message = one_line_error(read, path)
    assert "unpacking it takes more than the 8.0 MB limit for one file" in message
    assert "word/media/image" in message and "AUTOCODE_MAX_UNPACKED_MB" in message
    sources = "".join(hb.text_source(f"s{i}", f"s{i}.txt") for i in range(20))
    members = [hb.plain("project.qde", hb.project_qde(sources))] + [
        hb.Member(f"Sources/s{i}.txt", [(b"P1: " + b"x" * (MB - 4), 1)]) for i in range(20)
    ]
    message = one_line_error(import_qdpx, hb.write_zip(tmp_path / "many.qdpx", members))
    assert "more than the 8.0 MB limit for one file (passed at member Sources/s7.txt" in message


def test_too_many_members_are_refused_before_the_table_of_contents_is_parsed(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("AUTOCODE_MAX_MEMBERS", "50")
    members = [*hb.members_of(hb.docx_bytes())]
    members += [hb.plain(f"word/media/{i}.txt", b"x") for i in range(60)]
    message = one_line_error(read, hb.write_zip(tmp_path / "crowded.docx", members))
    assert f"its table of contents lists {len(members)} members" in message
    assert "over the limit of 50 members (set AUTOCODE_MAX_MEMBERS" in message


def test_bzip2_and_encrypted_members_are_refused(tmp_path: Path) -> None:
    members = hb.small_qdpx_members()
    bz = [members[0], hb.Member("Sources/a.txt", [(b"P1: hi\n", 1)], method=zipfile.ZIP_BZIP2)]
    message = one_line_error(import_qdpx, hb.write_zip(tmp_path / "bz.qdpx", bz))
    assert "member Sources/a.txt uses compression method 12" in message
    locked = [members[0], hb.Member("Sources/a.txt", [(b"P1: hi\n", 1)], flags=1)]
    message = one_line_error(import_qdpx, hb.write_zip(tmp_path / "locked.qdpx", locked))
    assert "member Sources/a.txt is encrypted" in message


def test_a_docx_bomb_inside_a_qdpx_counts_against_the_same_budget(tmp_path: Path) -> None:
    inner = hb.docx_bomb(tmp_path / "inner.docx", 200 * MB).read_bytes()
    message = one_line_error(import_qdpx, hb.nested_qdpx(tmp_path / "nested.qdpx", inner))
    assert "member Sources/inner.docx > word/document.xml unpacks to" in message


def test_archives_nested_deeper_than_two_are_not_opened(tmp_path: Path) -> None:
    bottom = hb.docx_bomb(tmp_path / "bottom.docx", 200 * MB).read_bytes()
    path = hb.recursive_qdpx(tmp_path / "russian-doll.qdpx", 4, bottom)
    budget = ArchiveBudget(path)
    with budget.open_archive(path) as outer:
        level2 = outer.read("Sources/inner.docx")
        with budget.open_archive(level2, "Sources/inner.docx") as middle:
            level3 = middle.read("Sources/inner.docx")
            with pytest.raises(
                InputError, match="nested 3 deep; autocode opens archives at most 2"
            ):
                budget.open_archive(level3, "x").__enter__()
    # the reader itself opens one .docx level, which is not a Word file here
    message = one_line_error(import_qdpx, path)
    assert "Sources/inner.docx" in message


# ---- XML ----------------------------------------------------------------------------------------

DOCTYPES = {
    "billion laughs": (hb.billion_laughs("Project"), "&lol9;"),
    "external entity": (hb.EXTERNAL_ENTITY.format(root="Project"), "&xxe;"),
    "external DTD": (hb.EXTERNAL_DTD.format(root="Project"), ""),
    "after a long comment": ("<!--" + "x" * 100_000 + "-->" + hb.billion_laughs("Project"), ""),
}


@pytest.mark.parametrize("name", sorted(DOCTYPES))
@pytest.mark.parametrize("strict", [True, False])
def test_a_doctype_in_a_project_is_one_line(tmp_path: Path, name: str, strict: bool) -> None:
    doctype, entity = DOCTYPES[name]
    path = hb.qdpx_with_doctype(tmp_path / "entities.qdpx", doctype, entity)
    message = one_line_error(import_qdpx, path, strict=strict)
    assert "project.qde declares a DOCTYPE" in message


def test_a_schema_validation_internal_error_is_one_line(tmp_path: Path) -> None:
    """The issue's traceback: an entity reference reaching lxml's schema validator."""
    from autocode.io.refi_model import validate_project_xml

    xml = hb.project_qde('<TextSource guid="x" name="a"/>')
    errors = validate_project_xml(
        xml.replace(b"<Project", hb.EXTERNAL_ENTITY.format(root="Project").encode() + b"<Project")
    )
    assert errors and "DOCTYPE" in errors[0]


def test_a_doctype_in_a_codebook_and_in_documents_is_one_line(tmp_path: Path) -> None:
    laughs = hb.billion_laughs("CodeBook")
    qdc = tmp_path / "laughs.qdc"
    qdc.write_text(
        f'<?xml version="1.0"?>{laughs}<CodeBook xmlns="urn:QDA-XML:codebook:1.0">'
        '<Codes><Code guid="a" name="&lol9;" isCodable="true"/></Codes></CodeBook>'
    )
    assert "the codebook declares a DOCTYPE" in one_line_error(import_qdc, qdc)

    body = f"<office:document-content {hb.ODT_NS}><office:body><office:text><text:p>&lol9;"
    body += "</text:p></office:text></office:body></office:document-content>"
    odt = hb.write_zip(
        tmp_path / "laughs.odt",
        hb.odt_members(f'<?xml version="1.0"?>{hb.billion_laughs("x")}{body}'.encode()),
    )
    assert "content.xml declares a DOCTYPE" in one_line_error(read, odt)

    document = f'<?xml version="1.0"?>{hb.EXTERNAL_ENTITY.format(root="w:document")}'
    document += f'<w:document xmlns:w="{hb.W_NS}"><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r>'
    document += "</w:p></w:body></w:document>"
    members = hb.replaced(
        hb.members_of(hb.docx_bytes()),
        "word/document.xml",
        hb.plain("word/document.xml", document.encode()),
    )
    docx_path = hb.write_zip(tmp_path / "xxe.docx", members)
    assert "member word/document.xml declares a DOCTYPE" in one_line_error(read, docx_path)

    sheet_name = "xl/worksheets/sheet1.xml"
    sheet = f'<?xml version="1.0"?>{hb.billion_laughs("worksheet")}<worksheet '
    sheet += f'xmlns="{hb.SHEET_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;'
    sheet += "</t></is></c></row></sheetData></worksheet>"
    members = hb.replaced(
        hb.members_of(hb.xlsx_bytes()), sheet_name, hb.plain(sheet_name, sheet.encode())
    )
    xlsx = hb.write_zip(tmp_path / "laughs.xlsx", members)
    assert f"member {sheet_name} declares a DOCTYPE" in one_line_error(read, xlsx)


def test_deeply_nested_xml_is_one_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUTOCODE_MAX_RATIO", "100000")  # so that the parser gets to see it
    qde = hb.project_qde(hb.deep_xml(100_000).decode())
    path = hb.write_zip(tmp_path / "deep.qdpx", [hb.plain("project.qde", qde)])
    assert "malformed XML" in one_line_error(import_qdpx, path)
    odt = hb.write_zip(
        tmp_path / "deep.odt",
        hb.odt_members(hb.odt_content(hb.deep_xml(100_000, "text:span").decode())),
    )
    assert "malformed XML" in one_line_error(read, odt)


def _sheet(tmp_path: Path, rows: str, dimension: str) -> Path:
    name = "xl/worksheets/sheet1.xml"
    sheet = f'<?xml version="1.0"?><worksheet xmlns="{hb.SHEET_NS}"><dimension ref="{dimension}"/>'
    sheet += f"<sheetData>{rows}</sheetData></worksheet>"
    members = hb.replaced(hb.members_of(hb.xlsx_bytes()), name, hb.plain(name, sheet.encode()))
    return hb.write_zip(tmp_path / "sheet.xlsx", members)


def test_a_sheet_declaring_a_huge_dimension_is_not_padded_to_it(tmp_path: Path, monkeypatch):
    from autocode.io.survey import read_rows

    cells = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>answer {i}</t></is></c></row>'
        for i in range(1, 201)
    )
    rows = read_rows(_sheet(tmp_path, cells, "A1:XFD1048576"))  # 16,384 x 1,048,576 declared
    assert len(rows) == 200 and {len(row) for row in rows} == {1}
    monkeypatch.setenv("AUTOCODE_MAX_CELLS", "1000")
    far = '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row><row r="99999999"/>'
    message = one_line_error(read_rows, _sheet(tmp_path, far, "A1"))
    assert "has more than 1,000 cells, over the limit for one table (set AUTOCODE_MAX" in message
    wide = tmp_path / "wide.csv"
    wide.write_text("id," * 2000 + "answer\n")
    assert "it has more than 1,000 cells" in one_line_error(read_rows, wide)


# ---- text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".txt", ".md", ".vtt", ".srt", ".html", ".csv"])
def test_a_text_file_past_the_limit_is_refused_without_reading_it(
    tmp_path: Path, suffix: str, monkeypatch
) -> None:
    monkeypatch.setenv("AUTOCODE_MAX_TEXT_MB", "1")
    path = hb.huge_line(tmp_path / f"huge{suffix}", 2 * MB)
    message = one_line_error(read, path)
    assert message.endswith(
        "is 2.0 MB, over the 1.0 MB limit for text files (set AUTOCODE_MAX_TEXT_MB to raise it)"
    )


def test_a_huge_single_line_reads_as_one_turn(tmp_path: Path) -> None:
    transcript = read(hb.huge_line(tmp_path / "line.txt", 8 * MB, prefix=b"Interviewer: "))
    assert len(transcript.turns) == 1 and len(transcript.text) > 8 * MB - MB


def test_a_bare_qde_past_the_limit_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUTOCODE_MAX_TEXT_MB", "1")
    path = tmp_path / "big.qde"
    path.write_bytes(hb.project_qde("<!--" + "x" * (2 * MB) + "-->"))
    assert "over the 1.0 MB limit for REFI-QDA project XML" in one_line_error(import_qdpx, path)


def test_malformed_utf16_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "broken16.txt"
    path.write_bytes(hb.MALFORMED_UTF16)
    assert "starts with a utf-16 BOM but is not valid" in one_line_error(read, path)
    members = hb.small_qdpx_members(hb.MALFORMED_UTF16)
    qdpx = hb.write_zip(tmp_path / "broken16.qdpx", members)
    message = one_line_error(import_qdpx, qdpx, strict=False)
    assert "Sources/a.txt starts with a UTF-16 BOM but is not valid UTF-16" in message


# ---- import into a project: nothing changes -----------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_a_failed_import_leaves_the_project_byte_for_byte(tmp_path: Path) -> None:
    good = hb.write_zip(tmp_path / "good.qdpx", hb.small_qdpx_members())
    project = tmp_path / "project"
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(good), "--project", str(project)]).exit_code == 0
    before = _files(project)
    assert "project.sqlite" in " ".join(before) or len(before) >= 1

    bomb = hb.qdpx_bomb(tmp_path / "bomb.qdpx", 3000 * MB)  # the 3 MB -> 3 GB
    result = subprocess.run(
        [str(AUTOCODE), "import", str(bomb), "--project", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "member Sources/big.txt" in result.stderr
    assert _files(project) == before

    # A file that parses but fails at the store (its codebook conflicts with the stored one)
    # fails inside the import's transaction: still not one byte changed.
    other = hb.small_qdpx_members()
    other[0] = hb.plain(
        "project.qde",
        hb.project_qde(hb.text_source("a", "a.txt")).replace(
            b"<Sources>",
            b'<CodeBook><Codes><Code guid="99999999-2222-4333-8444-555555555555" name="x" '
            b'isCodable="true"/></Codes></CodeBook><Sources>',
        ),
    )
    conflict = hb.write_zip(tmp_path / "conflict.qdpx", other)
    result = runner.invoke(app, ["import", str(conflict), "--project", str(project)])
    assert result.exit_code == 2 and "already stored with other codes" in result.stderr
    assert _files(project) == before
