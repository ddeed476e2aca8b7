"""Wrong PPO clipped-surrogate objectives for quiz Q6(b); (B,) x3 and eps -> scalar (maximize)."""

from __future__ import annotations

import torch

__all__ = ["clip_without_min", "max_instead_of_min", "no_clip"]


def clip_without_min(logp, ref_logp, advantages, eps):  # type: ignore[no-untyped-def]
    """WRONG: clip(rho) A alone, without the min with the unclipped rho A."""
    rho = torch.exp(logp - ref_logp)
    return (torch.clamp(rho, 1 - eps, 1 + eps) * advantages).mean()


def max_instead_of_min(logp, ref_logp, advantages, eps):  # type: ignore[no-untyped-def]
    """WRONG: max of the two terms, an optimistic (not pessimistic) bound."""
    rho = torch.exp(logp - ref_logp)
    return torch.maximum(rho * advantages, torch.clamp(rho, 1 - eps, 1 + eps) * advantages).mean()


def no_clip(logp, ref_logp, advantages, eps):  # type: ignore[no-untyped-def]
    """WRONG: the plain importance-weighted objective rho A (no clipping at all)."""
    return (torch.exp(logp - ref_logp) * advantages).mean()
