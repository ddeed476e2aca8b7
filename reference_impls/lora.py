"""LoRA: low-rank adaptation of a frozen linear layer (Hu et al., 2021).

    h = W x + b + (alpha / r) B A x,    W (Dout, Din) and b frozen,
                                        A (r, Din) random, B (Dout, r) zeros: trainable

B starts at zero, so the adapted layer starts out equal to the base layer. For inference the
update is merged, W' = W + (alpha / r) B A: the base weights are kept and the low-rank update
is added (mid-semester MCQ 3, option D).

Parameter counting (mid-semester MCQ 3): a full Din x Dout matrix has Din * Dout trainable
parameters, LoRA has r (Din + Dout) (2 n r for n x n), so the reduction factor is
Din Dout / (r (Din + Dout)); for 120 x 120 and a factor 15: 14400 / (240 r) = 15, r = 4.

Checked against the seed's numbers, against ``nn.Linear`` (initial and merged outputs), and
against a count of ``requires_grad`` parameters.
"""

from __future__ import annotations

import math
from fractions import Fraction

import torch
from torch import nn

from ._common import DeviceLike, generator, resolve_device

__all__ = [
    "LoRALinear",
    "lora_trainable_params",
    "lora_reduction_factor",
    "lora_rank_for_reduction",
]


def lora_trainable_params(d_in: int, d_out: int, r: int) -> int:
    """Trainable parameters of a rank-r LoRA update of a d_in -> d_out matrix: r (d_in + d_out)."""
    return r * (d_in + d_out)


def lora_reduction_factor(d_in: int, d_out: int, r: int) -> Fraction:
    """Full / LoRA trainable parameters, d_in d_out / (r (d_in + d_out)), exact."""
    return Fraction(d_in * d_out, lora_trainable_params(d_in, d_out, r))


def lora_rank_for_reduction(
    d_in: int, d_out: int, factor: int | Fraction, exact: bool = True
) -> int:
    """The rank r with d_in d_out / (r (d_in + d_out)) = factor.

    ``exact=True`` raises ValueError when no integer r gives the factor exactly; with
    ``exact=False`` it returns the largest r whose reduction is at least ``factor``.
    """
    r = Fraction(d_in * d_out) / (
        Fraction(factor) * (d_in + d_out)
    )  # r = d_in d_out / (f (d_in + d_out))
    if r.denominator == 1 and r >= 1:
        return int(r)
    if exact or r < 1:
        raise ValueError(
            f"no integer rank gives a reduction of exactly {factor!r} for {d_in}x{d_out}: "
            f"r would be {float(r)!r}"
        )
    return math.floor(r)


class LoRALinear(nn.Module):
    """A linear layer with frozen weight W (Dout, Din), frozen bias, and a trainable B A update.

    Input (…, Din) -> output (…, Dout). Construct fresh, or from an existing layer with
    ``LoRALinear.from_linear``. A is initialized like ``nn.Linear`` weights (Kaiming uniform,
    as in the LoRA reference code) from a seeded generator; B is zeros.
    """

    def __init__(
        self,
        d_in: int,
        d_out: int,
        r: int,
        alpha: float,
        bias: bool = True,
        device: DeviceLike = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if r < 1:
            raise ValueError(f"rank r must be >= 1, got {r!r}")
        dev = resolve_device(device)
        g = generator(seed, dev)
        self.r, self.alpha, self.scaling = r, alpha, alpha / r
        bound = 1.0 / math.sqrt(d_in)  # the nn.Linear / Kaiming-uniform(a=sqrt(5)) bound
        W = (torch.rand(d_out, d_in, generator=g, device=dev) * 2 - 1) * bound
        self.weight = nn.Parameter(W, requires_grad=False)  # W, frozen
        if bias:
            b = (torch.rand(d_out, generator=g, device=dev) * 2 - 1) * bound
            self.bias: nn.Parameter | None = nn.Parameter(b, requires_grad=False)  # frozen
        else:
            self.bias = None
        A = (torch.rand(r, d_in, generator=g, device=dev) * 2 - 1) * bound
        self.lora_A = nn.Parameter(A)  # A (r, Din), trainable
        self.lora_B = nn.Parameter(torch.zeros(d_out, r, device=dev))  # B (Dout, r), zeros

    @classmethod
    def from_linear(cls, base: nn.Linear, r: int, alpha: float, seed: int = 0) -> LoRALinear:
        """Wrap a copy of ``base``'s weight and bias (the base layer itself is not modified)."""
        layer = cls(
            base.in_features,
            base.out_features,
            r,
            alpha,
            base.bias is not None,
            device=base.weight.device,
            seed=seed,
        )
        with torch.no_grad():
            layer.weight.copy_(base.weight)
            if base.bias is not None and layer.bias is not None:
                layer.bias.copy_(base.bias)
        return layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x @ self.weight.T  # W x, (…, Dout)
        if self.bias is not None:
            h = h + self.bias
        return h + self.scaling * ((x @ self.lora_A.T) @ self.lora_B.T)  # + (alpha/r) B A x

    def merged_weight(self) -> torch.Tensor:
        """W + (alpha / r) B A, (Dout, Din)."""
        return self.weight + self.scaling * (self.lora_B @ self.lora_A)

    def merge(self) -> nn.Linear:
        """A new ``nn.Linear`` with the merged weight (and the bias) for inference."""
        out = nn.Linear(
            self.weight.shape[1],
            self.weight.shape[0],
            bias=self.bias is not None,
            device=self.weight.device,
        )
        with torch.no_grad():
            out.weight.copy_(self.merged_weight())
            if self.bias is not None:
                out.bias.copy_(self.bias)
        return out
