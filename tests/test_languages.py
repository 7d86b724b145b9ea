"""Interviews in other languages: detection, lexicons, the tab-separated and ELAN readers, the
multilingual backend, and the commands on real German, Italian and Hungarian material (a model
trained on one coder of the Hungarian NVivo project codes a new interview, which is then reviewed
in headless Chromium)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autocode.cluster.keywords import tokenize
from autocode.embed import Embedder, backend_for_languages
from autocode.errors import InputError
from autocode.io import read
from autocode.language import LEXICON_LANGUAGES, detect_language, lexicon
from autocode.language.notices import lexicon_notices
from autocode.segment import SegmentConfig, looks_like_interviewer, segment
from autocode.store import Project
from review_server import REVIEWER, start_server

ITALIAN = (
    "Allora, io sono nata a Torino e ho sempre abitato in Borgo Vittoria con mio marito. "
    "Da giovane andavo a ballare tutte le domeniche, e poi lavoravo nel negozio di mia madre."
)
GERMAN = (
    "Also ich habe damals beim Hörspielverlag angefangen, und wir haben die Aufnahmen immer "
    "im eigenen Studio gemacht, weil uns die Qualität sehr wichtig war."
)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autocode", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def test_the_language_of_a_text_is_detected_offline() -> None:
    assert detect_language(ITALIAN).code == "it"
    assert detect_language(GERMAN).code == "de"
    assert detect_language("The model was retrained every week on new data.").code == "en"
    assert detect_language("Ciao!") is None  # too few letters to tell


def test_every_lexicon_has_stop_words_prototypes_and_roles() -> None:
    for code in LEXICON_LANGUAGES:
        found = lexicon(code)
        assert found.known and len(found.stop_words) > 200, code
        assert len(found.prototypes) >= 10 and found.small_talk and found.interviewer_roles
    hungarian = lexicon("hu")
    assert not hungarian.known and hungarian.stop_words  # spaCy's list, nothing of ours
    assert lexicon_notices(["hu", "it"]) == [
        "no lexicon for language 'hu': candidate codes use spaCy's stop words and the embedder "
        "alone (no fillers, backchannels or small-talk words of that language)"
    ]


def test_fillers_and_function_words_of_a_language_are_not_content_words() -> None:
    words = tokenize(
        ["allora un po' questo che si mh ehm, il negozio di mia madre"], languages=["it"]
    )
    assert [w for w in words[0] if w] == ["negozio", "madre"]
    english_only = tokenize(["allora un po' questo che si mh ehm"])[0]
    assert "allora" in english_only  # what the English lexicon alone made of Italian


def test_interviewer_roles_are_recognised_in_several_languages() -> None:
    for name in ("Intervistatore", "Interviewerin", "Entrevistadora", "Enquêteur", "I", "Q"):
        assert looks_like_interviewer(name), name
    for name in ("Befragte", "Intervistato", "Maria", "B"):
        assert not looks_like_interviewer(name), name


def test_role_labels_of_other_languages_are_speakers_even_once(tmp_path: Path) -> None:
    path = tmp_path / "intervista.txt"
    path.write_text(
        "Intervistatore: Come ha iniziato a lavorare in fabbrica, e quando?\n\n"
        "Intervistata: Ho iniziato nel 1975, dopo la scuola media, perché mio padre lavorava già "
        "lì da anni.\n",
        encoding="utf-8",
    )
    transcript = read(path)
    assert [turn.speaker for turn in transcript.turns] == ["Intervistatore", "Intervistata"]
    units = segment(transcript, SegmentConfig(coherence=False))
    assert {unit.speaker for unit in units} == {"Intervistata"}
    assert looks_like_interviewer("Interviewer(in)")


def test_a_tab_separated_transcript_reads_with_exact_offsets(tmp_path: Path) -> None:
    path = tmp_path / "talk.tsv"
    path.write_text(
        "speaker\ttext\nINT\tallora mi racconti\nINT\tdella sua famiglia\n"
        "TOI\tio sono nata a Torino\nTOI\te ho sempre abitato qui\nINT\tcapito\n",
        encoding="utf-8",
    )
    transcript = read(path)
    assert [turn.speaker for turn in transcript.turns] == ["INT", "TOI", "INT"]
    said = [transcript.text[t.start : t.end] for t in transcript.turns]
    assert said[1] == "io sono nata a Torino\ne ho sempre abitato qui"
    assert transcript.metadata["lines_are_units"] is True
    units = segment(transcript, SegmentConfig(coherence=False, interviewers=("INT",)))
    assert units and all(u.text == transcript.text[u.start : u.end] for u in units)
    assert {u.speaker for u in units} == {"TOI"}

    broken = tmp_path / "broken.tsv"
    broken.write_text("INT\thello\nno tab on this line\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2 is not `speaker<TAB>text`"):
        read(broken)


def test_an_elan_file_reads_its_tiers_in_time_order(tmp_path: Path) -> None:
    path = tmp_path / "talk.eaf"
    path.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<ANNOTATION_DOCUMENT FORMAT="3.0" VERSION="3.0">
 <HEADER/>
 <TIME_ORDER>
  <TIME_SLOT TIME_SLOT_ID="t1" TIME_VALUE="0"/><TIME_SLOT TIME_SLOT_ID="t2" TIME_VALUE="900"/>
  <TIME_SLOT TIME_SLOT_ID="t3" TIME_VALUE="1000"/><TIME_SLOT TIME_SLOT_ID="t4" TIME_VALUE="2500"/>
  <TIME_SLOT TIME_SLOT_ID="t5" TIME_VALUE="2600"/><TIME_SLOT TIME_SLOT_ID="t6" TIME_VALUE="3000"/>
 </TIME_ORDER>
 <TIER TIER_ID="B" PARTICIPANT="Befragte">
  <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a2" TIME_SLOT_REF1="t3" TIME_SLOT_REF2="t4">
   <ANNOTATION_VALUE>Ich habe im Studio angefangen &lt;b&gt;</ANNOTATION_VALUE>
  </ALIGNABLE_ANNOTATION></ANNOTATION>
 </TIER>
 <TIER TIER_ID="I" PARTICIPANT="Interviewerin">
  <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a1" TIME_SLOT_REF1="t1" TIME_SLOT_REF2="t2">
   <ANNOTATION_VALUE>Wie haben Sie angefangen?</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION>
  </ANNOTATION>
  <ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a3" TIME_SLOT_REF1="t5" TIME_SLOT_REF2="t6">
   <ANNOTATION_VALUE>Und dann?</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION>
  </ANNOTATION>
 </TIER>
 <TIER TIER_ID="Übersetzung" PARENT_REF="B"/>
</ANNOTATION_DOCUMENT>
""",
        encoding="utf-8",
    )
    transcript = read(path, language="de")
    assert [t.speaker for t in transcript.turns] == ["Interviewerin", "Befragte", "Interviewerin"]
    assert [t.timestamp for t in transcript.turns] == [0.0, 1.0, 2.6]
    turn = transcript.turns[1]
    assert transcript.text[turn.start : turn.end] == "Ich habe im Studio angefangen <b>"
    assert transcript.metadata["language"] == "de"
    assert transcript.metadata["language_source"] == "given"

    hostile = tmp_path / "entity.eaf"
    hostile.write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><ANNOTATION_DOCUMENT/>'
    )
    with pytest.raises(InputError, match=r"entity\.eaf"):
        read(hostile)


def test_mixed_encodings_fail_and_right_to_left_text_reads_exactly(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes(("P1: già così più " * 3).encode() + "perché".encode("latin-1"))
    with pytest.raises(InputError, match="mixes UTF-8 with another encoding"):
        read(mixed)
    arabic = "P1: أعمل في تدريب النماذج منذ خمس سنوات، وأهم مشكلة هي جودة البيانات."
    rtl = tmp_path / "rtl.txt"
    rtl.write_text(arabic, encoding="utf-8")
    transcript = read(rtl)
    turn = transcript.turns[0]
    assert transcript.text[turn.start : turn.end] == arabic[4:]
    assert transcript.metadata["language"] == "ar"


def test_the_multilingual_backend_reads_across_languages() -> None:
    embedder = Embedder(backend="multilingual")
    vectors = embedder.encode(
        ["Thank you very much.", "Grazie mille.", "Vielen Dank.", "The data pipeline broke."]
    )
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 3] and similarity[0, 2] > similarity[0, 3]
    assert embedder.model_id.startswith("multilingual-e5-small-q4@")
    assert embedder.model_id != Embedder(backend="torch").model_id
    assert backend_for_languages(["en", None]) == "torch"
    assert backend_for_languages(["en", "it"]) == "multilingual"


def test_a_file_naming_the_wrong_language_is_corrected(testdata: Path) -> None:
    transcript = read(testdata / "transcripts" / "txt" / "noscribe_interview_de.txt")
    assert transcript.metadata["language"] == "de"  # the noScribe header says English
    assert transcript.metadata["file_language"] == "en"


@pytest.mark.slow
def test_suggest_on_an_italian_interview_speaks_italian(testdata: Path, tmp_path: Path) -> None:
    source = testdata / "multilingual" / "parlato_it_interviews" / "linear-orthographic"
    out = tmp_path / "out"
    done = run_cli(
        "suggest", str(source / "PTB008.txt"), "--out", str(out), "--participants", "TOI024"
    )
    assert done.returncode == 0, done.stderr
    assert "notice: interviews in it: embedding with the multilingual backend" in done.stderr
    import csv

    with (out / "codes.csv").open(encoding="utf-8") as handle:
        labels = [row["label"] for row in csv.DictReader(handle)]
    stops = lexicon("it").stop_words
    assert len(labels) >= 5
    assert not [label for label in labels if any(w in stops for w in label.split())]


HUNGARIAN_INTERVIEW = (
    "Kérdező: Mit gondol az oltásról?\n\nP1: Szerintem a gyógyszergyárak csak a profitot "
    "nézik, és a kormány eltitkolja a mellékhatásokat. Én nem oltatom be magam.\n"
)


@pytest.fixture(scope="module")
def hungarian_model(testdata: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on one user's codings of the Hungarian NVivo project."""
    folder = tmp_path_factory.mktemp("hungarian")
    source = testdata / "refi_qda" / "projects" / "nvivo12win_vaccine-skepticism_hu.qdpx"
    project, model = folder / "hu", folder / "model"
    done = run_cli("import", str(source), "--project", str(project))
    assert done.returncode == 0, done.stderr
    done = run_cli(
        "train", "--project", str(project), "--coder", "human:Gergo", "--out", str(model)
    )
    assert done.returncode == 0, done.stderr
    return model


@pytest.fixture(scope="module")
def hungarian_coded(hungarian_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new Hungarian interview coded by that model."""
    folder = tmp_path_factory.mktemp("hungarian-coded")
    interview = folder / "interju.txt"
    interview.write_text(HUNGARIAN_INTERVIEW, encoding="utf-8")
    coded = folder / "coded"
    done = run_cli("code", str(interview), "--model", str(hungarian_model), "--project", str(coded))
    assert done.returncode == 0, done.stderr
    return coded


@pytest.mark.slow
def test_a_hungarian_nvivo_project_trains_and_codes(
    hungarian_model: Path, hungarian_coded: Path, tmp_path: Path
) -> None:
    card = json.loads((hungarian_model / "model.json").read_text(encoding="utf-8"))
    assert card["embedder"]["backend"] == "multilingual"
    assert card["training_data"]["languages"] == ["hu"]
    names = {code["name"] for code in card["codebook"]["themes"]}
    assert "Big Pharma" in names and "politikusokkal szembeli bizalmatlanság" in names
    with Project.open(hungarian_coded) as store:
        assert store.get_transcript("interju").text == HUNGARIAN_INTERVIEW
        assert store.codings()
    # The model brings its backend along; another backend is refused with the hint.
    interview = hungarian_coded.parent / "interju.txt"
    done = run_cli("code", str(interview), "--model", str(hungarian_model), "--project",
                   str(tmp_path / "p2"), "--backend", "torch")  # fmt: skip
    assert done.returncode != 0 and "--backend multilingual" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.browser
def test_a_hungarian_interview_is_reviewed_in_the_browser(hungarian_coded: Path, browser) -> None:
    code_name = "politikusokkal szembeli bizalmatlanság"
    server = start_server(hungarian_coded)
    try:
        page = browser.new_page()
        page.goto(server.url)
        page.wait_for_selector("body[data-renders='1']")
        shown = page.locator("#unit-text .text").text_content()
        assert shown and shown in HUNGARIAN_INTERVIEW  # exactly, accents included
        assert any(ch in shown for ch in "áéíóöőúüű")
        evidence = " ".join(page.locator("#evidence q").all_text_contents())
        assert any(ch in evidence for ch in "áéíóöőúüű")  # the trained project's own units
        page.click(f"#codes button[title^='{code_name}'], #codes button:has-text('{code_name}')")
        page.wait_for_selector("body[data-renders='2']", timeout=30_000)
        page.close()
    finally:
        server.stop()
    with Project.open(hungarian_coded) as store:
        names = {code.id: code.name for code in store.codebook(store.codebooks()[0]).codes}
        reviewed = [names[c.code_id] for c in store.codings(coder=REVIEWER)]
    assert reviewed == [code_name]
