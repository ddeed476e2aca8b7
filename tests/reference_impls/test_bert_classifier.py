"""Tests of reference_impls.bert_classifier: [CLS] fine-tuning reaches high held-out accuracy."""

from __future__ import annotations

import torch

from reference_impls.bert_classifier import (
    VOCAB,
    BertClassifier,
    BertConfig,
    finetune,
    make_sentiment_data,
)


def test_synthetic_data_is_seeded_and_starts_with_cls() -> None:
    a, b = make_sentiment_data(50, seed=3), make_sentiment_data(50, seed=3)
    assert a.sentences == b.sentences and torch.equal(a.idx, b.idx)
    assert (a.idx[:, 0] == VOCAB.index("[CLS]")).all()
    assert torch.equal(a.pad, a.idx == VOCAB.index("[PAD]"))
    assert 0.3 < a.labels.float().mean() < 0.7


def test_cls_state_sees_the_whole_sentence_bidirectionally() -> None:
    model = BertClassifier(BertConfig(), seed=0).eval()
    data = make_sentiment_data(1, seed=0)
    idx = data.idx.clone()
    last = int((~data.pad[0]).sum()) - 1
    idx[0, last] = VOCAB.index("awful") if idx[0, last] != VOCAB.index("awful") else 2
    with torch.no_grad():
        h0 = model.hidden_states(data.idx, data.pad)[:, 0]
        h1 = model.hidden_states(idx, data.pad)[:, 0]
    assert not torch.allclose(h0, h1)  # no causal mask: position 0 attends to the last word


def test_padding_does_not_change_the_prediction() -> None:
    model = BertClassifier(BertConfig(), seed=0).eval()
    data = make_sentiment_data(4, seed=1)
    with torch.no_grad():
        full = model(data.idx, data.pad)
        n = int((~data.pad[0]).sum())
        alone = model(data.idx[:1, :n], data.pad[:1, :n])
    torch.testing.assert_close(full[:1], alone, rtol=1e-4, atol=1e-5)


def test_finetuning_reaches_high_held_out_accuracy(device: str) -> None:
    result = finetune(seed=0, device=device)
    assert result.losses[-1] < 0.2 * result.losses[0]
    assert result.test_accuracy > 0.9
