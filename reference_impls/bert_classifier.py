"""Sequence classification with a BERT-like encoder: a linear head on the [CLS] state.

Implements mid-sem Question 3 (a) (Devlin et al., 2019, section 4.1): prepend [CLS], run a
bidirectional Transformer encoder (no causal mask, padding masked out), take the final
hidden state h_[CLS] of the first position, logits = h_[CLS] W^T + b, and fine-tune encoder
and head together with cross-entropy. With no downloadable checkpoint, the small encoder
starts from a seeded random initialisation; the fine-tuning procedure is the same.

Data: ``make_sentiment_data`` builds a synthetic binary sentiment set from templates
("the plot was really wonderful", "i found the acting dull") where the label is the
polarity of the opinion words; positions and fillers vary, so the model has to find them.

Checked against: held-out accuracy after a few seconds of training (> 0.9) and the
bidirectionality of h_[CLS] (a change of the last token changes it).

Shapes: B batch, T sequence length (incl. [CLS]), D model width, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from reference_impls._common import DeviceLike, resolve_device

__all__ = [
    "VOCAB",
    "SentimentData",
    "make_sentiment_data",
    "BertConfig",
    "BertClassifier",
    "classification_loss",
    "FinetuneResult",
    "finetune",
]

POSITIVE = ["good", "great", "wonderful", "brilliant", "enjoyable", "superb", "moving", "fun"]
NEGATIVE = ["bad", "awful", "terrible", "boring", "dull", "poor", "weak", "tedious"]
NOUNS = ["movie", "film", "plot", "acting", "story", "ending", "cast", "script"]
INTENSIFIERS = ["really", "very", "quite", "so", "rather", "truly"]
TEMPLATES = [
    "the {n} was {i} {a}",
    "i found the {n} {a}",
    "{a} {n} and a {i} {b} {m}",
    "what a {a} {n}",
    "the {n} is {a} and the {m} is {b}",
    "honestly the {n} felt {i} {a} to me",
]
PAD, CLS = "[PAD]", "[CLS]"
FILLERS = sorted({w for t in TEMPLATES for w in t.split() if not w.startswith("{")})
VOCAB = [PAD, CLS, *FILLERS, *NOUNS, *INTENSIFIERS, *POSITIVE, *NEGATIVE]
MAX_LEN = 12  # [CLS] + at most 11 words


class SentimentData(NamedTuple):
    """Token ids, padding mask and labels of a synthetic sentiment set."""

    idx: torch.Tensor  # (N, T) ids, [CLS] first, [PAD]-padded
    pad: torch.Tensor  # (N, T) bool, True at padding
    labels: torch.Tensor  # (N,) 1 positive, 0 negative
    sentences: list[str]


def make_sentiment_data(n: int, seed: int, device: DeviceLike = None) -> SentimentData:
    """n templated sentences; label 1 uses positive words, 0 negative ones."""
    g = torch.Generator().manual_seed(int(seed))

    def pick(words: list[str]) -> str:
        return words[int(torch.randint(len(words), (1,), generator=g))]

    stoi = {w: i for i, w in enumerate(VOCAB)}
    ids, labels, sentences = [], [], []
    for _ in range(n):
        y = int(torch.randint(2, (1,), generator=g))
        opinion = POSITIVE if y == 1 else NEGATIVE
        s = pick(TEMPLATES).format(
            n=pick(NOUNS), m=pick(NOUNS), i=pick(INTENSIFIERS), a=pick(opinion), b=pick(opinion)
        )
        row = [stoi[CLS]] + [stoi[w] for w in s.split()]
        ids.append(row + [stoi[PAD]] * (MAX_LEN - len(row)))
        labels.append(y)
        sentences.append(s)
    dev = resolve_device(device)
    idx = torch.tensor(ids, device=dev)  # (N, T)
    return SentimentData(idx, idx == stoi[PAD], torch.tensor(labels, device=dev), sentences)


@dataclass(frozen=True)
class BertConfig:
    """Size of the encoder; post-LN layers with GELU as in BERT."""

    vocab_size: int = len(VOCAB)
    max_len: int = MAX_LEN
    d_model: int = 32
    n_head: int = 2
    n_layer: int = 2
    d_ff: int = 64
    n_classes: int = 2


class BertClassifier(nn.Module):
    """Token + learned position embeddings, LayerNorm, bidirectional encoder, [CLS] head."""

    def __init__(self, cfg: BertConfig, seed: int = 0, device: DeviceLike = None) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):  # seeded init on CPU, global RNG untouched
            torch.manual_seed(seed)
            self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
            self.pos_emb = nn.Embedding(cfg.max_len, cfg.d_model)
            self.emb_norm = nn.LayerNorm(cfg.d_model)
            layer = nn.TransformerEncoderLayer(
                cfg.d_model, cfg.n_head, cfg.d_ff, dropout=0.0, activation="gelu", batch_first=True
            )
            self.encoder = nn.TransformerEncoder(layer, cfg.n_layer, enable_nested_tensor=False)
            self.head = nn.Linear(cfg.d_model, cfg.n_classes)  # W: (n_classes, D)
        self.to(resolve_device(device))

    def hidden_states(self, idx: torch.Tensor, pad: torch.Tensor | None = None) -> torch.Tensor:
        """idx: (B, T); pad: (B, T) bool, True = padding. Returns (B, T, D), no causal mask."""
        pos = torch.arange(idx.shape[1], device=idx.device)  # (T,)
        x = self.emb_norm(self.tok_emb(idx) + self.pos_emb(pos))  # (B, T, D)
        return self.encoder(x, src_key_padding_mask=pad)  # every token sees every token

    def forward(self, idx: torch.Tensor, pad: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits from the [CLS] state: (B, T) -> (B, n_classes)."""
        h_cls = self.hidden_states(idx, pad)[:, 0]  # h_[CLS]: (B, D)
        return self.head(h_cls)  # h_[CLS] W^T + b


def classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy -mean_b log softmax(logits_b)[y_b]; logits (B, C), labels (B,)."""
    return F.cross_entropy(logits, labels)


class FinetuneResult(NamedTuple):
    """Outcome of ``finetune``."""

    model: BertClassifier
    losses: list[float]  # training loss per step
    test_accuracy: float  # on a held-out set drawn with a different seed


def finetune(
    seed: int = 0,
    steps: int = 150,
    batch_size: int = 32,
    lr: float = 3e-3,
    n_train: int = 1000,
    n_test: int = 500,
    device: DeviceLike = None,
) -> FinetuneResult:
    """Fine-tune encoder + head with AdamW on the synthetic set; report held-out accuracy."""
    dev = resolve_device(device)
    train = make_sentiment_data(n_train, seed, dev)
    test = make_sentiment_data(n_test, seed + 10_000, dev)
    model = BertClassifier(BertConfig(), seed, dev)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(int(seed))
    losses = []
    for _ in range(steps):
        b = torch.randint(n_train, (batch_size,), generator=g).to(dev)  # minibatch rows
        loss = classification_loss(model(train.idx[b], train.pad[b]), train.labels[b])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        pred = model(test.idx, test.pad).argmax(dim=-1)  # (N_test,)
    return FinetuneResult(model, losses, float((pred == test.labels).float().mean()))
