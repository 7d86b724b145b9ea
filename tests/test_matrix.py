"""Matrix queries on a small real project whose codings are written out here, so every count can
be checked by hand; co-occurrence on a unit and within a window; the HTML page's escaping; the
stage codebook beside the themes; and bad input (one line, exit 2, nothing written)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from autocode.cli import app
from autocode.errors import InputError
from autocode.io import read
from autocode.matrix import MatrixFiles, MatrixQuery, matrix_frame, matrix_query, write_matrix
from autocode.segment import segment_many
from autocode.store import Project
from autocode.types import Code, Codebook, Coding, Transcript, Unit

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "transcripts"
THEMES = Codebook(
    "themes", [Code("T1", "Communication"), Code("T2", "Lifecycle"), Code("T3", "Data")]
)
STAGES = Codebook("stages", [Code("RA", "Requirement analysis"), Code("DM", "Data management")])
HOSTILE = "P20: I typed <script>window.__pwned = 1</script> & it <b>fired</b>.\n"

# (transcript, unit index, code, coder) of every coding in the project below.
CODINGS = [
    ("P1_interview", 0, "T1", "human:ana"),
    ("P1_interview", 1, "T1", "human:ana"),
    ("P1_interview", 1, "T2", "human:ana"),
    ("P1_interview", 2, "T1", "human:ana"),
    ("P1_interview", 7, "T3", "human:ana"),  # P1's last unit: next to P6's first in the table
    ("P6_interview", 0, "T2", "human:ana"),
    ("P6_interview", 4, "T3", "human:ana"),
    ("P1_interview", 3, "T2", "model:toy@1"),
    ("P1_interview", 0, "T3", "model:toy@1"),  # a unit ana coded: the corpus keeps ana's codes
    ("P6_interview", 1, "T3", "model:toy@1"),
    ("P6_interview", 2, "T3", "model:toy@1"),
]
STAGE_CODINGS = [("P1_interview", 1, "RA", "human:ana"), ("P6_interview", 4, "DM", "human:ana")]


def _build(folder: Path, hostile: bool = False) -> Path:
    transcripts = [read(EXAMPLES / "P1_interview.txt"), read(EXAMPLES / "P6_interview.txt")]
    if hostile:
        (folder.parent / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
        transcripts.append(read(folder.parent / "hostile.txt"))
    with Project.create(folder, writer=True) as project:
        project.add_codebook(THEMES)
        project.add_codebook(STAGES)
        for transcript, units in zip(transcripts, segment_many(transcripts), strict=True):
            project.add_transcript(transcript)
            project.add_units(transcript.id, units)
        for book, rows in (("themes", CODINGS), ("stages", STAGE_CODINGS)):
            codings = []
            for tid, idx, code, coder in rows:
                unit = project.units(tid)[idx]
                codings.append(Coding(tid, unit.start, unit.end, code, coder, unit_index=idx))
            project.add_codings(codings, codebook=book)
        if hostile:
            unit = project.units("hostile")[0]
            project.add_codings(
                [Coding("hostile", unit.start, unit.end, "T1", "human:ana", unit_index=0)],
                codebook="themes",
            )
    return folder


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("matrix") / "project")


def test_participant_by_code_counts_match_the_hand_count(project: Path) -> None:
    ana = matrix_frame(project, codebook="themes", coder="human:ana")
    assert ana.index.name == "participant"
    assert ana.to_dict(orient="index") == {
        "P1_interview": {"T1": 3, "T2": 1, "T3": 1},
        "P6_interview": {"T1": 0, "T2": 1, "T3": 1},
    }
    model = matrix_frame(project, codebook="themes", coder="model:toy")
    assert model.to_dict(orient="index") == {
        "P1_interview": {"T1": 0, "T2": 1, "T3": 1},
        "P6_interview": {"T1": 0, "T2": 0, "T3": 2},
    }
    # The finished corpus: ana's codes on the units she coded, the model's on the rest.
    corpus = matrix_frame(project, codebook="themes")
    assert corpus.to_dict(orient="index") == {
        "P1_interview": {"T1": 3, "T2": 2, "T3": 1},
        "P6_interview": {"T1": 0, "T2": 1, "T3": 3},
    }
    shares = matrix_frame(project, codebook="themes", coder="human:ana", cells="share")
    assert shares.loc["P1_interview", "T1"] == pytest.approx(3 / 8)


def test_units_cells_and_transcript_rows(project: Path) -> None:
    units = matrix_frame(project, codebook="themes", coder="human:ana", cells="units")
    assert units.loc["P1_interview", "T1"] == [
        "P1_interview#0",
        "P1_interview#1",
        "P1_interview#2",
    ]
    transposed = matrix_frame(
        project, rows="code", columns="transcript", codebook="themes", coder="human:ana"
    )
    assert transposed.loc["T3"].to_dict() == {"P1_interview": 1, "P6_interview": 1}


def test_co_occurrence_on_a_unit_and_within_a_window(project: Path) -> None:
    def table(window: int) -> pd.DataFrame:
        return matrix_frame(
            project, rows="code", codebook="themes", coder="human:ana", window=window
        )

    same_unit = table(0)
    assert same_unit.loc["T1", "T2"] == 1 and same_unit.loc["T2", "T1"] == 1  # P1 unit 1
    assert same_unit.loc["T2", "T3"] == 0
    assert same_unit.loc["T1", "T1"] == 3  # the diagonal: units with the code
    near = table(1)
    assert near.loc["T1", "T2"] == 3  # units 0, 1 and 2 are within one unit of unit 1
    assert near.loc["T2", "T1"] == 1
    # P1's last unit (T3) and P6's first (T2) are neighbours in no transcript.
    assert near.loc["T3", "T2"] == 0 and near.loc["T2", "T3"] == 0
    assert table(3).loc["T2", "T3"] == 0 and table(4).loc["T2", "T3"] == 1  # P6 units 0 and 4


def test_codes_of_two_codebooks_and_their_tests(project: Path) -> None:
    matrix = matrix_query(
        project,
        MatrixQuery(rows="code", row_codebook="themes", codebook="stages", coder="human:ana"),
    )
    assert matrix.frame().to_dict(orient="index") == {
        "T1": {"RA": 1, "DM": 0},
        "T2": {"RA": 1, "DM": 0},
        "T3": {"RA": 0, "DM": 1},
    }
    test = next(t for t in matrix.tests if (t["row"], t["column"]) == ("T3", "DM"))
    # 19 units (8 of P1, 11 of P6); T3 on 2, DM on 1, both on 1: Fisher, p = C(2,1)/C(19,1).
    assert test["test"] == "fisher" and test["p"] == pytest.approx(2 / 19)
    assert all(t["p_holm"] >= t["p"] for t in matrix.tests if t["p"] is not None)


def test_cli_writes_csv_json_and_html(project: Path, tmp_path: Path) -> None:
    paths = {kind: tmp_path / f"m.{kind}" for kind in ("csv", "json", "html")}
    result = CliRunner().invoke(
        app,
        ["matrix", "--project", str(project), "--codebook", "themes", "--coder", "human:ana", "-q"]
        + [arg for kind, path in paths.items() for arg in (f"--{kind}", str(path))],
    )
    assert result.exit_code == 0, result.output
    assert paths["csv"].read_text().splitlines() == [
        "participant,T1,T2,T3",
        "P1_interview,3,1,1",
        "P6_interview,0,1,1",
    ]
    document = json.loads(paths["json"].read_text())
    assert document["counts"] == [[3, 1, 1], [0, 1, 1]]
    assert document["coded_by"] == {"themes": {"human:ana": 19}}
    page = paths["html"].read_text()
    assert "Clients have different levels of understanding" in page and "<script" not in page


def test_the_html_page_escapes_transcript_text(tmp_path: Path) -> None:
    folder = _build(tmp_path / "project", hostile=True)
    page = tmp_path / "m.html"
    write_matrix(folder, MatrixQuery(codebook="themes"), MatrixFiles(html=page))
    text = page.read_text()
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt; &amp; it &lt;b&gt;fired" in text
    assert "<script" not in text and "<b>" not in text
    assert "default-src 'none'" in text  # the page may load nothing


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--codebook", "tasks"], "has no codebook 'tasks'"),
        (["--codebook", "e"], "has no codebook 'e'"),  # a part of both names
        (["--codebook", "themes", "--coder", "human:zoe"], "has no codings by human:zoe"),
        (["--codebook", "themes", "--coder", "ana"], "a coder is corpus, model, human:NAME"),
        (["--codebook", "themes", "--codes", "T9"], "'T9' is not a code"),
        (["--codebook", "themes", "--rows", "code", "--window", "-1"], "0 or more units"),
        (["--codebook", "themes", "--columns", "participant"], "both participants"),
        (["--codebook", "themes", "--window", "2"], "rows and columns codes"),
        (["--codebook", "themes", "--cells", "mean"], "'mean' is not one of count"),
        ([], "holds codebooks 'stages', 'themes': name one with --codebook"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    project: Path, tmp_path: Path, arguments: list[str], message: str
) -> None:
    database = project / "autocode.sqlite"
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    out = tmp_path / "m.csv"
    result = CliRunner().invoke(
        app, ["matrix", "--project", str(project), "--csv", str(out), *arguments]
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before


def test_a_model_of_one_codebook_refuses_another(review_project: Path) -> None:
    from autocode.review.inputs import check_review

    themes = "Papineni & Lind (2023) ML deployment themes"
    with pytest.raises(
        InputError, match="was trained on codebook 'Papineni & Lind \\(2023\\) ML lifecycle stages'"
    ):
        check_review(review_project, model="seed-stages", codebook=themes, reviewer="ana")
    with pytest.raises(InputError, match="has no codings by model:seed-stages"):
        matrix_query(review_project, MatrixQuery(codebook=themes, coder="model:seed-stages"))


@pytest.mark.slow
def test_code_with_the_stage_model_beside_the_themes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "P3_interview.txt").write_text((EXAMPLES / "P3_interview.txt").read_text())
    project = tmp_path / "project"
    result = CliRunner().invoke(
        app,
        [
            "code",
            str(folder),
            "--model",
            "seed-themes",
            "--model",
            "seed-stages",
            "--project",
            str(project),
            "--no-report",
            "-q",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    assert [run["codebook"] for run in runs] == [
        "Papineni & Lind (2023) ML deployment themes",
        "Papineni & Lind (2023) ML lifecycle stages",
    ]
    assert [run["coder"].split("@")[0] for run in runs] == [
        "model:seed-themes",
        "model:seed-stages",
    ]
    for name in ("seed-themes", "seed-stages"):
        assert (project / "exports" / name / "coded_units.csv").is_file()
    table = matrix_frame(project, rows="code", row_codebook="themes", codebook="stages")
    assert table.shape == (5, 5) and table.to_numpy().sum() > 0
    # Review opens the themes by default, the stages when their codebook is named.
    from autocode.review.inputs import check_review

    assert check_review(project, reviewer="ana").model.name == "seed-themes"
    stages = check_review(project, reviewer="ana", codebook="stages")  # a part of its name
    assert (stages.model.name, stages.codebook) == ("seed-stages", runs[1]["codebook"])
    # A stage decision in review is a human coding of the stage codebook, and the finished
    # corpus's matrix takes it over the model's codes.
    from autocode.review import ReviewSession

    session = ReviewSession.open(
        project, model="seed-stages", reviewer="ana", candidate_codes=False, audit_share=0.0
    )
    try:
        card = session.card()
        assert card is not None
        session.decide(card, "recode", code="privacy_policy")
    finally:
        session.close()
    unit = f"{card.answer.unit.transcript_id}#{card.answer.unit.unit_index}"
    corpus = matrix_frame(project, rows="transcript", codebook="stages", cells="units")
    assert [column for column in corpus.columns if unit in corpus.iloc[0][column]] == [
        "privacy_policy"
    ]
    ana = matrix_frame(project, codebook="stages", coder="human:ana")
    assert ana.to_numpy().sum() == 1


@pytest.mark.slow
def test_the_seed_tables_put_autocode_beside_the_authors(tmp_path: Path) -> None:
    paths = {kind: tmp_path / f"seed.{kind}" for kind in ("markdown", "json", "html")}
    result = CliRunner().invoke(
        app,
        ["matrix", "--corpus", "seed", "-q"]
        + [arg for kind, path in paths.items() for arg in (f"--{kind}", str(path))],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(paths["json"].read_text())
    authors = document["participant_theme"]["authors"]
    assert list(authors) == [f"P{i}" for i in range(1, 13)]  # P13-P15 are withheld
    assert authors["P3"]["T4"] == 0 and authors["P3"]["T5"] == 1  # "Themes 1, 2, 3, and 5"
    assert document["theme_stage"]["authors"]["T2"]["requirement_analysis"] == 8
    agreement = document["agreement"]
    assert agreement["participant_theme"]["cells"] == 60
    assert agreement["participant_stage_theme_links"]["cells"] == 10 * 5 * 5
    markdown = paths["markdown"].read_text()
    assert "## Participant x theme" in markdown and "32 quotes and 27 paraphrases" in markdown
    assert "<script" not in paths["html"].read_text()


def test_counts_past_what_a_byte_holds(tmp_path: Path) -> None:
    sentence = "We retrained the model when the data changed. "
    width, n = len(sentence), 300
    with Project.create(tmp_path / "big", writer=True) as project:
        project.add_codebook(THEMES)
        project.add_transcript(Transcript("long", sentence * n, metadata={"participant": "P9"}))
        units = [Unit("long", i, "P9", i * width, (i + 1) * width, sentence) for i in range(n)]
        project.add_units("long", units)
        project.add_codings(
            [Coding("long", u.start, u.end, "T1", "human:ana", unit_index=u.index) for u in units],
            codebook="themes",
        )
    assert matrix_frame(tmp_path / "big", codebook="themes").loc["P9", "T1"] == 300
    same = matrix_frame(tmp_path / "big", rows="code", codebook="themes", window=3)
    assert same.loc["T1", "T1"] == 300


@pytest.mark.slow
def test_suggest_shows_the_stages_beside_the_themes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "suggest",
            str(EXAMPLES / "P3_interview.txt"),
            "--model",
            "seed-themes",
            "--model",
            "seed-stages",
            "--out",
            str(out),
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    units = pd.read_csv(out / "units.csv", keep_default_na=False)
    assert {"p_T1", "p_requirement_analysis", "suggested", "suggested_seed-stages"} <= set(
        units.columns
    )
    stages = {s for cell in units["suggested_seed-stages"] for s in cell.split(";") if s}
    assert stages and stages <= {
        "requirement_analysis",
        "data_management",
        "benchmarking_metrics",
        "user_acceptance_testing",
        "privacy_policy",
    }
    run = json.loads((out / "run.json").read_text())
    assert run["other_models"][0]["codebook"].endswith("lifecycle stages")


def test_spans_without_a_unit_count_by_the_overlap_rule(tmp_path: Path) -> None:
    folder = _build(tmp_path / "project")
    with Project.open(folder, writer=True) as store:
        units = store.units("P6_interview")
        # Imported spans (no unit index): over units 5 and 6; over unit 7 and 3 characters of
        # unit 8; a 3-character phrase inside unit 9.
        store.add_codings(
            [
                Coding("P6_interview", units[5].start, units[6].end, "T1", "human:ben"),
                Coding("P6_interview", units[7].start, units[8].start + 3, "T2", "human:ben"),
                Coding("P6_interview", units[9].start + 2, units[9].start + 5, "T3", "human:ben"),
            ],
            codebook="themes",
        )
    ben = matrix_frame(folder, codebook="themes", coder="human:ben", cells="units")
    assert ben.loc["P6_interview", "T1"] == ["P6_interview#5", "P6_interview#6"]
    assert ben.loc["P6_interview", "T2"] == ["P6_interview#7"]  # 3 characters of unit 8: no
    assert ben.loc["P6_interview", "T3"] == ["P6_interview#9"]  # a phrase wholly inside: yes


@pytest.mark.browser
def test_the_heat_map_in_a_browser_shows_units_as_text(tmp_path: Path) -> None:
    import shutil
    import subprocess

    browser = next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )
    if browser is None:
        pytest.skip("no Chromium installed (apt-get install chromium)")
    folder = _build(tmp_path / "project", hostile=True)
    page = tmp_path / "matrix.html"
    write_matrix(folder, MatrixQuery(codebook="themes"), MatrixFiles(html=page))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    flags += ["--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}"]
    run = subprocess.run(
        [browser, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    dom = run.stdout
    assert "<table>" in dom and "<details>" in dom, run.stderr[-2000:]
    # The transcript's markup is text in the cell, never an element of the page.
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in dom
    assert "<script" not in dom and "<b>fired" not in dom
    assert "Clients have different levels of understanding" in dom
    shot = tmp_path / "matrix.png"
    subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=900,600", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3).astype(int)
    bluish = (pixels[:, 2] - pixels[:, 0] > 40).sum()
    assert bluish > 500  # the heat map's coloured cells
