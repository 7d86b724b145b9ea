"""REFI-QDA exchange: synthetic round trips, bad input, and every file in ../shared/testdata."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections import Counter
from dataclasses import replace
from importlib import resources
from pathlib import Path

import docx
import pytest
from lxml import etree

from autocode.errors import InputError
from autocode.io.refi import (
    RefiNote,
    RefiProject,
    code_guid,
    coder_from_user_name,
    export_qdc,
    export_qdpx,
    import_qdc,
    import_qdpx,
    transcript_guid,
    user_display_name,
    validate_codebook_xml,
    validate_project_xml,
)
from autocode.io.refi_offsets import PositionMap, PositionModel, word_boundary
from autocode.types import Code, Codebook, Coding, Transcript

NS = {"q": "urn:QDA-XML:project:1.0"}
MODEL = "model:seed-themes@0.1"


# ---- a small synthetic project ----------------------------------------------------------------


def _coding(transcript: Transcript, phrase: str, code_id: str, coder: str, **extra) -> Coding:
    start = transcript.text.index(phrase)
    return Coding(transcript.id, start, start + len(phrase), code_id, coder, **extra)


@pytest.fixture
def project() -> RefiProject:
    interview = Transcript(
        id="P01 interview",
        text=(
            "Interviewer: How did the move feel?\n"
            "P01: Honestly, lonely at first 😔 but the neighbours helped.\n"
            "\n"
            "P01: Café owners knew my name within a month.\n"
        ),
        metadata={"source": "p01.txt", "format": "txt"},
    )
    focus = Transcript(
        id="Focus group",
        text="A: We felt welcome.\r\nB: Not me, I felt isolated.".replace("\r\n", "\n"),
    )
    codebook = Codebook(
        name="Belonging",
        codes=[
            Code("belonging", "Belonging", definition="Feeling part of a place", color="#46AA00"),
            Code(
                "isolation",
                "Isolation",
                parent_id="belonging",
                color="#dc0000",
                examples=("I felt isolated",),
            ),
            Code(
                "support", "Community support", definition="Help from others", parent_id="belonging"
            ),
            Code("5067d381-1dc9-4816-81dd-ae1dbfea2ad7", "Imported code"),
        ],
    )
    codings = [
        _coding(
            interview,
            "lonely at first 😔",
            "isolation",
            "human:alice",
            created_at="2024-03-01T10:00:00Z",
        ),
        _coding(interview, "the neighbours helped", "support", "human:alice"),
        _coding(
            interview, "the neighbours helped", "support", MODEL, confidence=0.8731, unit_index=1
        ),
        _coding(
            interview, "Café owners knew my name", "belonging", MODEL, confidence=0.51, unit_index=2
        ),
        _coding(focus, "I felt isolated", "isolation", "human:bob"),
        _coding(focus, "We felt welcome", "5067d381-1dc9-4816-81dd-ae1dbfea2ad7", "human:bob"),
    ]
    return RefiProject(
        name="Moving study",
        transcripts=[interview, focus],
        codebook=codebook,
        codings=codings,
        users={"human:alice": "alice", "human:bob": "bob"},
        notes=[RefiNote(guid="", name="Memo", text="Check P01 again.", description="todo")],
    )


def _coding_facts(codings: list[Coding]) -> Counter:
    return Counter(
        (c.transcript_id, c.start, c.end, c.code_id, c.coder, c.confidence, c.unit_index)
        for c in codings
    )


def _project_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("project.qde")


def _rezip(source: Path, target: Path, *, drop=(), rename=None, replace=None) -> Path:
    """Copy a .qdpx, leaving out, renaming or replacing members."""
    rename = rename or {}
    replace = replace or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if any(re.fullmatch(pattern, info.filename) for pattern in drop):
                continue
            data = replace.get(info.filename, old.read(info.filename))
            new.writestr(rename.get(info.filename, info.filename), data)
    return target


# ---- export ------------------------------------------------------------------------------------


def test_export_validates_against_the_schema(project: RefiProject, tmp_path: Path) -> None:
    path = export_qdpx(project, tmp_path / "study.qdpx")
    xml = _project_xml(path)
    assert validate_project_xml(xml) == []
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
    guids = sorted(transcript_guid(t) for t in project.transcripts)
    assert names == sorted(["project.qde"] + [f"Sources/{guid}.txt" for guid in guids])
    root = etree.fromstring(xml)
    paths = [s.get("plainTextPath") for s in root.iterfind(".//q:TextSource", NS)]
    assert sorted(paths) == [f"internal://{guid}.txt" for guid in guids]
    # Hierarchy, colours and descriptions as the tools read them.
    top = root.find("q:CodeBook/q:Codes", NS)
    belonging = top.find("q:Code[@name='Belonging']", NS)
    assert belonging.get("color") == "#46AA00"
    assert belonging.get("isCodable") == "true"
    assert belonging.findtext("q:Description", namespaces=NS) == "Feeling part of a place"
    assert [c.get("name") for c in belonging.iterfind("q:Code", NS)] == [
        "Isolation",
        "Community support",
    ]


def test_export_writes_exact_character_offsets(project: RefiProject, tmp_path: Path) -> None:
    path = export_qdpx(project, tmp_path / "study.qdpx")
    root = etree.fromstring(_project_xml(path))
    with zipfile.ZipFile(path) as archive:
        for source in root.iterfind(".//q:TextSource", NS):
            text = archive.read(f"Sources/{source.get('guid')}.txt").decode("utf-8")
            transcript = next(t for t in project.transcripts if t.id == source.get("name"))
            assert text == transcript.text
            for selection in source.iterfind("q:PlainTextSelection", NS):
                start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
                assert " ".join(text[start:end].split()).startswith(selection.get("name")[:20])


def test_model_codings_get_their_own_user(project: RefiProject, tmp_path: Path) -> None:
    root = etree.fromstring(_project_xml(export_qdpx(project, tmp_path / "study.qdpx")))
    users = {u.get("name"): u.get("guid") for u in root.iterfind("q:Users/q:User", NS)}
    assert set(users) == {"alice", "bob", "autocode model seed-themes 0.1"}
    model_guid = users["autocode model seed-themes 0.1"]
    model_selections = [
        s
        for s in root.iterfind(".//q:PlainTextSelection", NS)
        if s.get("creatingUser") == model_guid
    ]
    assert len(model_selections) == 2
    descriptions = sorted(s.findtext("q:Description", namespaces=NS) for s in model_selections)
    assert descriptions[0] == f"autocode {MODEL}; confidence=0.51; unit=2"
    assert all(s.find("q:Coding", NS).get("creatingUser") == model_guid for s in model_selections)


def test_user_names_and_coders_map_both_ways() -> None:
    assert user_display_name(MODEL) == "autocode model seed-themes 0.1"
    assert coder_from_user_name("autocode model seed-themes 0.1") == MODEL
    assert user_display_name("human:Ana María") == "Ana María"
    assert coder_from_user_name("Ana María") == "human:Ana María"
    assert coder_from_user_name(user_display_name("model:nb")) == "model:nb"


def test_exporting_twice_gives_identical_bytes(project: RefiProject, tmp_path: Path) -> None:
    first = export_qdpx(project, tmp_path / "a.qdpx")
    second = export_qdpx(project, tmp_path / "b.qdpx")
    assert _project_xml(first) == _project_xml(second)
    assert first.read_bytes() == second.read_bytes()


def test_guids_are_stable_and_keep_imported_ones(project: RefiProject) -> None:
    guid = "5067d381-1dc9-4816-81dd-ae1dbfea2ad7"
    assert code_guid(guid) == guid
    assert code_guid("isolation") == code_guid("isolation") != code_guid("support")
    transcript = project.transcripts[0]
    changed = Transcript(id=transcript.id, text=transcript.text + "more")
    assert transcript_guid(transcript) != transcript_guid(changed)
    kept = Transcript(id="x", text="y", metadata={"refi_guid": guid})
    assert transcript_guid(kept) == guid


# ---- round trips -------------------------------------------------------------------------------


def test_round_trip_gives_back_the_project(project: RefiProject, tmp_path: Path) -> None:
    project.uncodable_code_ids = {"belonging"}
    path = export_qdpx(project, tmp_path / "study.qdpx")
    assert b'name="Belonging" isCodable="false"' in _project_xml(path)
    back = import_qdpx(path)
    assert back.uncodable_code_ids == {"belonging"}
    assert [(t.id, t.text) for t in back.transcripts] == [
        (t.id, t.text) for t in project.transcripts
    ]
    assert back.codebook == project.codebook
    assert _coding_facts(back.codings) == _coding_facts(project.codings)
    dated = [c for c in back.codings if c.created_at]
    assert [c.created_at for c in dated] == ["2024-03-01T10:00:00Z"]
    assert back.users[MODEL] == "autocode model seed-themes 0.1"
    assert back.users["human:alice"] == "alice"
    assert [(n.name, n.text, n.description) for n in back.notes] == [
        ("Memo", "Check P01 again.", "todo")
    ]
    assert back.warnings == []


@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("utf16", [False, True])
def test_offset_conventions_round_trip(
    project: RefiProject, tmp_path: Path, crlf: bool, utf16: bool
) -> None:
    path = export_qdpx(project, tmp_path / "study.qdpx", crlf_offsets=crlf, utf16_offsets=utf16)
    root = etree.fromstring(_project_xml(path))
    with zipfile.ZipFile(path) as archive:
        for source in root.iterfind(".//q:TextSource", NS):
            stored = archive.read(f"Sources/{source.get('guid')}.txt").decode("utf-8")
            assert ("\r\n" in stored) == crlf
            units = stored.encode("utf-16-le") if utf16 else stored
            width = 2 if utf16 else 1
            for selection in source.iterfind("q:PlainTextSelection", NS):
                start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
                chunk = units[start * width : end * width]
                selected = chunk.decode("utf-16-le") if utf16 else chunk
                assert " ".join(selected.split()).startswith(selection.get("name")[:15])
    explicit = import_qdpx(path, crlf_offsets=crlf, utf16_offsets=utf16)
    assert _coding_facts(explicit.codings) == _coding_facts(project.codings)


def test_offset_convention_is_detected_without_autocode_metadata(
    project: RefiProject, tmp_path: Path
) -> None:
    """A tool re-exporting our file drops our metadata note: positions must still land."""
    path = export_qdpx(project, tmp_path / "study.qdpx", crlf_offsets=True, utf16_offsets=True)
    root = etree.fromstring(_project_xml(path))
    notes = root.find("q:Notes", NS)
    for note in notes.findall("q:Note", NS):
        if note.get("name") == "autocode metadata":
            notes.remove(note)
    stripped = _rezip(
        path, tmp_path / "stripped.qdpx", replace={"project.qde": etree.tostring(root)}
    )
    back = import_qdpx(stripped)
    assert _coding_facts(back.codings) == Counter(
        (c.transcript_id, c.start, c.end, code_guid(c.code_id), c.coder, c.confidence, c.unit_index)
        for c in project.codings
    )
    assert back.transcripts[0].metadata["refi_offsets"] == {"crlf": True, "utf16": True}
    # Forcing the wrong convention moves the spans.
    wrong = import_qdpx(stripped, crlf_offsets=False, utf16_offsets=False)
    assert _coding_facts(wrong.codings) != _coding_facts(back.codings)


def test_metadata_note_offsets_are_trusted_only_in_autocode_files(
    project: RefiProject, tmp_path: Path
) -> None:
    """A tool that re-exports our file keeps the note but counts positions its own way."""
    path = export_qdpx(project, tmp_path / "study.qdpx", crlf_offsets=True, utf16_offsets=True)
    xml = _project_xml(path)
    stale = xml.replace(b'"crlf": true', b'"crlf": false').replace(
        b'"utf16": true', b'"utf16": false'
    )
    assert stale != xml
    reexported = stale.replace(b'origin="autocode ', b'origin="NVivo for Windows 12.6 was ')
    tool_file = _rezip(path, tmp_path / "tool.qdpx", replace={"project.qde": reexported})
    assert _coding_facts(import_qdpx(tool_file).codings) == _coding_facts(project.codings)
    ours = _rezip(path, tmp_path / "ours.qdpx", replace={"project.qde": stale})
    assert _coding_facts(import_qdpx(ours).codings) != _coding_facts(project.codings)


def test_codebook_round_trip(project: RefiProject, tmp_path: Path) -> None:
    path = export_qdc(project.codebook, tmp_path / "codes.qdc")
    assert validate_codebook_xml(path.read_bytes()) == []
    back = import_qdc(path)
    by_guid = {code_guid(code.id): code for code in project.codebook.codes}
    assert [code.id for code in back.codes] == list(by_guid)
    for code in back.codes:
        original = by_guid[code.id]
        assert (code.name, code.definition, code.color) == (
            original.name,
            original.definition,
            original.color,
        )
        expected_parent = None if original.parent_id is None else code_guid(original.parent_id)
        assert code.parent_id == expected_parent


def test_position_map_inverts_and_snaps() -> None:
    text = "a😔b\ncd\n\ne"
    for model in (PositionModel(), PositionModel(crlf=True), PositionModel(True, True)):
        mapping = PositionMap(text, model)
        for offset in range(len(text) + 1):
            position = mapping.position(offset)
            assert mapping.offset(position, is_end=False) == offset
            assert mapping.offset(position, is_end=True) == offset
    mapping = PositionMap(text, PositionModel(crlf=True, utf16=True))
    assert mapping.length == len(text) + 1 + 3
    # Position 2 falls between the two UTF-16 halves of the emoji.
    assert mapping.offset(2, is_end=False) == 1
    assert mapping.offset(2, is_end=True) == 2
    # Position 5 falls between CR and LF of the first line break.
    assert mapping.offset(5, is_end=False) == 3
    assert mapping.offset(5, is_end=True) == 4


# ---- archive quirks ----------------------------------------------------------------------------


def test_archive_quirks_capitalised_qde_lowercase_sources_and_folder(
    project: RefiProject, tmp_path: Path
) -> None:
    path = export_qdpx(project, tmp_path / "study.qdpx")
    with zipfile.ZipFile(path) as archive:
        rename = {
            name: "wrapped/"
            + name.replace("project.qde", "Project.qde").replace("Sources/", "sources/")
            for name in archive.namelist()
        }
    quirky = _rezip(path, tmp_path / "quirky.qdpx", rename=rename)
    with zipfile.ZipFile(quirky, "a") as archive:
        archive.writestr("wrapped/sources/.root", b"")
    back = import_qdpx(quirky)
    assert _coding_facts(back.codings) == _coding_facts(project.codings)


def test_bare_qde_reads_sources_beside_it(project: RefiProject, tmp_path: Path) -> None:
    path = export_qdpx(project, tmp_path / "study.qdpx")
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    back = import_qdpx(folder / "project.qde")
    assert _coding_facts(back.codings) == _coding_facts(project.codings)
    shutil.rmtree(folder / "Sources")
    with pytest.raises(InputError, match=r"2 of 2 text sources are missing: Sources/"):
        import_qdpx(folder / "project.qde")


def _docx_bytes(paragraphs: list[str], table: list[list[str]]) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for row, values in zip(grid.rows, table, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_only_source_is_read_with_python_docx(tmp_path: Path) -> None:
    guid = "11111111-2222-4333-8444-555555555555"
    code = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    user = "99999999-8888-4777-8666-555555555555"
    data = _docx_bytes(["Interview with Ana", "She said: it was hard."], [["Q1", "Why?"]])
    # Positions count the text as NVivo's .txt has it: one line per paragraph and table cell.
    text = "Interview with Ana\nShe said: it was hard.\nQ1\nWhy?"
    start = text.index("it was hard")
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="docx only" origin="NVivo for Windows 12.6">
  <Users><User guid="{user}" name="Ana"/></Users>
  <CodeBook><Codes><Code guid="{code}" name="Hardship" isCodable="true"/></Codes></CodeBook>
  <Sources>
    <TextSource guid="{guid}" name="ana" richTextPath="internal://{guid}.docx"
                plainTextPath="internal://{guid}.txt">
      <PlainTextSelection guid="{code[:-1]}1" startPosition="{start}" endPosition="{start + 11}">
        <Coding guid="{code[:-1]}2" creatingUser="{user}"><CodeRef targetGUID="{code}"/></Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>""".encode()
    path = tmp_path / "docx.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", xml)
        archive.writestr(f"Sources/{guid}.docx", data)
    back = import_qdpx(path)
    assert back.transcripts[0].text == text
    coding = back.codings[0]
    assert back.transcripts[0].text[coding.start : coding.end] == "it was hard"
    assert coding.coder == "human:Ana"
    assert any(".docx" in warning for warning in back.warnings)


def test_pdf_text_whole_source_codings_and_dropped_parts(tmp_path: Path) -> None:
    code = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    guid = "1111111{}-2222-4333-8444-555555555555".format
    xml = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="mixed">
  <CodeBook><Codes><Code guid="{code}" name="Topic" isCodable="true"/></Codes></CodeBook>
  <Sources>
    <TextSource guid="{guid(1)}" name="same">
      <PlainTextContent>Inline text, coded whole.</PlainTextContent>
      <PlainTextSelection guid="{guid(2)}" startPosition="0" endPosition="6">
        <Description>a quotation without a code</Description>
      </PlainTextSelection>
      <Coding guid="{guid(3)}" creatingUser="{guid(9)}"><CodeRef targetGUID="{code}"/></Coding>
    </TextSource>
    <PictureSource guid="{guid(4)}" name="photo.jpg" path="internal://{guid(4)}.jpg"/>
    <PDFSource guid="{guid(5)}" name="same" path="internal://{guid(5)}.pdf">
      <Representation guid="{guid(6)}" plainTextPath="internal://{guid(6)}.txt">
        <PlainTextSelection guid="{guid(7)}" startPosition="10" endPosition="15">
          <Coding guid="{guid(8)}"><CodeRef targetGUID="{code}"/></Coding>
        </PlainTextSelection>
      </Representation>
    </PDFSource>
  </Sources>
  <Sets><Set guid="{guid(0)}" name="group"/></Sets>
</Project>""".encode()
    path = tmp_path / "mixed.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", xml)
        archive.writestr(f"Sources/{guid(6)}.txt", "Page one: granola recipe")
    project = import_qdpx(path)
    assert [t.id for t in project.transcripts] == ["same", "same (2)"]
    whole, pdf = project.codings
    assert (whole.start, whole.end, whole.coder) == (0, 25, "human:unknown")
    assert project.transcripts[1].text[pdf.start : pdf.end] == "grano"
    warnings = " | ".join(project.warnings)
    assert "dropped 1 selections without a code" in warnings
    assert "dropped 1 PictureSource" in warnings
    assert "Sets" in warnings


def test_schemas_are_bundled_with_the_package(testdata: Path) -> None:
    bundled = resources.files("autocode") / "data" / "refi"
    for name in ("Project-mrt2019.xsd", "Codebook.xsd"):
        shared = testdata / "refi_qda" / "schema" / name
        assert (bundled / name).read_bytes() == shared.read_bytes()


# ---- bad input ---------------------------------------------------------------------------------


def _one_line_error(path: Path, pattern: str, **options) -> InputError:
    with pytest.raises(InputError, match=pattern) as caught:
        import_qdpx(path, **options)
    assert "\n" not in str(caught.value)
    assert str(path) in str(caught.value)
    return caught.value


def test_not_a_zip_nor_xml(tmp_path: Path) -> None:
    path = tmp_path / "broken.qdpx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    _one_line_error(path, "damaged zip archive")
    path.write_bytes(b"%PDF-1.4 not a project")
    _one_line_error(path, "neither a zip archive")


def test_zip_without_project_qde(tmp_path: Path) -> None:
    path = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Sources/a.txt", "hello")
    _one_line_error(path, r"no project\.qde inside .* Sources/a\.txt")


def test_malformed_xml(tmp_path: Path) -> None:
    path = tmp_path / "bad.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", '<Project xmlns="urn:QDA-XML:project:1.0" name="x">')
    _one_line_error(path, "malformed XML")
    bare = tmp_path / "bad.qde"
    bare.write_text("<Project name='x'><Users></Project>")
    _one_line_error(bare, "malformed XML")


def test_xml_failing_the_schema(project: RefiProject, tmp_path: Path) -> None:
    path = export_qdpx(project, tmp_path / "study.qdpx")
    broken = _project_xml(path).replace(b'isCodable="true"', b"", 1)
    bad = _rezip(path, tmp_path / "bad.qdpx", replace={"project.qde": broken})
    _one_line_error(
        bad, r"Project-mrt2019\.xsd: line \d+: Element 'Code': The attribute 'isCodable'"
    )
    assert len(import_qdpx(bad, strict=False).codebook.codes) == 4
    codebook = tmp_path / "wrong.qdc"
    codebook.write_bytes(b'<CodeBook xmlns="urn:QDA-XML:project:1.0"><Codes/></CodeBook>')
    with pytest.raises(
        InputError, match="root element is CodeBook \\(namespace urn:QDA-XML:project"
    ):
        import_qdc(codebook)


def test_offsets_past_the_end_of_the_text(project: RefiProject, tmp_path: Path) -> None:
    path = export_qdpx(project, tmp_path / "study.qdpx")
    xml = re.sub(rb'endPosition="\d+"', b'endPosition="99999"', _project_xml(path), count=1)
    bad = _rezip(path, tmp_path / "bad.qdpx", replace={"project.qde": xml})
    _one_line_error(bad, r"ends at 99999, past the end of the text")


def test_dangling_source_and_code_references(project: RefiProject, tmp_path: Path) -> None:
    path = export_qdpx(project, tmp_path / "study.qdpx")
    missing = _rezip(path, tmp_path / "missing.qdpx", drop=[r"Sources/.*"])
    _one_line_error(missing, r"2 of 2 text sources are missing: Sources/.*allow_missing_sources")
    partial = import_qdpx(missing, allow_missing_sources=True)
    assert partial.transcripts == [] and partial.codings == []
    assert partial.codebook == project.codebook
    xml = _project_xml(path).replace(
        f'targetGUID="{code_guid("support")}"'.encode(),
        b'targetGUID="00000000-0000-4000-8000-000000000000"',
    )
    dangling = _rezip(path, tmp_path / "dangling.qdpx", replace={"project.qde": xml})
    _one_line_error(dangling, r"refers to code 00000000-0000-4000-8000-000000000000")
    lenient = import_qdpx(dangling, strict=False)
    assert len(lenient.codings) == len(project.codings) - 2


def test_export_keeps_xml_valid_with_control_characters(
    project: RefiProject, tmp_path: Path
) -> None:
    project.codebook.codes[0] = replace(project.codebook.codes[0], name="Belonging\x01")
    focus = project.transcripts[1]
    project.transcripts[1] = Transcript(id=focus.id, text=focus.text.replace("I felt", "I\x08felt"))
    path = export_qdpx(project, tmp_path / "study.qdpx")
    assert validate_project_xml(_project_xml(path)) == []
    back = import_qdpx(path)
    assert back.codebook.codes[0].name == "Belonging"
    assert back.transcripts[1].text == project.transcripts[1].text  # the .txt keeps every char


def test_export_refuses_inconsistent_codings(project: RefiProject, tmp_path: Path) -> None:
    project.codings.append(Coding("P01 interview", 0, 5, "no-such-code", "human:alice"))
    with pytest.raises(ValueError, match="no-such-code"):
        export_qdpx(project, tmp_path / "study.qdpx")
    project.codings.pop()
    project.transcripts.append(project.transcripts[0])
    with pytest.raises(ValueError, match="transcript ids must be unique"):
        export_qdpx(project, tmp_path / "study.qdpx")
    cycle = Codebook("c", [Code("a", "A", parent_id="b"), Code("b", "B", parent_id="a")])
    with pytest.raises(ValueError, match="cycle"):
        export_qdc(cycle, tmp_path / "cycle.qdc")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# ---- the real files in ../shared/testdata --------------------------------------------------------

PROJECTS = "refi_qda/projects"
EXPECTED_PROJECTS = {
    # file: (codes, text sources, codings, users)
    "atlasti23_blank-atlas-project.qdpx": (0, 0, 0, 2),
    "atlasti23_target-atlas-project.qdpx": (3, 0, 0, 2),
    "nvivo12win_vaccine-skepticism_hu.qdpx": (152, 2, 303, 2),
    "nvivo15mac_codebook-only.qdpx": (262, 2, 0, 2),
    "qc132_cs-education-demo.qdpx": (262, 2, 205, 1),
}
MISSING_SOURCES = [
    "atlasti84mac_refi-standard-project.qde",
    "atlasti84mac_refi-standard-project_no-sources.qdpx",
]


@pytest.mark.parametrize("name", sorted(EXPECTED_PROJECTS))
def test_testdata_project_imports(testdata: Path, name: str) -> None:
    project = import_qdpx(testdata / PROJECTS / name)
    counts = (len(project.codebook.codes), len(project.transcripts), len(project.codings))
    assert (*counts, len(project.users)) == EXPECTED_PROJECTS[name]
    texts = {t.id: t.text for t in project.transcripts}
    assert all(0 <= c.start <= c.end <= len(texts[c.transcript_id]) for c in project.codings)
    assert all(c.coder.startswith("human:") and c.coder != "human:unknown" for c in project.codings)


@pytest.mark.parametrize("name", MISSING_SOURCES)
def test_testdata_project_without_sources_names_them(testdata: Path, name: str) -> None:
    path = testdata / PROJECTS / name
    error = _one_line_error(path, r"8 of 8 text sources are missing: Sources/01106019-2518")
    assert "1960s Coca Cola commercial - Audio.docx" in str(error)
    project = import_qdpx(path, allow_missing_sources=True)
    assert len(project.codebook.codes) == 14
    assert project.transcripts == [] and project.codings == []
    assert [note.name for note in project.notes] == ["Research Plan", "My favorite Coke ad"]
    diet = next(code for code in project.codebook.codes if code.name == "Coke::diet Coke")
    assert (diet.color, diet.definition) == ("#966450", "non sucré")
    assert any("PictureSource" in warning for warning in project.warnings)


def test_testdata_codebooks(testdata: Path) -> None:
    requal = import_qdc(testdata / "refi_qda/codebooks/atlasti23_requal-test-codebook.qdc")
    assert [(c.id, c.name, c.color, c.definition) for c in requal.codes] == [
        ("1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294", "code1", "#46AA00", "description")
    ]
    taguette = testdata / "refi_qda/codebooks/taguette141_uto-tag-codebook.qdc"
    with pytest.raises(InputError, match=r"Codebook\.xsd: line 2: Element 'Sets': Missing child"):
        import_qdc(taguette)
    assert [c.name for c in import_qdc(taguette, strict=False).codes] == [
        "xsd:element name",
        "CodeBook",
        "Variables",
    ]


def test_testdata_files_validate_as_the_readme_says(testdata: Path) -> None:
    for path in sorted((testdata / PROJECTS).iterdir()):
        if path.suffix == ".qdpx":
            with zipfile.ZipFile(path) as archive:
                member = next(n for n in archive.namelist() if n.lower().endswith(".qde"))
                xml = archive.read(member)
        else:
            xml = path.read_bytes()
        assert validate_project_xml(xml) == [], path.name
    taguette = testdata / "refi_qda/codebooks/taguette141_uto-tag-codebook.qdc"
    assert validate_codebook_xml(taguette.read_bytes())


def test_testdata_hierarchy_is_kept(testdata: Path) -> None:
    project = import_qdpx(testdata / PROJECTS / "atlasti23_target-atlas-project.qdpx")
    parents = {code.name: code.parent_id for code in project.codebook.codes}
    commits = project.codebook.codes[0]
    assert commits.name == "Commits" and commits.parent_id is None
    assert sorted(parents.values(), key=str) == [commits.id, commits.id, None]
    hungarian = import_qdpx(testdata / PROJECTS / "nvivo12win_vaccine-skepticism_hu.qdpx")
    codes = {code.id: code for code in hungarian.codebook.codes}
    kockazat = next(c for c in codes.values() if c.name == "kevés kockázat, bagatellizálás")
    assert codes[kockazat.parent_id].name == "Betegség kockázatai"
    assert codes[codes[kockazat.parent_id].parent_id].name.startswith("HBM 2.")


def test_nvivo_windows_counts_utf16_units_and_crlf_as_two(testdata: Path) -> None:
    """NVivo 12's .txt has CRLF and emoji; its positions count both as two characters."""
    project = import_qdpx(testdata / PROJECTS / "nvivo12win_vaccine-skepticism_hu.qdpx")
    assert {str(t.metadata["refi_offsets"]) for t in project.transcripts} == {
        "{'crlf': True, 'utf16': True}"
    }
    texts = {t.id: t.text for t in project.transcripts}
    aligned = sum(
        word_boundary(texts[c.transcript_id], c.start)
        and word_boundary(texts[c.transcript_id], c.end)
        for c in project.codings
    )
    assert aligned >= 300  # of 303; the other 3 start or end one letter into a word by hand
    first = project.codings[0]
    assert texts[first.transcript_id][first.start : first.end].startswith(
        "Senkit nem lehet kötelezni oltásra"
    )
    assert texts[first.transcript_id][first.start : first.end].endswith("nem élhet.")
    # Code points alone (or CRLF as one) would cut most selections mid-word.
    naive = import_qdpx(
        testdata / PROJECTS / "nvivo12win_vaccine-skepticism_hu.qdpx",
        crlf_offsets=True,
        utf16_offsets=False,
    )
    naive_aligned = sum(
        word_boundary(texts[c.transcript_id], c.start)
        and word_boundary(texts[c.transcript_id], c.end)
        for c in naive.codings
    )
    assert naive_aligned < 100


def test_qc_selections_land_on_the_lines_they_name(testdata: Path) -> None:
    path = testdata / PROJECTS / "qc132_cs-education-demo.qdpx"
    project = import_qdpx(path)
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("project.qde"))
    texts = {t.metadata["refi_guid"]: t.text for t in project.transcripts}
    checked = 0
    for source in root.iterfind(".//q:TextSource", NS):
        lines = texts[source.get("guid")].split("\n")
        for selection in source.iterfind("q:PlainTextSelection", NS):
            line = int(selection.get("name").split(":")[1])
            start = int(selection.get("startPosition"))
            assert sum(len(x) + 1 for x in lines[:line]) == start
            checked += 1
    assert checked == 158
    assert all(
        t.metadata["refi_offsets"] == {"crlf": False, "utf16": False} for t in project.transcripts
    )


@pytest.mark.slow
def test_nvivo_docx_gives_the_same_text_as_its_txt(testdata: Path, tmp_path: Path) -> None:
    """NVivo ships both; without the .txt, python-docx text must put codings in the same place."""
    path = testdata / PROJECTS / "nvivo12win_vaccine-skepticism_hu.qdpx"
    docx_only = _rezip(path, tmp_path / "docx-only.qdpx", drop=[r"Sources/.*\.txt"])
    from_docx = import_qdpx(docx_only)
    from_txt = import_qdpx(path)
    assert [t.text for t in from_docx.transcripts] == [t.text for t in from_txt.transcripts]
    assert _coding_facts(from_docx.codings) == _coding_facts(from_txt.codings)


def test_imported_nvivo_project_round_trips(testdata: Path, tmp_path: Path) -> None:
    original = import_qdpx(testdata / PROJECTS / "nvivo12win_vaccine-skepticism_hu.qdpx")
    path = export_qdpx(original, tmp_path / "again.qdpx", crlf_offsets=True, utf16_offsets=True)
    assert validate_project_xml(_project_xml(path)) == []
    back = import_qdpx(path)
    assert back.codebook == original.codebook
    assert back.user_guids == original.user_guids
    assert [t.metadata["refi_guid"] for t in back.transcripts] == [
        t.metadata["refi_guid"] for t in original.transcripts
    ]
    assert _coding_facts(back.codings) == _coding_facts(original.codings)
