"""Benchmark assignment (benchmarks/otter_assignment): softmax and scaled dot-product attention.

The two code tasks of the small assignment graded side by side by our grader and by
Otter-Grader in ``benchmarks/bench_otter.py``:

* ``softmax(x)``: softmax over the last dimension, numerically stable (the row maximum is
  subtracted before exponentiating, so inputs of size 1000 give no inf/NaN);
* ``scaled_dot_product_attention(q, k, v)``: softmax(Q K^T / sqrt(d_k)) V (Vaswani et al.,
  2017, eq. 1), no mask, returning only the output tensor (the weights are not returned).

Both work on any leading batch dimensions, keep the inputs' dtype, and compute on the
inputs' device (nothing here picks a device). Checked against ``torch.softmax`` and
``torch.nn.functional.scaled_dot_product_attention`` in float64.

Shapes: T query positions, S key/value positions, d_k key width, d_v value width,
``...`` any batch dimensions (possibly none).
"""

from __future__ import annotations

import math

import torch

__all__ = ["softmax", "scaled_dot_product_attention"]


def softmax(x: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dimension, stable for large inputs.

    x: (..., N) floating point. Returns (..., N), same dtype and device; each row sums to 1.
    softmax(x)_i = exp(x_i - max_j x_j) / sum_j exp(x_j - max_j x_j).
    """
    shifted = x - x.amax(dim=-1, keepdim=True)  # (..., N), max of each row is 0
    e = torch.exp(shifted)  # (..., N), in (0, 1]
    return e / e.sum(dim=-1, keepdim=True)  # (..., N)


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V, no mask.

    q: (..., T, d_k); k: (..., S, d_k); v: (..., S, d_v), same dtype and device.
    Returns the output only: (..., T, d_v).
    """
    d_k = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (..., T, S)
    weights = softmax(scores)  # (..., T, S), rows sum to 1 over the keys
    return weights @ v  # (..., T, d_v)
