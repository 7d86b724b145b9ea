"""`autocode saturation`: transcripts (clusters, themes), coded CSV and the new-interview check.

Transcripts are built from the seed study's published quotes (corpus/seed/excerpts.csv): one
interview per participant, each quote a participant answer to an interviewer question.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from autocode.cli import app
from autocode.saturation import SaturationResult

REPO = Path(__file__).resolve().parents[1]
EXCERPTS = REPO / "corpus" / "seed" / "excerpts.csv"
CODED_ML = Path("coded") / "ml_quality_interviews" / "derived_codings_from_pdfs.csv"
runner = CliRunner()


def run(*args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def write_interview(path: Path, participant: str, quotes: list[str]) -> Path:
    lines = []
    for k, quote in enumerate(quotes):
        lines += [f"Interviewer: Question {k + 1}, could you tell me more?", ""]
        lines += [f"{participant}: {quote}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def interviews(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """P1..P7 as transcripts, plus P8 (the 'new' interview) and one with only the interviewer."""
    folder = tmp_path_factory.mktemp("transcripts")
    excerpts = pd.read_csv(EXCERPTS, dtype=str, keep_default_na=False)
    excerpts = excerpts[excerpts["duplicate_of"] == ""]
    study = folder / "study"
    study.mkdir()
    for number in range(1, 9):
        quotes = list(excerpts.loc[excerpts["participant"] == f"P{number}", "text"])
        target = study if number <= 7 else folder
        write_interview(target / f"P{number}.txt", f"P{number}", quotes)
    (study / "P0_silent.txt").write_text(
        "Interviewer: Hello, can you hear me?\n\nInterviewer: It seems the call dropped.\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache") / "embeddings.sqlite"


@pytest.fixture(scope="module")
def clusters_run(interviews: Path, cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clusters")
    code, stdout, stderr = run(
        "saturation", interviews / "study", "--codes", "clusters", "--out", out,
        "--cache", cache, "--permutations", 200, "-q",
    )  # fmt: skip
    assert code == 0, stderr
    assert "Saturation was assessed over 8 interviews" in stdout
    return out


def load_result(out: Path) -> dict:
    return json.loads((out / "saturation.json").read_text(encoding="utf-8"))


def check_png(path: Path) -> None:
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size[0] > 600 and image.size[1] > 400


def test_clusters_run_writes_json_png_html_and_baseline(clusters_run: Path) -> None:
    document = load_result(clusters_run)
    result = SaturationResult.from_dict(document)
    ids = [row.interview_id for row in result.interviews]
    # Folder order is natural name order: P0_silent first, then P1..P7.
    assert ids == ["P0_silent", *(f"P{n}" for n in range(1, 8))]
    inputs = document["inputs"]
    assert inputs["mode"] == "transcripts" and inputs["codes"] == "clusters"
    assert inputs["interviews_without_units"] == ["P0_silent"]
    assert "P0_silent" in result.empty_interviews
    codes = inputs["candidate_codes"]
    assert len(codes) >= 2
    # Every unit is in one candidate code or an outlier.
    units = sum(i["units"] for i in inputs["interviews"])
    assert sum(c["size"] for c in codes) + inputs["outlier_units"] == units
    assert result.curve[-1] == len(codes)
    assert document["settings"]["permutations"] == 200
    assert document["versions"]["autocode"]
    check_png(clusters_run / "saturation.png")
    html = (clusters_run / "saturation.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "Chao2" in html and "P7" in html
    with np.load(clusters_run / "baseline.npz", allow_pickle=False) as arrays:
        assert arrays["vectors"].shape == (units, 384)
        assert arrays["labels"].max() == len(codes) - 1
    baseline = json.loads((clusters_run / "codes.json").read_text(encoding="utf-8"))
    assert baseline["codes_per_interview"] == document["codes_per_interview"]


def test_same_input_and_seed_give_identical_files(
    clusters_run: Path, interviews: Path, cache: Path, tmp_path: Path
) -> None:
    code, _, stderr = run(
        "saturation", interviews / "study", "--out", tmp_path, "--cache", cache,
        "--permutations", 200, "-q",
    )  # fmt: skip
    assert code == 0, stderr
    for name in ("saturation.json", "saturation.png", "baseline.npz", "codes.json"):
        assert (tmp_path / name).read_bytes() == (clusters_run / name).read_bytes(), name


def test_new_interview_against_the_baseline(
    clusters_run: Path, interviews: Path, cache: Path, tmp_path: Path
) -> None:
    code, stdout, stderr = run(
        "saturation", "--baseline", clusters_run, interviews / "P8.txt", "--cache", cache,
        "--out", tmp_path, "-q",
    )  # fmt: skip
    assert code == 0, stderr
    report = json.loads((tmp_path / "new-interview.json").read_text(encoding="utf-8"))
    baseline_codes = len(load_result(clusters_run)["inputs"]["candidate_codes"])
    assert report["baseline_codes"] == baseline_codes
    assert report["baseline_interviews"] == 8
    assert report["units"] > 0
    assert report["within_existing_codes"] + report["far_from_every_code"] == report["units"]
    far = [d for d in report["units_detail"]["distances"] if d > report["distance_threshold"]]
    assert len(far) == report["far_from_every_code"]
    assert report["new_information_ratio"] == pytest.approx(
        len(report["new_codes"]) / baseline_codes
    )
    assert stdout.startswith(f"Of the {report['units']} meaning units in interview P8")
    assert "8-interview baseline" in stdout
    reference = report["baseline_share_within_held_out"]
    assert sorted(reference) == [f"P{i}" for i in range(1, 8)]  # P0_silent has no units
    assert all(0 <= share <= 1 for share in reference.values())
    assert f"median of {np.median(list(reference.values())):.0%} of its units within" in stdout


def test_off_topic_interview_is_far_from_every_code(
    clusters_run: Path, cache: Path, tmp_path: Path
) -> None:
    cooking = [
        "I bake sourdough bread every weekend, and the starter needs feeding twice a day.",
        "The oven has to be very hot, and I put a tray of water in for the steam.",
        "My grandmother taught me to make pasta by hand with eggs and semolina flour.",
        "Tomatoes from the garden make the best sauce when you cook them slowly.",
        "We grow basil, parsley and chives on the balcony all summer long.",
        "Kneading the dough for ten minutes gives the bread a good chewy crumb.",
    ]
    new = write_interview(tmp_path / "cooking.txt", "Guest", cooking)
    code, stdout, stderr = run(
        "saturation", "--baseline", clusters_run, new, "--cache", cache, "--out", tmp_path, "-q"
    )
    assert code == 0, stderr
    report = json.loads((tmp_path / "new-interview.json").read_text(encoding="utf-8"))
    assert report["far_from_every_code"] >= report["units"] - 1 > 0
    assert "lay further from every existing code" in stdout


def test_report_shows_the_coded_transcripts_and_the_saturation_section(
    clusters_run: Path, interviews: Path, cache: Path, tmp_path: Path
) -> None:
    code, _, stderr = run(
        "saturation", interviews / "study", "--out", tmp_path, "--cache", cache,
        "--permutations", 200, "--report", "-q",
    )  # fmt: skip
    assert code == 0, stderr
    html = (tmp_path / "saturation.html").read_text(encoding="utf-8")
    assert html.count('id="saturation"') == 1 and 'id="transcripts"' in html
    assert "data:image/png;base64," in html and "Runs (Guest, Namey &amp; Chen 2020)" in html
    first_quote = pd.read_csv(EXCERPTS, dtype=str).query("participant == 'P7'")["text"].iloc[0]
    assert first_quote.split()[0] in html
    # The JSON and figure are those of the run without --report.
    assert (tmp_path / "saturation.json").read_bytes() == (
        clusters_run / "saturation.json"
    ).read_bytes()


def test_report_needs_transcripts(tmp_path: Path) -> None:
    code, _, stderr = run(
        "saturation", "--coded", EXCERPTS, "--interview-column", "participant",
        "--code-column", "themes", "--report", "--out", tmp_path / "out",
    )  # fmt: skip
    assert code == 2 and "--report needs transcripts" in stderr
    assert not (tmp_path / "out").exists()


def test_baseline_must_be_a_clusters_run(tmp_path: Path, interviews: Path) -> None:
    code, stdout, stderr = run("saturation", "--baseline", tmp_path, interviews / "P8.txt")
    assert code == 2
    assert stderr.count("\n") == 1 and "codes.json: missing" in stderr
    assert not stdout


def test_seed_participants_from_the_coded_csv(tmp_path: Path) -> None:
    code, stdout, stderr = run(
        "saturation", "--coded", EXCERPTS, "--interview-column", "participant",
        "--code-column", "themes", "--order-by", "name", "--out", tmp_path, "-q",
    )  # fmt: skip
    assert code == 0, stderr
    result = SaturationResult.from_dict(load_result(tmp_path))
    assert [row.interview_id for row in result.interviews] == [f"P{n}" for n in range(1, 16)]
    # P1 is quoted under all five themes; P13 and P14 only under lifecycle stages.
    assert result.curve == [5] * 15
    assert result.saturation_label == "4+2"
    assert result.empty_interviews == ["P13", "P14"]
    assert "in natural order of their ids" in stdout
    check_png(tmp_path / "saturation.png")


def test_long_format_with_counts_dates_and_thresholds(tmp_path: Path) -> None:
    table = tmp_path / "codings.csv"
    rows = ["interview,code,n,date"]
    dates = {"A": "2024-03-05", "B": "2024-01-10", "C": "2024-02-01"}
    dates |= {"D": "2024-04-01", "E": "2024-05-01", "F": "2024-06-01", "G": "2024-07-01"}
    for interview, codes in {
        "A": "x:3 y:1", "B": "x:1 z:2", "C": "w:2", "D": "x:1", "E": "y:2", "F": "v:1", "G": "",
    }.items():  # fmt: skip
        for item in codes.split() or [":"]:
            name, count = item.split(":")
            rows.append(f"{interview},{name},{count},{dates[interview]}")
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, stderr = run(
        "saturation", "--coded", table, "--count-column", "n", "--date-column", "date",
        "--min-units", 2, "--out", tmp_path / "out", "-q",
    )  # fmt: skip
    assert code == 0, stderr
    document = load_result(tmp_path / "out")
    result = SaturationResult.from_dict(document)
    assert [row.interview_id for row in result.interviews] == list("BCADEFG")
    # Two units needed: B has z, C has w, A has x, E has y; D (x:1) and F (v:1) add nothing.
    assert [row.new_code_ids for row in result.interviews] == [
        ["z"], ["w"], ["x"], [], ["y"], [], [],
    ]  # fmt: skip
    assert result.dropped_codes == ["v"]
    assert result.empty_interviews == ["G"]
    assert document["settings"]["order_by"] == "date"


def test_consecutive_runs_pass_through(tmp_path: Path) -> None:
    code, _, stderr = run(
        "saturation", "--coded", EXCERPTS, "--interview-column", "participant",
        "--code-column", "stage", "--order-by", "name", "--run-step", "consecutive",
        "--base-size", 3, "--run-length", 3, "--out", tmp_path, "-q",
    )  # fmt: skip
    assert code == 0, stderr
    result = SaturationResult.from_dict(load_result(tmp_path))
    assert result.parameters.run_step == "consecutive"
    assert [(run.start, run.end) for run in result.guest.runs] == [
        (4, 6), (7, 9), (10, 12), (13, 15),
    ]  # fmt: skip


def test_too_few_interviews_is_one_line_exit_2_nothing_written(tmp_path: Path) -> None:
    table = tmp_path / "few.csv"
    table.write_text("interview,code\nA,x\nB,y\nC,x;z\nD,w\nE,x\n", encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, stderr = run("saturation", "--coded", table, "--out", out)
    assert code == 2
    assert stderr.strip().splitlines() == [
        "error: saturation by Guest et al. (2020) needs at least 6 interviews "
        "(base size 4 + run length 2); 5 were given"
    ]
    assert not stdout and not out.exists()


def test_too_few_transcripts_fail_before_embedding(interviews: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, stderr = run(
        "saturation", interviews / "study" / "P1.txt", interviews / "study" / "P2.txt",
        "--out", out, "--no-cache",
    )  # fmt: skip
    assert code == 2 and "needs at least 6 interviews" in stderr and stderr.count("\n") == 1
    assert not out.exists()


def test_transcripts_without_dates_cannot_be_ordered_by_date(
    interviews: Path, tmp_path: Path
) -> None:
    code, _, stderr = run(
        "saturation", interviews / "study", "--order-by", "date", "--out", tmp_path / "out"
    )
    assert code == 2 and stderr.count("\n") == 1
    assert "no date in the metadata of 8 transcript(s)" in stderr and "--order FILE" in stderr
    code, _, stderr = run("saturation", "--out", tmp_path / "out")
    assert code == 2 and "give transcript files or folders, or --coded FILE" in stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--where", "role"], "write it as COLUMN=VALUE"),
        (["--where", "role=nobody"], "no row matches the filter"),
        (["--interview-column", "who"], "missing column(s): who"),
        (["--order-by", "date"], "ordering by date needs --date-column"),
        (["--run-step", "overlapping"], "run_step must be one of"),
    ],
)
def test_bad_options_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    table = tmp_path / "t.csv"
    table.write_text("interview,code,role\n" + "".join(f"I{i},c{i},x\n" for i in range(8)))
    code, _, stderr = run("saturation", "--coded", table, *args, "--out", tmp_path / "out")
    assert code == 2 and message in stderr and stderr.count("\n") == 1, stderr
    assert not (tmp_path / "out").exists()


def test_order_file_sets_the_order(tmp_path: Path) -> None:
    order = tmp_path / "order.txt"
    order.write_text("# conducted\n" + "\n".join(f"P{n}" for n in range(15, 0, -1)) + "\n")
    code, stdout, stderr = run(
        "saturation", "--coded", EXCERPTS, "--interview-column", "participant",
        "--code-column", "themes", "--order", order, "--out", tmp_path / "out", "-q",
    )  # fmt: skip
    assert code == 0, stderr
    result = SaturationResult.from_dict(load_result(tmp_path / "out"))
    assert result.interviews[0].interview_id == "P15"
    assert "in the order listed in order.txt" in stdout
    order.write_text("P1\nP2\n")
    code, _, stderr = run(
        "saturation", "--coded", EXCERPTS, "--interview-column", "participant",
        "--code-column", "themes", "--order", order, "--out", tmp_path / "out2",
    )  # fmt: skip
    assert code == 2 and "leaves out interviews" in stderr


def test_derived_codings_of_one_coder(testdata: Path, tmp_path: Path) -> None:
    base = ["saturation", "--coded", testdata / CODED_ML, "--code-column", "codes"]
    pick = ["--where", "role=codings", "--where", "coder=PO"]
    code, _, stderr = run(*base, *pick, "--out", tmp_path / "out")
    # Four coded interviews are too few for base 4 + run 2.
    assert code == 2 and "4 were given" in stderr and not (tmp_path / "out").exists()
    code, _, stderr = run(
        *base, *pick, "--base-size", 2, "--run-length", 1, "--order-by", "name",
        "--out", tmp_path / "out", "-q",
    )  # fmt: skip
    assert code == 0, stderr
    result = SaturationResult.from_dict(load_result(tmp_path / "out"))
    assert [row.interview_id for row in result.interviews] == ["7", "12", "19", "30"]
    assert result.curve[-1] > 10


def test_themes_from_a_trained_classifier(
    interviews: Path, cache: Path, theme_model: Path, tmp_path: Path
) -> None:
    code, _, stderr = run(
        "saturation", interviews / "study", "--codes", "themes", "--model", theme_model,
        "--cache", cache, "--permutations", 100, "--out", tmp_path, "-q",
    )  # fmt: skip
    assert code == 0, stderr
    document = load_result(tmp_path)
    result = SaturationResult.from_dict(document)
    themes = set(document["inputs"]["model"]["themes"])
    found = {c for row in result.interviews for c in row.new_code_ids}
    assert found <= themes and len(found) >= 3
    assert not (tmp_path / "baseline.npz").exists()


@pytest.fixture(scope="module")
def theme_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped model when present, else the shipped configuration trained on the seed."""
    shipped = REPO / "models" / "seed-themes"
    if (shipped / "model.json").is_file():
        return shipped
    from autocode.corpus import load_corpus
    from autocode.embed import Embedder
    from autocode.evaluation.methods import train_classifier

    folder = tmp_path_factory.mktemp("model")
    train_classifier(load_corpus(REPO / "corpus" / "seed"), Embedder()).save(folder)
    return folder


def test_npz_is_plain_arrays(clusters_run: Path) -> None:
    raw = (clusters_run / "baseline.npz").read_bytes()
    with np.load(io.BytesIO(raw), allow_pickle=False) as arrays:
        assert set(arrays.files) == {"vectors", "labels", "interview", "start", "end"}
        assert arrays["vectors"].dtype == np.float32


def test_sources_build_interview_codes_from_units_and_mixed_csv(tmp_path: Path) -> None:
    from autocode.saturation.sources import (
        codes_from_csv,
        codes_from_unit_labels,
        codes_from_unit_themes,
        natural_key,
    )
    from autocode.types import Unit

    assert sorted(["P10", "p2", "P1"], key=natural_key) == ["P1", "p2", "P10"]
    units = [
        [Unit("A", 0, "", 0, 1, "a"), Unit("A", 1, "", 1, 2, "b")],
        [],
        [Unit("C", 0, "", 0, 1, "c")],
    ]
    data = codes_from_unit_labels(["A", "B", "C"], units, [1, -1, 1], ["C01", "C02"])
    assert data.to_mapping() == {"A": {"C02": 1}, "B": {}, "C": {"C02": 1}}
    assert data.empty_interviews == ["B"]
    decided = pd.DataFrame({"T1": [1, 1, 0], "T2": [0, 1, 1]})
    themes = codes_from_unit_themes(["A", "B", "C"], units, decided)
    assert themes.to_mapping() == {"A": {"T1": 2, "T2": 1}, "B": {}, "C": {"T2": 1}}
    # Joined and long rows mixed; a code given in two rows counts two units.
    table = tmp_path / "mixed.csv"
    table.write_text("interview,code\nI1,a; b\nI1,a\nI2,\nI3,c\n", encoding="utf-8")
    mixed = codes_from_csv(table, interview_column="interview", code_column="code")
    assert mixed.to_mapping() == {"I1": {"a": 2, "b": 1}, "I2": {}, "I3": {"c": 1}}
