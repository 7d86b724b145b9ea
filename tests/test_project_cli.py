"""`autocode import` / `autocode export` / `train --project` / `evaluate --project` end to end.

Synthetic REFI projects and coded CSVs for the exact checks; the qc demo, the NVivo Hungarian
project, the exam-proctoring CSVs and bopp_test.csv from ../shared/testdata for real files.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autocode.cli import app
from autocode.io.refi import RefiProject, export_qdpx, validate_project_xml
from autocode.models import load_model
from autocode.store import Project
from autocode.types import Code, Codebook, Coding, Transcript, Unit

MODEL = "model:belonging@0.1.0+abcdef12"
REFI = "refi_qda/projects"


def run(*args: str | Path, code: int = 0) -> str:
    """Run `autocode ARGS`; check the exit code; return stdout (errors: stderr)."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result.stdout if code == 0 else result.stderr


def _coding(transcript: Transcript, phrase: str, code_id: str, coder: str, **extra) -> Coding:
    start = transcript.text.index(phrase)
    return Coding(transcript.id, start, start + len(phrase), code_id, coder, **extra)


@pytest.fixture
def study() -> RefiProject:
    """Two transcripts, a hierarchical codebook, two human coders and a model."""
    first = Transcript(
        "P01",
        "Interviewer: How was the first winter?\nP01: Lonely 😔 at first, but the neighbours "
        "helped.\r\nP01: Café owners knew my name within a month.".replace("\r\n", "\n"),
        metadata={"source": "p01.txt", "format": "txt"},
    )
    second = Transcript("P02", "P02: I felt isolated for a year.\n\nP02: Work kept me busy.")
    codebook = Codebook(
        "Belonging",
        [
            Code("belonging", "Belonging", "Feeling part of a place"),
            Code("isolation", "Isolation", parent_id="belonging"),
            Code("support", "Community support", parent_id="belonging"),
            Code("work", "Work"),
        ],
    )
    codings = [
        _coding(first, "Lonely 😔 at first", "isolation", "human:alice"),
        _coding(first, "the neighbours helped", "support", "human:alice"),
        _coding(first, "the neighbours helped", "support", "human:bob"),
        _coding(first, "Café owners knew my name", "belonging", MODEL, confidence=0.71),
        _coding(second, "I felt isolated for a year", "isolation", "human:alice"),
        _coding(second, "Work kept me busy", "work", "human:alice"),
    ]
    return RefiProject("Moving study", [first, second], codebook, codings)


def _facts(project: Project) -> tuple:
    """Everything a round trip must keep: texts, codes, and codings with their coders."""
    codebook = project.codebook(project.codebooks()[0])
    return (
        {t.id: t.text for t in project.transcripts()},
        [(c.id, c.name, c.definition, c.parent_id) for c in codebook.codes],
        Counter((c.transcript_id, c.start, c.end, c.code_id, c.coder) for c in project.codings()),
    )


def _snapshot(project_dir: Path) -> tuple:
    with Project.open(project_dir) as project:
        return _facts(project), len(project.runs())


# ---- import / export of REFI-QDA projects ------------------------------------------------------


@pytest.mark.parametrize("crlf", [False, True])
def test_export_then_import_gives_the_same_project(
    study: RefiProject, tmp_path: Path, crlf: bool
) -> None:
    source = export_qdpx(study, tmp_path / "study.qdpx")
    said = run("import", source, "--project", tmp_path / "a")
    assert "created project" in said and "2 added" in said
    assert "4 codes (4 new); 6 codings (human:alice 4, human:bob 1, model:belonging" in said
    out = tmp_path / "out.qdpx"
    extra = ["--crlf-offsets"] if crlf else []
    said = run("export", "--project", tmp_path / "a", out, *extra)
    assert "2 transcripts, 4 codes, 6 codings" in said
    with zipfile.ZipFile(out) as archive:
        xml = archive.read("project.qde")
    assert validate_project_xml(xml) == []
    assert b'name="autocode model belonging 0.1.0+abcdef12"' in xml  # the model's own user
    run("import", out, "--project", tmp_path / "b")
    with Project.open(tmp_path / "a") as a, Project.open(tmp_path / "b") as b:
        assert _facts(a) == _facts(b)
        assert _facts(b)[0]["P01"].count("😔") == 1


def test_export_keeps_only_the_chosen_coders(study: RefiProject, tmp_path: Path) -> None:
    run("import", export_qdpx(study, tmp_path / "s.qdpx"), "--project", tmp_path / "p")
    out = tmp_path / "humans.qdpx"
    said = run("export", "--project", tmp_path / "p", out, "--coder", "human:alice")
    assert "4 codings; users alice (human:alice)" in said
    run("export", "--project", tmp_path / "p", out, "--coder", "human:", "--coder", "model:")
    run("import", out, "--project", tmp_path / "q")
    with Project.open(tmp_path / "q") as project:
        assert Counter(c.coder for c in project.codings()) == {
            "human:alice": 4,
            "human:bob": 1,
            MODEL: 1,
        }


def test_importing_again_replaces_instead_of_doubling(study: RefiProject, tmp_path: Path) -> None:
    source = export_qdpx(study, tmp_path / "s.qdpx")
    run("import", source, "--project", tmp_path / "p")
    before = _snapshot(tmp_path / "p")[0]
    said = run("import", source, "--project", tmp_path / "p")
    assert "updated project" in said and "replacing 6 earlier" in said
    assert _snapshot(tmp_path / "p")[0] == before


def test_codebook_files_in_and_out(study: RefiProject, tmp_path: Path) -> None:
    run("import", export_qdpx(study, tmp_path / "s.qdpx"), "--project", tmp_path / "p")
    qdc = tmp_path / "book.qdc"
    assert "4 codes" in run("export", "--project", tmp_path / "p", qdc)
    said = run("import", qdc, "--project", tmp_path / "fresh", "--codebook", "Belonging")
    assert "codebook 'Belonging' with 4 codes (4 new)" in said
    with Project.open(tmp_path / "fresh") as fresh, Project.open(tmp_path / "p") as full:
        # A .qdc carries REFI GUIDs only, so the codes come back under their GUIDs.
        assert _tree(fresh.codebook("Belonging")) == _tree(full.codebook("Belonging"))
        assert fresh.transcript_ids() == []


def _tree(codebook: Codebook) -> list[tuple[str, str, str | None]]:
    names = {code.id: code.name for code in codebook.codes}
    return [(c.name, c.definition, names.get(c.parent_id or "")) for c in codebook.codes]


def _rezip(source: Path, target: Path, *, drop: str = "", replace: bytes | None = None) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if drop and re.fullmatch(drop, info.filename):
                continue
            data = old.read(info.filename)
            if replace is not None and info.filename == "project.qde":
                data = replace
            new.writestr(info.filename, data)
    return target


def _bad_files(study: RefiProject, tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good = export_qdpx(study, tmp_path / "good.qdpx")
    with zipfile.ZipFile(good) as archive:
        xml = archive.read("project.qde")
    not_zip = tmp_path / "not-a-zip.qdpx"
    not_zip.write_bytes(b"PK\x03\x04 not really a zip")
    taguette = tmp_path / "taguette.qdc"
    taguette.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0">'
        '<Codes><Code guid="0f4e6b8e-3c1b-4d6e-9b7a-2c3d4e5f6a7b" name="a" isCodable="true"/>'
        "</Codes><Sets/></CodeBook>"
    )
    malformed = tmp_path / "malformed.qde"
    malformed.write_text("<Project name='x'><Users></Project>")
    return {
        "not a zip": (not_zip, "damaged zip archive"),
        "malformed XML": (malformed, "malformed XML"),
        "schema": (taguette, r"Codebook\.xsd.*use --lenient"),
        "past the end": (
            _rezip(
                good,
                tmp_path / "past.qdpx",
                replace=re.sub(rb'endPosition="\d+"', b'endPosition="99999"', xml, count=1),
            ),
            "past the end of the text",
        ),
        "dangling sources": (
            _rezip(good, tmp_path / "missing.qdpx", drop=r"Sources/.*"),
            r"text sources are missing: .*use --allow-missing-sources",
        ),
        "unknown type": (tmp_path / "study.nvp", "cannot import this file type"),
    }


def test_bad_files_leave_no_project_behind(study: RefiProject, tmp_path: Path) -> None:
    (tmp_path / "study.nvp").write_bytes(b"nvivo")
    empty_folder = tmp_path / "empty"
    empty_folder.mkdir()
    for name, (path, message) in _bad_files(study, tmp_path).items():
        for target in (tmp_path / "new", empty_folder):
            error = run("import", path, "--project", target, code=2)
            assert re.search(message, error), (name, error)
            assert error.count("\n") == 1 and error.startswith("error: "), name
        assert not (tmp_path / "new").exists(), name
        assert list(empty_folder.iterdir()) == [], name


def test_bad_files_leave_a_project_untouched(study: RefiProject, tmp_path: Path) -> None:
    (tmp_path / "study.nvp").write_bytes(b"nvivo")
    project_dir = tmp_path / "p"
    run("import", export_qdpx(study, tmp_path / "s.qdpx"), "--project", project_dir)
    before = _snapshot(project_dir)
    for name, (path, message) in _bad_files(study, tmp_path).items():
        assert re.search(message, run("import", path, "--project", project_dir, code=2)), name
        assert _snapshot(project_dir) == before, name
    # A codebook that conflicts with the stored one fails as a whole, at the store.
    changed = RefiProject(
        "x",
        study.transcripts,
        Codebook("Belonging", [Code("other", "Other")]),
        [_coding(study.transcripts[1], "Work kept", "other", "human:carol")],
    )
    error = run(
        "import", export_qdpx(changed, tmp_path / "c.qdpx"), "--project", project_dir, code=2
    )
    assert "already stored with other codes" in error and "--replace-codebook" in error
    assert _snapshot(project_dir) == before


# ---- coded CSVs ---------------------------------------------------------------------------------


def test_coded_csv_in_windows_1252_with_hierarchical_codes(tmp_path: Path) -> None:
    table = tmp_path / "answers.csv"
    table.write_bytes(
        (
            "id,answer,codes\r\n"
            "r1,The café was my second home.,place; place->café\r\n"
            'r2,"Nobody called, nobody wrote.",isolation\r\n'
            "r3,I don't know.,\r\n"
            "r4,Work. Only work.,work;work ; work\r\n"
        ).encode("cp1252")
    )
    said = run(
        "import", table, "--project", tmp_path / "p", "--codes-column", "codes",
        "--text-column", "answer", "--coder", "human:ann", "--hierarchy-separator", "->",
    )  # fmt: skip
    assert "4 responses in column 'answer', 3 of them with a code" in said
    assert "4 codings (human:ann 4); 4 units" in said
    with Project.open(tmp_path / "p") as project:
        transcript = project.get_transcript("answers")
        units = project.units("answers")
        assert [u.speaker for u in units] == ["r1", "r2", "r3", "r4"]
        assert units[0].text == "The café was my second home."
        codebook = project.codebook("answers")
        assert [(c.id, c.name, c.parent_id) for c in codebook.codes] == [
            ("place", "place", None),
            ("place->café", "café", "place"),
            ("isolation", "isolation", None),
            ("work", "work", None),
        ]
        coded = [(transcript.text[c.start : c.end], c.code_id) for c in project.codings()]
        assert coded == [
            ("The café was my second home.", "place"),
            ("The café was my second home.", "place->café"),
            ("Nobody called, nobody wrote.", "isolation"),
            ("Work. Only work.", "work"),
        ]
    error = run("import", table, "--project", tmp_path / "q", "--codes-column", "tags", code=2)
    assert "has no codes column 'tags'" in error and not (tmp_path / "q").exists()


def test_coded_csv_keeps_units_made_before(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("id,text,codes\nr1,First answer here.,a\nr2,Second one. It has two.,b\n")
    run("import", table, "--project", tmp_path / "p", "--codes-column", "codes")
    with Project.open(tmp_path / "p") as project:
        text = project.get_transcript("t").text
        start = text.index("It has")
        sentence = Unit("t", 0, "r2", start, len(text), text[start:])
        project.add_units("t", [sentence])  # as if a batch run had segmented it otherwise
    said = run("import", table, "--project", tmp_path / "p", "--codes-column", "codes",
               "--coder", "human:bob")  # fmt: skip
    assert said.splitlines()[-1].endswith("2 codings (human:bob 2)")  # no units stored
    with Project.open(tmp_path / "p") as project:
        assert project.units("t") == [sentence]
        indexes = {(c.coder, c.code_id): c.unit_index for c in project.codings()}
        assert indexes == {("human:t", "a"): 0, ("human:t", "b"): 1, ("human:bob", "a"): None,
                           ("human:bob", "b"): None}  # fmt: skip


def test_coded_xlsx_on_its_second_sheet(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["notes"])
    sheet = workbook.create_sheet("coded")
    sheet.append(["Respondent", "Why did you leave?", "Code 1", "Code 2"])
    sheet.append([101, "The rent doubled in a year.", "cost", None])
    sheet.append([102, "My team moved to Berlin.", "work", "family"])
    sheet.append([103, None, "cost", None])  # no answer: not a response
    table = tmp_path / "exit interviews.xlsx"
    workbook.save(table)

    said = run(
        "import", table, "--project", tmp_path / "p", "--sheet", "coded",
        "--id-column", "Respondent", "--codes-column", "Code *", "--coder", "human:kim",
    )  # fmt: skip
    assert "2 responses in column 'Why did you leave?', 2 of them with a code" in said
    with Project.open(tmp_path / "p") as project:
        transcript = project.get_transcript("exit interviews")
        assert [u.speaker for u in project.units("exit interviews")] == ["101", "102"]
        coded = [(transcript.text[c.start : c.end], c.code_id) for c in project.codings()]
    assert coded == [
        ("The rent doubled in a year.", "cost"),
        ("My team moved to Berlin.", "work"),
        ("My team moved to Berlin.", "family"),
    ]
    error = run("import", table, "--project", tmp_path / "q", "--sheet", "codes",
                "--codes-column", "Code *", code=2)  # fmt: skip
    assert "has no sheet 'codes' (sheets: Sheet, coded)" in error
    assert not (tmp_path / "q").exists()


def test_two_coders_of_the_exam_survey_share_one_transcript(testdata: Path, tmp_path: Path) -> None:
    folder = testdata / "coded/exam_proctoring_survey/irr_inputs"
    for role in ("primary", "secondary"):
        run(
            "import", folder / f"Yes_Only_Q11_{role}.csv", "--project", tmp_path / "p",
            "--codes-column", "Code *", "--coder", f"human:{role}", "--codebook", "exam",
            "--hierarchy-separator", "->", "--transcript-id", "Q11",
        )  # fmt: skip
    with Project.open(tmp_path / "p") as project:
        assert project.transcript_ids() == ["Q11"]
        assert len(project.units("Q11")) == 26
        counts = Counter(c.coder for c in project.codings())
        assert counts == {"human:primary": 52, "human:secondary": 54}
        codes = project.codebook("exam")
        child = codes.get("could_not_use_camera->students_uncomfortable")
        assert child.parent_id == "could_not_use_camera"


# ---- real REFI-QDA projects ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "codes", "codings", "crlf"),
    [
        ("qc132_cs-education-demo.qdpx", 262, 205, False),
        ("nvivo12win_vaccine-skepticism_hu.qdpx", 152, 303, True),
    ],
)
def test_real_projects_import_export_and_import_again(
    testdata: Path, tmp_path: Path, name: str, codes: int, codings: int, crlf: bool
) -> None:
    said = run("import", testdata / REFI / name, "--project", tmp_path / "a")
    assert "2 added; codebook" in said and f"with {codes} codes" in said
    assert f"{codings} codings" in said
    out = tmp_path / "out.qdpx"
    offsets = ["--crlf-offsets", "--utf16-offsets"] if crlf else []
    run("export", "--project", tmp_path / "a", out, *offsets)
    with zipfile.ZipFile(out) as archive:
        assert validate_project_xml(archive.read("project.qde")) == []
    run("import", out, "--project", tmp_path / "b")
    with Project.open(tmp_path / "a") as a, Project.open(tmp_path / "b") as b:
        assert _facts(a) == _facts(b)
        assert sum(_facts(b)[2].values()) == codings


def test_games_as_art_answers_are_decoded_from_windows_1252(testdata: Path, tmp_path: Path) -> None:
    said = run(
        "import", testdata / "coded/games_as_art/bopp_test.csv", "--project", tmp_path / "p",
        "--text-column", "why_art", "--codes-column", "human_themes", "--coder", "human:llmcode",
    )  # fmt: skip
    # Only four answers carry themes in this file: the rest are answers without a theme.
    assert "174 responses in column 'why_art', 4 of them with a code" in said
    with Project.open(tmp_path / "p") as project:
        text = project.get_transcript("bopp_test").text
        assert "\ufffd" not in text and text.count("’") == 13
        assert Counter(c.code_id for c in project.codings())["Emotion/Feeling"] == 2


# ---- train and evaluate on the qc demo's human coding -----------------------------------------


@pytest.fixture(scope="module")
def qc_trained(testdata: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("qc")
    run("import", testdata / REFI / "qc132_cs-education-demo.qdpx", "--project", folder / "p")
    result = CliRunner().invoke(
        app,
        ["train", "--project", str(folder / "p"), "--out", str(folder / "model"), "--level", "top"],
    )
    assert result.exit_code == 0, (result.stderr, result.exception)
    return folder / "p", folder / "model", result.stderr


def test_train_on_top_level_codes_of_a_real_project(qc_trained: tuple[Path, Path, str]) -> None:
    project_dir, model_dir, said = qc_trained
    assert "segmented 1 transcripts" in said  # only board_2017 carries codings
    assert "3 codes from" in said and "rq1_definition" in said
    card = json.loads((model_dir / "model.json").read_text())
    assert [t["name"] for t in card["codebook"]["themes"]] == [
        "rq1_definition",
        "rq2_curriculum_and_instruction",
        "rq3_process",
    ]
    assert card["codebook"]["name"] == "qc project"
    data = card["training_data"]
    assert data["selection"]["level"] == "top" and data["selection"]["coder"] == "human:cp"
    assert data["n_units"] == card["training"]["n_examples"] > 100
    with Project.open(project_dir) as project:
        assert project.units("board_2017") and not project.units("admin-1")
    # Self-contained: the folder carries the coded units it shows as evidence.
    model = load_model(model_dir)
    assert model.excerpts_ and {e.source for e in model.excerpts_} == {"board_2017"}
    assert all(set(e.codes) <= set(model.theme_ids_) and e.codes for e in model.excerpts_)
    assert model.codebook_.name == "qc project"


def test_evaluate_a_model_against_the_human_coding(
    qc_trained: tuple[Path, Path, str], tmp_path: Path
) -> None:
    project_dir, model_dir, _ = qc_trained
    report = tmp_path / "eval.json"
    markdown = run(
        "evaluate", "--project", project_dir, "--model", model_dir, "--json", report,
        "--resamples", "200",
    )  # fmt: skip
    assert "| rq1_definition |" in markdown and "char κ" in markdown
    assert "used to train the model" in markdown
    document = json.loads(report.read_text())
    method = document["methods"][0]
    rows = {(r["label"], r["metric"]): r for r in method["unit_level"]}
    # Agreement on its own training transcript: well above chance, below perfect.
    assert 0.3 < rows[("macro", "kappa")]["estimate"] < 1.0
    assert rows[("macro", "kappa")]["lo"] <= rows[("macro", "kappa")]["estimate"]
    characters = method["character_level"]
    assert len(characters["per_source"]) == 3  # 3 codes x 1 coded source
    assert 0 < characters["per_code"]["macro"]["kappa"] < 1
    assert document["examples"]["selection"]["level"] == "top"  # taken from the model card


def test_project_errors_are_one_line(qc_trained: tuple[Path, Path, str], tmp_path: Path) -> None:
    project_dir = qc_trained[0]
    cases = [
        (["evaluate", "--project", project_dir], "either --model MODEL or --cross-validate"),
        (["train", "--project", project_dir, "--out", tmp_path / "m", "--coder", "human:nobody"],
         "no codings by human:nobody"),
        (["train", "--project", project_dir, "--out", tmp_path / "m", "--coder", "cp"],
         "a coder is human:NAME or model:NAME, not 'cp'"),
        (["train", "--project", project_dir, "--out", tmp_path / "m", "--level", "leaf"],
         "level must be one of ('coded', 'top')"),
        (["train", "--project", project_dir, "--out", tmp_path / "m", "--min-examples", "500"],
         "no code has 500 or more positive units"),
        (["train", "--project", project_dir, "--out", tmp_path / "m", "--codes", "nope"],
         "'nope' is not a code of this level"),
        (["export", "--project", tmp_path / "none", tmp_path / "x.qdpx"],
         "is not an autocode project"),
    ]  # fmt: skip
    for args, message in cases:
        error = run(*args, code=2).splitlines()
        assert message in error[-1] and error[-1].startswith("error: "), error
        assert sum(line.startswith("error: ") for line in error) == 1
    assert not (tmp_path / "m").exists()
