"""report.html in a real browser: headless Chromium renders it from file:// with no network, the
screenshot shows the theme highlight colours, and the DOM holds the transcripts and code labels.
Skips only where no Chromium is installed (.ci/run installs Debian's)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autocode.classify import ThemeClassifier
from autocode.corpus import load_corpus
from autocode.embed import Embedder
from autocode.errors import InputError
from autocode.io import read_many
from autocode.models import excerpts_from_corpus
from autocode.models.evidence import EvidenceIndex
from autocode.report.html_assets import highlight, theme_colours
from autocode.suggest import Suggestions, suggest_codes
from autocode.suggest.output import suggestions_report

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "transcripts"
SEED_INTERVIEWS = ["P1_interview.txt", "P3_interview.txt", "P6_interview.txt"]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
)  # fmt: skip
WINDOW = (1280, 2000)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def classifier(embedder: Embedder) -> ThemeClassifier:
    """The shipped model when it loads; else one fitted on the seed excerpts with a fixed
    threshold (seconds, where the shipped configuration takes half a minute)."""
    try:
        return ThemeClassifier.load(REPO / "models" / "seed-themes")
    except InputError:
        texts, labels, groups = load_corpus(REPO / "corpus" / "seed").theme_examples()
        model = ThemeClassifier(threshold=0.5).use_embedder(embedder)
        return model.fit(texts, labels, groups=groups)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="module")
def rendered(
    classifier: ThemeClassifier, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Suggestions, Path]:
    corpus = load_corpus(REPO / "corpus" / "seed")
    transcripts, errors = read_many([EXAMPLES / name for name in SEED_INTERVIEWS])
    assert not errors
    result = suggest_codes(
        transcripts,
        classifier,
        EvidenceIndex.from_excerpts(excerpts_from_corpus(corpus), embedder),
        embedder=embedder,
        themes=corpus.codebook.codes,
    )
    page = tmp_path_factory.mktemp("report") / "report.html"
    page.write_text(suggestions_report(result), encoding="utf-8")
    return result, page


def _chromium(browser: str, page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_screenshot_shows_the_theme_highlights(
    browser: str, rendered: tuple[Suggestions, Path], tmp_path: Path
) -> None:
    result, page = rendered
    shot = tmp_path / "report.png"
    run = _chromium(
        browser,
        page,
        tmp_path / "profile",
        f"--screenshot={shot}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    )
    assert shot.is_file(), run.stderr[-2000:]
    assert "Uncaught" not in run.stderr  # the report's script ran without an error
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert image.shape == (WINDOW[1], WINDOW[0], 3)
    pixels = image.reshape(-1, 3)
    assert (pixels.min(axis=1) < 235).mean() > 0.05  # not a blank page
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    assert len(colours) > 50
    present = {tuple(c) for c, n in zip(colours, counts, strict=True) if n >= 300}
    palette = theme_colours(len(result.themes), [t.color for t in result.themes])
    shown = [
        theme.id
        for theme, colour in zip(result.themes, palette, strict=True)
        if tuple(int(highlight(colour)[k : k + 2], 16) for k in (1, 3, 5)) in present
    ]
    top_themes = {result.suggested_themes(i)[0] for i in range(12) if result.suggested_themes(i)}
    assert len(shown) >= 2 and top_themes & set(shown), (shown, top_themes)


def test_dom_holds_the_transcripts_and_the_codes(
    browser: str, rendered: tuple[Suggestions, Path], tmp_path: Path
) -> None:
    result, page = rendered
    run = _chromium(browser, page, tmp_path / "profile", "--dump-dom")
    dom = run.stdout
    assert dom.count("<mark ") == len(result.units), run.stderr[-2000:]
    assert "I think scope creep is the greatest failure." in dom
    assert "There's a lot of a nuance in requirements" in dom
    assert result.codes.codes
    for code in result.codes.codes:
        assert f'id="code-{code.id}"' in dom
        assert code.label.replace("&", "&amp;") in dom
    assert "Expertise and access to data" in dom and "Themes by participant" in dom


def test_clicking_a_unit_opens_its_details_and_a_legend_box_hides_a_theme(
    browser: str, rendered: tuple[Suggestions, Path], tmp_path: Path
) -> None:
    _, page = rendered
    clicked = tmp_path / "clicked.html"
    actions = (
        "<script>document.querySelector('mark.unit').click();"
        "document.querySelector('.legend input[data-theme=\"0\"]').click();</script>"
    )
    clicked.write_text(page.read_text(encoding="utf-8").replace("</body>", actions + "</body>"))
    run = _chromium(browser, clicked, tmp_path / "profile", "--dump-dom")
    assert "Uncaught" not in run.stderr
    assert '<div id="panel" role="dialog" class="open">' in run.stdout, run.stdout[-3000:]
    details = run.stdout.split('<div id="panel-text">', 1)[1].split("</div>", 1)[0]
    assert details.startswith("Suggested: ") and "Nearest hand-coded excerpt PL-" in details
    assert '<body class="hide-t0">' in run.stdout
