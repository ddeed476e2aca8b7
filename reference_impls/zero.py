"""ZeRO (Rajbhandari et al., 2020): per-GPU model-state memory and communication per stage.

Mixed-precision Adam: fp16/bf16 parameters (2 bytes each) and gradients (2 bytes), plus
K = 12 bytes of fp32 optimizer state per parameter (master weights, momentum, variance, 4
bytes each). With Psi parameters (P here, as in the mid-semester paper) on N_d GPUs (N):

    stage                      sharded                       bytes per GPU             comm. volume
    0  data parallel (DP)      batch                         (2 + 2 + K) P             2P
    1  P_os                    + optimizer states            2P + 2P + K P / N         2P
    2  P_os+g                  + gradients                   2P + (2 + K) P / N        2P
    3  P_os+g+p                + parameters                  (2 + 2 + K) P / N         3P

Memory counts model states only (no activations or buffers). Communication is the number of
parameter-sized elements each GPU sends/receives per step: DP's all-reduce is a
reduce-scatter plus an all-gather (P + P); stage 3 adds a second all-gather of the parameters
for the backward pass (1.5x DP). "Batch" is sharded at every stage because all of them are
data parallel; the mid-semester paper lists it in its table (Question 5(b)).

Checked against the seed table (symbolically, with sympy) and the ZeRO paper's worked example
(Psi = 7.5B, N_d = 64: 120 GB, 31.4 GB, 16.6 GB, 1.9 GB).
"""

from __future__ import annotations

from typing import NamedTuple

import sympy

__all__ = [
    "P",
    "N",
    "SHARDED",
    "ZeroRow",
    "zero_memory_expr",
    "zero_communication_expr",
    "zero_memory_bytes",
    "zero_communication_volume",
    "zero_table",
]

P, N = sympy.symbols("P N", positive=True)  # Psi (parameters) and N_d (GPUs)

SHARDED: dict[int, tuple[str, ...]] = {
    0: ("batch",),
    1: ("batch", "optimizer states"),
    2: ("batch", "optimizer states", "gradients"),
    3: ("batch", "optimizer states", "gradients", "parameters"),
}
"""What each stage partitions across the N GPUs (stage 0 is plain data parallelism)."""


class ZeroRow(NamedTuple):
    """One row of the stage comparison table."""

    stage: int
    """0 (plain data parallel), 1, 2 or 3."""
    sharded: tuple[str, ...]
    """Components partitioned across GPUs."""
    memory: sympy.Expr
    """Model-state bytes per GPU as an expression in P and N."""
    communication: sympy.Expr
    """Elements communicated per GPU per step as an expression in P."""


def _check_stage(stage: int) -> None:
    if stage not in SHARDED:
        raise ValueError(f"ZeRO stage must be 0, 1, 2 or 3, got {stage!r}")


def zero_memory_expr(
    stage: int, K: int = 12, param_bytes: int = 2, grad_bytes: int = 2
) -> sympy.Expr:
    """Model-state bytes per GPU as a sympy expression in ``P`` and ``N``."""
    _check_stage(stage)
    params = sympy.Integer(param_bytes) * P  # 2P: bf16/fp16 parameters
    grads = sympy.Integer(grad_bytes) * P  # 2P: bf16/fp16 gradients
    optim = sympy.Integer(K) * P  # K P: fp32 master weights, momentum, variance
    if stage >= 1:
        optim = optim / N  # P_os
    if stage >= 2:
        grads = grads / N  # P_os+g
    if stage >= 3:
        params = params / N  # P_os+g+p
    return params + grads + optim


def zero_communication_expr(stage: int) -> sympy.Expr:
    """Elements communicated per GPU per training step, in ``P``: 2P, 2P, 2P, 3P."""
    _check_stage(stage)
    return sympy.Integer(3 if stage == 3 else 2) * P


def zero_memory_bytes(stage: int, num_params: int | float, num_gpus: int, K: int = 12) -> float:
    """Model-state bytes per GPU for ``num_params`` parameters on ``num_gpus`` GPUs."""
    value = zero_memory_expr(stage, K).subs({P: sympy.nsimplify(num_params), N: num_gpus})
    return float(value)


def zero_communication_volume(stage: int, num_params: int | float) -> float:
    """Elements communicated per GPU per step for ``num_params`` parameters."""
    return float(zero_communication_expr(stage).subs(P, sympy.nsimplify(num_params)))


def zero_table(K: int = 12) -> list[ZeroRow]:
    """Rows for stages 0..3 (the mid-semester table is rows 1..3)."""
    return [
        ZeroRow(s, SHARDED[s], zero_memory_expr(s, K), zero_communication_expr(s)) for s in range(4)
    ]
