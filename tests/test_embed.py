"""The embedder on the real offline MiniLM: the on-disk cache spares a second run, the in-process
memo stays bounded, and every path gives the same vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autocode.embed import Embedder, EmbeddingCache

TEXTS = [
    "We retrain the model every month because the data drifts.",
    "The client expected ninety-nine percent accuracy from day one.",
    "Talking to the domain experts told us which features mattered.",
    "We retrain the model every month because the data drifts.",
]


def counting(embedder: Embedder, texts: list[str]) -> tuple[np.ndarray, int]:
    """Vectors for `texts` and how many texts the model itself had to embed."""
    computed: list[int] = []
    vectors = embedder.encode(texts, progress=computed.append)
    return vectors, sum(computed)


def test_a_second_run_over_the_same_texts_embeds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.sqlite"
    first, computed_first = counting(Embedder(cache=EmbeddingCache(path)), TEXTS)
    second, computed_second = counting(Embedder(cache=EmbeddingCache(path)), TEXTS)
    assert computed_first == 3
    assert computed_second == 0
    np.testing.assert_array_equal(first, second)
    assert first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(first[0], first[3])


def test_rows_come_back_in_the_order_of_the_texts_whatever_the_batching() -> None:
    texts = ["Yeah.", *TEXTS[:3], "Okay, so that is the whole story of our deployment pipeline."]
    alone = np.vstack([Embedder(memo_size=0).encode_uncached([text]) for text in texts])
    batches: list[int] = []
    together = Embedder(batch_size=2).encode_uncached(texts, progress=batches.append)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert batches == [2, 2, 1]


def test_the_memo_keeps_only_the_most_recent_vectors() -> None:
    embedder = Embedder(memo_size=2)
    reference = Embedder(memo_size=0).encode(TEXTS)
    vectors, computed = counting(embedder, TEXTS)
    assert computed == 3
    np.testing.assert_allclose(vectors, reference, atol=1e-6)
    assert len(embedder._memo) == 2
    _, recomputed = counting(embedder, TEXTS[1:3])
    assert recomputed == 0
    _, recomputed = counting(embedder, TEXTS[:1])
    assert recomputed == 1


def test_no_texts_give_an_empty_matrix_of_the_model_width() -> None:
    assert Embedder().encode([]).shape == (0, 384)


def test_a_negative_memo_size_is_refused() -> None:
    with pytest.raises(ValueError, match="memo_size"):
        Embedder(memo_size=-1)
