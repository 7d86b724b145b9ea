"""`autocode suggest` on real transcripts: outputs, offsets, evidence, codes, determinism, bad
input, --strict, --json, and the report's escaping. The classifier is the shipped configuration,
trained once per session (or the shipped model itself when models/seed-themes loads)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from autocode.classify import ThemeClassifier, data_hash
from autocode.cli import app
from autocode.corpus import load_corpus
from autocode.embed import Embedder, EmbeddingCache
from autocode.errors import InputError
from autocode.evaluation.methods import train_classifier
from autocode.files import write_files_together
from autocode.io import read_many
from autocode.models import excerpts_from_corpus
from autocode.models.evidence import EvidenceIndex
from autocode.report.html import ReportSection, UnitView, render_report
from autocode.segment import SegmentConfig
from autocode.suggest import SuggestConfig, Suggestions, suggest, suggest_codes
from autocode.suggest.output import write_suggestions
from autocode.types import Code, Transcript, Turn, Unit

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "transcripts"
CORPUS = REPO / "corpus" / "seed"
SHIPPED_MODEL = REPO / "models" / "seed-themes"
OUTPUTS = ("units.csv", "codes.csv", "report.html", "run.json")


@pytest.fixture(scope="session")
def cli_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedding cache folder of the session: library runs fill it, CLI runs read it."""
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="session")
def embedder(cli_cache: Path) -> Embedder:
    return Embedder(cache=EmbeddingCache(cli_cache / "embeddings.sqlite"))


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """The shipped model when it loads and matches the corpus; else trained here (~30 s)."""
    try:
        texts, labels, _ = load_corpus(CORPUS).theme_examples()
        if ThemeClassifier.load(SHIPPED_MODEL).training_["data_sha256"] == data_hash(texts, labels):
            return SHIPPED_MODEL
    except InputError:
        pass
    corpus = load_corpus(CORPUS)
    model = train_classifier(corpus, embedder).describe(
        corpus.codebook, excerpts_from_corpus(corpus)
    )
    return model.save(tmp_path_factory.mktemp("model"), corpus=str(CORPUS))


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, cli_cache: Path) -> Callable[..., tuple[int, str, str]]:
    """Run `autocode ...` in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("AUTOCODE_CACHE_DIR", str(cli_cache))

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, list(args))
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), result.exception
        return result.exit_code, result.stdout, result.stderr

    return run


@pytest.fixture(scope="session")
def example_run(
    model_dir: Path, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Suggestions, Path, list[list]]:
    """The library run on examples/transcripts, written out; steps are [name, total, done]."""
    steps: list[list] = []

    def progress(name: str, total: int | None) -> Callable[[int], None]:
        step = [name, total, 0]
        steps.append(step)
        return lambda n: step.__setitem__(2, step[2] + n)

    result = suggest([EXAMPLES], model_dir, embedder=embedder, progress=progress)
    out = tmp_path_factory.mktemp("suggest")
    write_suggestions(result, out, command=["autocode", "suggest", str(EXAMPLES)])
    return result, out, steps


def _units_csv(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "units.csv", dtype={"code": str}, keep_default_na=False)


def test_example_run_writes_every_output(example_run: tuple) -> None:
    result, out, _ = example_run
    assert all((out / name).is_file() and (out / name).stat().st_size for name in OUTPUTS)
    assert [t.id for t in result.transcripts] == sorted(p.stem for p in EXAMPLES.glob("*.txt"))
    assert not list(out.glob(".*.tmp"))
    assert (out / "units.csv").stat().st_mode & 0o044  # readable like any other file


def test_units_csv_offsets_point_into_the_transcripts(example_run: tuple) -> None:
    _, out, _ = example_run
    units = _units_csv(out)
    transcripts, errors = read_many([EXAMPLES])
    assert not errors
    text = {t.id: t.text for t in transcripts}
    assert len(units) > 50
    for row in units.itertuples(index=False):
        assert text[row.transcript][row.start : row.end] == row.text
    # interviewer questions are not coded
    assert "Interviewer" not in set(units["speaker"])
    for transcript_id, group in units.groupby("transcript"):
        assert list(group["index"]) == list(range(len(group))), transcript_id


def test_suggested_themes_follow_probabilities_and_thresholds(example_run: tuple) -> None:
    result, out, _ = example_run
    units = _units_csv(out)
    thresholds = json.loads((out / "run.json").read_text())["model"]["thresholds"]
    theme_ids = list(thresholds)
    assert [c for c in units.columns if c.startswith("p_")] == [f"p_{t}" for t in theme_ids]
    model = ThemeClassifier.load(json.loads((out / "run.json").read_text())["model"]["path"])
    in_domain = model.in_domain(Embedder().encode([unit.text for unit in result.units]))
    for i in range(len(result.units)):
        row = result.probabilities.iloc[i]
        expected = {t for t in theme_ids if row[t] >= thresholds[t]}
        if model.min_themes:
            expected.add(max(theme_ids, key=lambda t: row[t]))
        if not in_domain[i]:
            expected = set()  # the novelty gate: unlike every theme's training excerpts
        suggested = units.at[i, "suggested"]
        assert set(filter(None, suggested.split(";"))) == expected
        probabilities = [units.at[i, f"p_{t}"] for t in suggested.split(";") if t]
        assert probabilities == sorted(probabilities, reverse=True)
    # the four reconstructed seed interviews are in-sample: nearly every unit gets a theme
    seed_units = units[units["transcript"].str.endswith("_interview")]
    assert (seed_units["suggested"] != "").mean() > 0.8


def test_every_unit_has_evidence_from_the_hand_coded_corpus(example_run: tuple) -> None:
    _, out, _ = example_run
    units = _units_csv(out)
    excerpts = load_corpus(CORPUS).utterances().set_index("excerpt_id")
    assert (units["evidence_1_excerpt_id"] != "").all()
    assert units["evidence_1_similarity"].between(-1, 1).all()
    for row in units.itertuples(index=False):
        excerpt = excerpts.loc[row.evidence_1_excerpt_id]
        assert excerpt["text"] == row.evidence_1_text
        assert excerpt["participant"] == row.evidence_1_participant
        assert excerpt["themes"] == row.evidence_1_themes
    # a unit that is a published quote word for word finds that quote
    quote = units[units["text"] == "People are quite happy to express their concerns."]
    assert list(quote["evidence_1_excerpt_id"]) == ["PL-132"]
    assert quote["evidence_1_similarity"].iloc[0] == pytest.approx(1.0, abs=1e-3)


def test_codes_reference_existing_units(example_run: tuple) -> None:
    result, out, _ = example_run
    units = _units_csv(out)
    codes = pd.read_csv(out / "codes.csv", keep_default_na=False)
    assert len(codes) == len(result.codes.codes) >= 2
    keys = set(units["transcript"] + "#" + units["index"].astype(str))
    for code in codes.itertuples(index=False):
        members = code.units.split(";")
        assert set(members) <= keys
        assert len(members) == code.size
        labelled = units[units["code"] == code.id]
        assert set(labelled["transcript"] + "#" + labelled["index"].astype(str)) == set(members)
        assert code.exemplar_1 in set(labelled["text"])
        assert code.possible_new_theme == (code.theme == "no theme: possible new theme")
    assert (units["code"] == "").sum() == len(result.codes.outliers)


def test_run_json_records_the_run(example_run: tuple, model_dir: Path) -> None:
    _, out, _ = example_run
    run = json.loads((out / "run.json").read_text())
    assert run["command"][:2] == ["autocode", "suggest"]
    assert {Path(i["path"]).name for i in run["inputs"]} == {p.name for p in EXAMPLES.glob("*")}
    assert all(len(i["sha256"]) == 64 for i in run["inputs"])
    assert run["segment"]["threshold"] == SuggestConfig().segment.threshold
    assert run["cluster"]["min_samples"] == 1
    assert run["cluster_parameters"]["n_units"] == run["counts"]["units"]
    assert run["model"]["path"] == str(model_dir)
    embedder_id, data_hash, digest = run["model"]["fingerprint"].split("/")
    assert (
        embedder_id.startswith("all-MiniLM-L6-v2@") and len(data_hash) == 12 and len(digest) == 16
    )
    assert run["versions"]["autocode"] and run["seed"] == 0
    assert run["warnings"] == [] and run["errors"] == []


def test_progress_reports_every_step_to_its_end(example_run: tuple) -> None:
    result, _, steps = example_run
    assert [name for name, _, _ in steps] == [
        "reading",
        "segmenting",
        "embedding",
        "clustering",
        "classifying and finding evidence",
    ]
    for name, total, done in steps:
        assert done == (total if total is not None else done) and done > 0, name
    assert steps[2][1] == len(result.units)


def test_report_is_self_contained_and_shows_the_run(example_run: tuple) -> None:
    result, out, _ = example_run
    page = (out / "report.html").read_text(encoding="utf-8")
    for external in ("http://", "https://", "<link", " src=", "@import", "url("):
        assert external not in page
    assert page.count("<mark ") == len(result.units)
    for code in result.codes.codes:
        assert f'id="code-{code.id}"' in page
    assert "Themes by participant" in page and "Outliers" in page and "Settings" in page
    assert "Communication and model adjustment" in page  # theme names from the codebook
    assert len(page) < 400_000


def test_report_escapes_user_text() -> None:
    text = "P1: <script>alert('x')</script> & \"quoted\" <b>bold</b> answer here."
    start = text.index("<")
    transcript = Transcript("evil<id>", text, [Turn("P1", start, len(text))])
    unit = Unit("evil<id>", 0, "P1", start, len(text), text[start:])
    page = render_report(
        title="<Report & co>",
        transcripts=[transcript],
        units=[UnitView(unit, ("T1",), {"T1": 0.9})],
        themes=[Code("T1", "Theme <one>")],
        settings={"note": "<i>x</i>"},
    )
    assert "<script>alert" not in page and "<b>bold" not in page and "<i>x" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in page
    assert "evil&lt;id&gt;" in page and "Theme &lt;one&gt;" in page
    assert page.count("<script>") == 1  # the report's own script only


def test_report_without_codes_keeps_every_unit_and_adds_extra_sections() -> None:
    """What batch coding and saturation use: coded units, no clusters, a section of their own."""
    text = "Interviewer: why?\nP1: Because the data was late.\nNotes outside any turn."
    turn = Turn("P1", text.index("Because"), text.index("late.") + 5)
    transcript = Transcript("t1", text, [Turn("Interviewer", 13, 17), turn])
    inside = Unit("t1", 0, "P1", turn.start, turn.end, text[turn.start : turn.end])
    stray = text.index("Notes")
    outside = Unit("t1", 1, "P1", stray, len(text), text[stray:])
    page = render_report(
        title="coded",
        transcripts=[transcript],
        units=[UnitView(inside, ("T3",)), UnitView(outside)],
        themes=[Code("T3", "Data", color="#123456")],
        extra_sections=[ReportSection("Saturation", "<p>saturated</p>")],
    )
    assert page.count("<mark ") == 2 and "(outside turns)" in page
    assert '<mark id="u0" class="unit t0"' in page and '<mark id="u1" class="unit none"' in page
    assert "Candidate codes" not in page and "Outliers" not in page
    assert '<a href="#section-3">Saturation</a>' in page and "<p>saturated</p>" in page
    assert ".t0 { background: #94A4B3; }" in page  # the codebook's colour, lightened


def test_participants_option_chooses_the_speakers(model_dir: Path, embedder: Embedder) -> None:
    transcripts, _ = read_many([EXAMPLES / "P3_interview.txt"])
    classifier = ThemeClassifier.load(model_dir)
    evidence = EvidenceIndex.from_excerpts(excerpts_from_corpus(load_corpus(CORPUS)), embedder)
    config = SuggestConfig(segment=SegmentConfig(participants=["interviewer"]))
    result = suggest_codes(transcripts, classifier, evidence, embedder=embedder, config=config)
    assert result.units and {u.speaker for u in result.units} == {"Interviewer"}
    assert all(u.text.endswith("?") for u in result.units)


def test_shared_transcripts_in_several_formats(
    testdata: Path, model_dir: Path, embedder: Embedder, tmp_path: Path
) -> None:
    files = [
        testdata / "transcripts/vtt_srt/webvttpy_teams_timeframe.vtt",
        testdata / "transcripts/docx_odt/qualcoder_example_ID1.docx",
        testdata / "transcripts/docx_odt/qualcoder_example_ID2.odt",
        testdata / "transcripts/txt/qualcoder_example_transcript.txt",
    ]
    result = suggest(files, model_dir, embedder=embedder)
    write_suggestions(result, tmp_path)
    assert not result.errors and len(result.transcripts) == len(files)
    units = _units_csv(tmp_path)
    text = {t.id: t.text for t in result.transcripts}
    assert set(units["transcript"]) == set(text)
    for row in units.itertuples(index=False):
        assert text[row.transcript][row.start : row.end] == row.text
    assert (units["evidence_1_excerpt_id"] != "").all()


def test_bad_inputs_give_one_line_each_and_good_files_still_count(
    cli: Callable[..., tuple[int, str, str]], model_dir: Path, tmp_path: Path
) -> None:
    bad = _bad_files(tmp_path / "bad")
    out = tmp_path / "out"
    code, stdout, stderr = cli(
        "suggest", str(EXAMPLES / "P6_interview.txt"), *map(str, bad.values()),
        "--model", str(model_dir), "--out", str(out), "--json", "--quiet",
    )  # fmt: skip
    assert code == 0, stderr
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    for kind, path in bad.items():
        mine = [line for line in lines if str(path) in line]
        assert len(mine) == 1, (kind, lines)
        assert mine[0].startswith("skipped ")
    summary = json.loads(stdout)
    assert summary["counts"]["transcripts"] == 1 and summary["counts"]["errors"] == len(bad)
    assert {e["path"] for e in summary["errors"]} == {str(p) for p in bad.values()}
    assert set(_units_csv(out)["transcript"]) == {"P6_interview"}
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Files not read" in report and "fake.docx" in report


def test_strict_makes_a_bad_file_fatal_and_writes_nothing(
    cli: Callable[..., tuple[int, str, str]], model_dir: Path, tmp_path: Path
) -> None:
    bad = _bad_files(tmp_path / "bad")
    out = tmp_path / "out"
    code, _, stderr = cli(
        "suggest", str(EXAMPLES / "P6_interview.txt"), str(bad["broken VTT"]),
        "--model", str(model_dir), "--out", str(out), "--strict", "--quiet",
    )  # fmt: skip
    assert code == 2
    assert [line for line in stderr.splitlines() if line.strip()] == [
        f"error: {bad['broken VTT']}: line 3: cannot read the cue timing '00:00:01.000 --> x'"
    ]
    assert not out.exists()


def test_nothing_readable_is_an_error_and_writes_nothing(
    cli: Callable[..., tuple[int, str, str]], model_dir: Path, tmp_path: Path
) -> None:
    bad = _bad_files(tmp_path / "bad")
    out = tmp_path / "out"
    code, stdout, stderr = cli(
        "suggest", str(bad["empty file"]), str(bad["fake docx"]),
        "--model", str(model_dir), "--out", str(out), "--json",
    )  # fmt: skip
    assert code == 2 and not out.exists()
    assert "error: none of the 2 file(s) could be read" in stderr
    assert len(json.loads(stdout)["errors"]) == 2
    code, _, stderr = cli("suggest", str(tmp_path / "bad" / "empty-folder"), "--out", str(out),
                          "--model", str(model_dir))  # fmt: skip
    assert code == 2 and "no files found" in stderr and not out.exists()
    code, _, stderr = cli("suggest", str(bad["fake docx"]), "--out", str(out),
                          "--model", str(model_dir))  # fmt: skip
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"error: {bad['fake docx']}")


def test_cli_runs_are_deterministic_with_and_without_the_cache(
    cli: Callable[..., tuple[int, str, str]], model_dir: Path, tmp_path: Path
) -> None:
    inputs = [str(EXAMPLES / "P12_interview.txt"), str(EXAMPLES / "P3_interview.txt")]
    first, second = tmp_path / "first", tmp_path / "second"
    assert cli("suggest", *inputs, "--model", str(model_dir), "--out", str(first), "-q")[0] == 0
    code, _, _ = cli(
        "suggest", *inputs, "--model", str(model_dir), "--out", str(second), "-q", "--no-cache"
    )
    assert code == 0
    for name in ("units.csv", "codes.csv", "report.html"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    run = json.loads((second / "run.json").read_text())
    assert run["command"][-1] == "--no-cache"


def test_outputs_are_written_together_or_not_at_all(tmp_path: Path) -> None:
    (tmp_path / "units.csv").write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        write_files_together(tmp_path, {"units.csv": "new\n", "codes.csv": "bad \ud800 text"})
    assert (tmp_path / "units.csv").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["units.csv"]


def _bad_files(folder: Path) -> dict[str, Path]:
    """One file of each kind of bad input (and an empty folder beside them)."""
    folder.mkdir(parents=True)
    (folder / "empty-folder").mkdir()
    files = {
        "unsupported extension": folder / "notes.xyz",
        "missing file": folder / "missing.txt",
        "empty file": folder / "empty.txt",
        "binary": folder / "binary.txt",
        "broken VTT": folder / "broken.vtt",
        "fake docx": folder / "fake.docx",
    }
    files["unsupported extension"].write_text("Interviewer: hi\nP1: hello there\n")
    files["empty file"].write_bytes(b"")
    files["binary"].write_bytes(bytes(range(256)) * 8)
    files["broken VTT"].write_text("WEBVTT\n\n00:00:01.000 --> x\nP1: hello\n")
    files["fake docx"].write_text("this is not a zip archive")
    return files
