"""Mid-sem A3: does LoRA rank r on a d x d matrix cut trainable parameters by ``factor``?

Full: d^2 parameters; LoRA: 2 d r (``lora.lora_trainable_params``); the reduction is
d^2 / (2 d r) = d / (2 r). Paper: d = 120, factor 15 -> r = 4 (option B), not 2 (option A).
"""

from __future__ import annotations

from reference_impls.lora import lora_rank_for_reduction, lora_reduction_factor

__all__ = ["rank_achieves", "rank_for"]


def rank_achieves(d: int, factor: int, r: int) -> bool:
    """Whether rank ``r`` on a d x d matrix gives exactly a ``factor``-fold reduction."""
    return lora_reduction_factor(int(d), int(d), int(r)) == int(factor)


def rank_for(d: int, factor: int) -> int:
    """The rank r with d^2 / (2 d r) = factor (ValueError when none is an integer)."""
    return lora_rank_for_reduction(int(d), int(d), int(factor))
