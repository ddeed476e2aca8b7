"""Wrong Bradley–Terry log-likelihoods for mid-sem B4(a); rewards (N, 3) best first -> scalar."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["adjacent_pairs_only", "reversed_preference", "no_log"]


def adjacent_pairs_only(rewards: torch.Tensor) -> torch.Tensor:
    """WRONG: only the pairs (y1 > y2) and (y2 > y3); misses log sigma(r1 - r3)."""
    r1, r2, r3 = rewards.unbind(-1)
    return (F.logsigmoid(r1 - r2) + F.logsigmoid(r2 - r3)).sum()


def reversed_preference(rewards: torch.Tensor) -> torch.Tensor:
    """WRONG: sign flipped, log sigma(r_j - r_i): the likelihood of the reversed ranking."""
    r1, r2, r3 = rewards.unbind(-1)
    return (F.logsigmoid(r2 - r1) + F.logsigmoid(r3 - r1) + F.logsigmoid(r3 - r2)).sum()


def no_log(rewards: torch.Tensor) -> torch.Tensor:
    """WRONG: sums the probabilities sigma(r_i - r_j) instead of their logs."""
    r1, r2, r3 = rewards.unbind(-1)
    return (torch.sigmoid(r1 - r2) + torch.sigmoid(r1 - r3) + torch.sigmoid(r2 - r3)).sum()
