"""Layer normalization, batch normalization and the Add & Norm residual blocks.

Implements, from scratch:
* ``layer_norm`` / ``LayerNorm`` (Ba et al., 2016): per token, over its D features,
  y = gamma * (x - mu) / sqrt(sigma^2 + eps) + beta.
* ``batch_norm`` / ``BatchNorm`` (Ioffe & Szegedy, 2015): per feature, over the batch
  (and time) axes, with running statistics used in eval mode.
* ``PostLNResidual``: Add & Norm as in the Transformer paper, x <- LN(x + Sublayer(x)).
* ``PreLNResidual``: GPT-2's order, x <- x + Sublayer(LN(x)).

Mid-sem Question 2 (b): LayerNorm normalizes each token on its own, so its output does not
depend on the other sequences of the batch, the padding or the batch size; BatchNorm's
training-mode output does, and its statistics are unreliable for small batches and
variable-length sequences. The tests show both facts numerically.

Checked against: ``F.layer_norm``, ``nn.BatchNorm1d`` (outputs and running statistics,
train and eval) and ``nn.TransformerEncoderLayer`` with ``norm_first`` False/True.

Shapes: B batch, T time, D features (C for BatchNorm's channel axis).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn as nn

from reference_impls._common import DeviceLike, resolve_device

__all__ = [
    "layer_norm",
    "BatchNormOutput",
    "batch_norm",
    "LayerNorm",
    "BatchNorm",
    "PostLNResidual",
    "PreLNResidual",
]


def layer_norm(
    x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float = 1e-5
) -> torch.Tensor:
    """x: (..., D); gamma, beta: (D,). Returns (..., D) normalized over the last axis."""
    mu = x.mean(dim=-1, keepdim=True)  # mu = (1/D) sum_j x_j: (..., 1)
    var = x.var(dim=-1, keepdim=True, unbiased=False)  # sigma^2 = (1/D) sum_j (x_j - mu)^2
    return gamma * (x - mu) / torch.sqrt(var + eps) + beta


class BatchNormOutput(NamedTuple):
    """Normalized activations and the updated running statistics."""

    y: torch.Tensor  # same shape as x
    running_mean: torch.Tensor  # (C,)
    running_var: torch.Tensor  # (C,)


def batch_norm(
    x: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    running_mean: torch.Tensor,
    running_var: torch.Tensor,
    training: bool,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> BatchNormOutput:
    """x: (B, C) or (B, C, T) as in ``nn.BatchNorm1d``; gamma, beta, running stats: (C,).

    training: normalize with the batch statistics over every axis but C and return
    running <- (1 - momentum) running + momentum batch (variance unbiased, as torch does);
    eval: normalize with the running statistics, which are returned unchanged.
    """
    axes = [0] if x.dim() == 2 else [0, 2]
    shape = (1, -1) if x.dim() == 2 else (1, -1, 1)  # broadcast (C,) over x
    if training:
        mu = x.mean(dim=axes)  # mu_B: (C,)
        var = x.var(dim=axes, unbiased=False)  # sigma_B^2: (C,)
        n = x.numel() // x.shape[1]
        running_mean = (1 - momentum) * running_mean + momentum * mu
        running_var = (1 - momentum) * running_var + momentum * var * n / max(n - 1, 1)
    else:
        mu, var = running_mean, running_var
    x_hat = (x - mu.view(shape)) / torch.sqrt(var.view(shape) + eps)  # (x - mu) / sigma
    return BatchNormOutput(gamma.view(shape) * x_hat + beta.view(shape), running_mean, running_var)


class LayerNorm(nn.Module):
    """LayerNorm over the last axis with trainable gamma (ones) and beta (zeros), (D,) each."""

    def __init__(self, D: int, eps: float = 1e-5, device: DeviceLike = None) -> None:
        super().__init__()
        dev = resolve_device(device)
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(D, device=dev))
        self.beta = nn.Parameter(torch.zeros(D, device=dev))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (..., D) -> (..., D)."""
        return layer_norm(x, self.gamma, self.beta, self.eps)


class BatchNorm(nn.Module):
    """BatchNorm over C features of (B, C) or (B, C, T) inputs, with running statistics.

    ``train()`` uses and updates batch statistics; ``eval()`` uses the running ones.
    """

    def __init__(
        self, C: int, momentum: float = 0.1, eps: float = 1e-5, device: DeviceLike = None
    ) -> None:
        super().__init__()
        dev = resolve_device(device)
        self.momentum, self.eps = momentum, eps
        self.gamma = nn.Parameter(torch.ones(C, device=dev))
        self.beta = nn.Parameter(torch.zeros(C, device=dev))
        self.register_buffer("running_mean", torch.zeros(C, device=dev))
        self.register_buffer("running_var", torch.ones(C, device=dev))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C) or (B, C, T) -> same shape."""
        out = batch_norm(
            x,
            self.gamma,
            self.beta,
            self.running_mean,
            self.running_var,
            self.training,
            self.momentum,
            self.eps,
        )
        if self.training:  # the buffers are module state: store the new statistics
            with torch.no_grad():
                self.running_mean.copy_(out.running_mean)
                self.running_var.copy_(out.running_var)
        return out.y


class PostLNResidual(nn.Module):
    """Add & Norm of the Transformer paper: x <- LN(x + Sublayer(x))."""

    def __init__(
        self, sublayer: Callable[[torch.Tensor], torch.Tensor], D: int, device: DeviceLike = None
    ) -> None:
        super().__init__()
        self.sublayer = sublayer
        self.norm = LayerNorm(D, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D)."""
        return self.norm(x + self.sublayer(x))


class PreLNResidual(nn.Module):
    """Pre-LN residual (GPT-2): x <- x + Sublayer(LN(x)); the residual path stays un-normalized."""

    def __init__(
        self, sublayer: Callable[[torch.Tensor], torch.Tensor], D: int, device: DeviceLike = None
    ) -> None:
        super().__init__()
        self.sublayer = sublayer
        self.norm = LayerNorm(D, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D)."""
        return x + self.sublayer(self.norm(x))
