"""Prompt tuning vs. prefix tuning on a frozen GPT.

Implements mid-sem Question 6 (a) on the small GPT of ``reference_impls.gpt`` (the one
documented exception to "import only ``_common``"):

* Prompt tuning (Lester et al., 2021): P trainable vectors [p_1..p_P] (P x D) are
  prepended to the token embeddings at the input only; they take positions 0..P-1 and
  the real tokens P..P+T-1. Trainable parameters: P * D.
* Prefix tuning (Li & Liang, 2021): at *every* layer l, P trainable keys K_pre^l and
  values V_pre^l (P x D each, split into heads like ordinary keys) are placed before the
  keys/values of the tokens, so every query attends to them; the tokens keep positions
  0..T-1. Implemented as a KV cache pre-filled with the prefix. Trainable parameters:
  L * 2 * P * D. (The paper trains them through an MLP reparameterisation and keeps only
  the resulting prefixes; we train the prefixes directly, which has that final count.)

In both, every weight of the GPT is frozen; only the soft prompt / prefix is updated.

Checked against: the counts P D and L 2 P D vs. counting ``requires_grad`` parameters,
a loss that falls in a few optimisation steps, and base weights bit-for-bit unchanged.

Shapes: B batch, T tokens, P prompt/prefix length, D width, H heads, Dh = D / H, L layers.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from reference_impls._common import DeviceLike, resolve_device
from reference_impls.gpt import GPT, KVCache

__all__ = [
    "prompt_tuning_param_count",
    "prefix_tuning_param_count",
    "count_trainable",
    "freeze_",
    "SoftPrompt",
    "Prefix",
    "TuningResult",
    "tune",
]


def prompt_tuning_param_count(P: int, D: int) -> int:
    """Trainable parameters of prompt tuning: P vectors of width D."""
    return P * D


def prefix_tuning_param_count(L: int, P: int, D: int) -> int:
    """Trainable parameters of prefix tuning: a key and a value prefix (P x D) per layer."""
    return L * 2 * P * D


def count_trainable(*modules: nn.Module) -> int:
    """Number of parameters with ``requires_grad`` over the modules (shared ones once)."""
    params = {id(p): p for m in modules for p in m.parameters() if p.requires_grad}
    return sum(p.numel() for p in params.values())


def freeze_(model: nn.Module) -> nn.Module:
    """Set requires_grad=False on every parameter of ``model``; returns it."""
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def _small_normal(shape: tuple[int, ...], seed: int, device: torch.device) -> torch.Tensor:
    g = torch.Generator().manual_seed(int(seed))
    return (0.02 * torch.randn(shape, generator=g)).to(device)  # same values on every device


class SoftPrompt(nn.Module):
    """Prompt tuning: a trainable (P, D) soft prompt at the input embeddings."""

    def __init__(self, P: int, D: int, seed: int = 0, device: DeviceLike = None) -> None:
        super().__init__()
        self.prompt = nn.Parameter(_small_normal((P, D), seed, resolve_device(device)))

    def forward(self, model: GPT, idx: torch.Tensor) -> torch.Tensor:
        """Logits of the real tokens: idx (B, T) -> (B, T, V)."""
        B, P = idx.shape[0], self.prompt.shape[0]
        e = model.embed(idx)  # (B, T, D)
        e = torch.cat([self.prompt.expand(B, -1, -1), e], dim=1)  # [p_1..p_P; e]: (B, P+T, D)
        return model.forward_embeddings(e)[:, P:]  # drop the prompt positions: (B, T, V)


class Prefix(nn.Module):
    """Prefix tuning: trainable keys and values (L, P, D) prepended at every layer."""

    def __init__(
        self, L: int, P: int, D: int, H: int, seed: int = 0, device: DeviceLike = None
    ) -> None:
        super().__init__()
        dev = resolve_device(device)
        self.H = H
        self.K_pre = nn.Parameter(_small_normal((L, P, D), seed, dev))
        self.V_pre = nn.Parameter(_small_normal((L, P, D), seed + 1, dev))

    def cache(self, B: int) -> KVCache:
        """A KV cache holding the prefix: per layer (B, H, P, Dh) keys and values."""
        L, P, D = self.K_pre.shape

        def heads(x: torch.Tensor) -> torch.Tensor:  # (P, D) -> (B, H, P, Dh)
            return x.view(P, self.H, D // self.H).transpose(0, 1).expand(B, -1, -1, -1)

        return KVCache.from_prefix(
            [heads(self.K_pre[layer]) for layer in range(L)],
            [heads(self.V_pre[layer]) for layer in range(L)],
        )

    def forward(self, model: GPT, idx: torch.Tensor) -> torch.Tensor:
        """Logits with the prefix visible to every query at every layer: (B, T) -> (B, T, V)."""
        logits, _ = model(idx, self.cache(idx.shape[0]), start_pos=0)  # tokens at 0..T-1
        return logits


class TuningResult(NamedTuple):
    """Outcome of ``tune``."""

    losses: list[float]  # cross-entropy before each step
    n_trainable: int  # parameters that were optimised


def tune(
    model: GPT,
    adapter: SoftPrompt | Prefix,
    idx: torch.Tensor,
    targets: torch.Tensor,
    steps: int = 20,
    lr: float = 0.05,
) -> TuningResult:
    """Freeze ``model`` and fit ``adapter`` to predict targets (B, T) from idx (B, T) with Adam."""
    freeze_(model)
    opt = torch.optim.Adam(adapter.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        logits = adapter(model, idx)  # (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return TuningResult(losses, count_trainable(model, adapter))
