"""Attention: the seq2seq context vector, scaled dot-product attention, multi-head attention.

Implements
* ``context_vector``: Bahdanau/Luong seq2seq attention read-out c_t = sum_i alpha_i s_i
  (mid-sem Section A, Q1: s_1=[2,-1,0], s_2=[-1,2,1], s_3=[1,1,-1], alpha=[.4,.3,.3]
  gives c_t = [0.8, 0.5, 0]).
* ``scaled_dot_product_attention``: softmax(Q K^T / sqrt(d_k) + mask) V (Vaswani et al.,
  2017, eq. 1) with an optional causal mask and a boolean or additive mask.
* ``MultiHeadAttention``: W_Q, W_K, W_V, W_O with explicit head split/merge.
* ``score_variance``: Monte Carlo check of mid-sem Question 2 (c): for q, k with i.i.d.
  zero-mean unit-variance entries, Var(q.k / sqrt(d_k)) = 1 while Var(q.k) = d_k.

Checked against: the seed's numbers, ``F.scaled_dot_product_attention`` and
``nn.MultiheadAttention`` (same weights), and the closed-form variances 1 and d_k.

Shapes: B batch, T query positions, S key/value positions, D = d_model, H heads,
Dh = D // H = d_k.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from reference_impls._common import DeviceLike, generator, resolve_device

__all__ = [
    "context_vector",
    "causal_mask",
    "AttentionOutput",
    "scaled_dot_product_attention",
    "split_heads",
    "merge_heads",
    "MultiHeadAttention",
    "ScoreVariance",
    "score_variance",
]


def context_vector(alpha: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """c_t = sum_i alpha_i s_i.

    alpha: (..., S) attention weights of one decoder step; s: (..., S, D) encoder states.
    Returns (..., D).
    """
    return (alpha.unsqueeze(-1) * s).sum(dim=-2)  # sum_i alpha_i s_i: (..., D)


def causal_mask(T: int, S: int | None = None, device: DeviceLike = None) -> torch.Tensor:
    """Boolean (T, S) mask, True where query i may attend to key j, i.e. j <= i.

    Aligned top-left like ``F.scaled_dot_product_attention(is_causal=True)``.
    """
    S = T if S is None else S
    return torch.ones(T, S, dtype=torch.bool, device=resolve_device(device)).tril()


class AttentionOutput(NamedTuple):
    """Result of scaled dot-product attention."""

    output: torch.Tensor  # (..., T, Dv)
    weights: torch.Tensor  # alpha: (..., T, S), rows sum to 1


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    causal: bool = False,
) -> AttentionOutput:
    """Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + M) V.

    q: (..., T, d_k); k: (..., S, d_k); v: (..., S, Dv).
    mask: broadcastable to (..., T, S); boolean (True = may attend, as in torch) or
    additive float (0 or -inf, added to the scores). causal: also hide keys j > i.
    Returns output (..., T, Dv) and weights alpha (..., T, S).
    """
    d_k = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (..., T, S)
    if causal:
        allowed = causal_mask(q.shape[-2], k.shape[-2], device=q.device)
        scores = scores.masked_fill(~allowed, float("-inf"))
    if mask is not None:
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask
    alpha = F.softmax(scores, dim=-1)  # (..., T, S)
    return AttentionOutput(alpha @ v, alpha)  # (..., T, Dv)


def split_heads(x: torch.Tensor, H: int) -> torch.Tensor:
    """(B, T, D) -> (B, H, T, Dh): head h gets columns h*Dh..(h+1)*Dh-1."""
    B, T, D = x.shape
    return x.view(B, T, H, D // H).transpose(1, 2)  # (B, H, T, Dh)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, H, T, Dh) -> (B, T, D): Concat(head_1, ..., head_H)."""
    B, H, T, Dh = x.shape
    return x.transpose(1, 2).contiguous().view(B, T, H * Dh)  # (B, T, D)


class MultiHeadAttention(nn.Module):
    """MultiHead(X_q, X_kv) = Concat(head_1..head_H) W_O,
    head_h = Attention(X_q W_Q^(h), X_kv W_K^(h), X_kv W_V^(h)).

    The H per-head (D x Dh) projections are stored side by side as one D x D matrix each
    for W_Q, W_K, W_V (``nn.Linear``, y = x W^T + b).
    """

    def __init__(self, D: int, H: int, bias: bool = True, device: DeviceLike = None) -> None:
        super().__init__()
        if D % H:
            raise ValueError(f"D={D!r} is not divisible by H={H!r}")
        dev = resolve_device(device)
        self.H = H
        self.W_Q = nn.Linear(D, D, bias=bias, device=dev)
        self.W_K = nn.Linear(D, D, bias=bias, device=dev)
        self.W_V = nn.Linear(D, D, bias=bias, device=dev)
        self.W_O = nn.Linear(D, D, bias=bias, device=dev)

    def forward(
        self,
        x_q: torch.Tensor,
        x_kv: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        causal: bool = False,
    ) -> torch.Tensor:
        """x_q: (B, T, D); x_kv: (B, S, D), defaults to x_q (self-attention).
        mask: as in ``scaled_dot_product_attention``, broadcastable to (B, H, T, S).
        Returns (B, T, D)."""
        x_kv = x_q if x_kv is None else x_kv
        q = split_heads(self.W_Q(x_q), self.H)  # (B, H, T, Dh)
        k = split_heads(self.W_K(x_kv), self.H)  # (B, H, S, Dh)
        v = split_heads(self.W_V(x_kv), self.H)  # (B, H, S, Dh)
        heads = scaled_dot_product_attention(q, k, v, mask, causal).output  # (B, H, T, Dh)
        return self.W_O(merge_heads(heads))  # (B, T, D)


class ScoreVariance(NamedTuple):
    """Sample variances of attention scores over n_samples draws of (q, k)."""

    var_scaled: float  # Var(q.k / sqrt(d_k)), theory 1
    var_unscaled: float  # Var(q.k), theory d_k


def score_variance(
    d_k: int, n_samples: int = 100_000, seed: int = 0, device: DeviceLike = None
) -> ScoreVariance:
    """Monte Carlo estimate with q, k ~ N(0, I_{d_k}) (any zero-mean unit-variance law works).

    Var(S) = sum_i Var(q_i k_i) = d_k for S = q.k, hence Var(S / sqrt(d_k)) = 1.
    """
    dev = resolve_device(device)
    g = generator(seed, dev)
    q = torch.randn(n_samples, d_k, generator=g, device=dev, dtype=torch.float64)
    k = torch.randn(n_samples, d_k, generator=g, device=dev, dtype=torch.float64)
    S = (q * k).sum(dim=-1)  # q.k: (n_samples,)
    return ScoreVariance(float((S / math.sqrt(d_k)).var()), float(S.var()))
