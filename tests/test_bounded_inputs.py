"""Files autocode reads besides transcripts are bounded too: corpora and saturation baselines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import hostile_builders as hb
from autocode.corpus import load_corpus
from autocode.errors import InputError
from autocode.models import resolve_corpus
from autocode.saturation.baseline import FORMAT, FORMAT_VERSION, VECTORS_FILE, load_baseline


def test_an_oversized_corpus_file_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(resolve_corpus("seed"), corpus)
    assert len(load_corpus(corpus).excerpts) == 159
    monkeypatch.setenv("AUTOCODE_MAX_TEXT_MB", "0.01")
    with pytest.raises(InputError, match=r"over the .* limit for corpus files"):
        load_corpus(corpus)


def test_a_baseline_that_unpacks_to_gigabytes_is_refused(tmp_path: Path) -> None:
    document = {"format": FORMAT, "format_version": FORMAT_VERSION}
    (tmp_path / "codes.json").write_text(json.dumps(document))
    npy = hb.Member("vectors.npy", [(b"\x93NUMPY", 1), (b"\0" * hb.MB, 3 * 1024)])
    hb.write_zip(tmp_path / VECTORS_FILE, [npy])
    with pytest.raises(InputError, match=r"vectors\.npy") as raised:
        load_baseline(tmp_path)
    assert str(raised.value).startswith(str(tmp_path / VECTORS_FILE))
