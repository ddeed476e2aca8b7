"""Wrong GRPO advantages and objectives for quiz Q6(c).

Advantages: rewards (B, K), eps -> (B, K). Objective: logp, ref_logp, rewards (B, K),
clip_eps -> scalar.
"""

from __future__ import annotations

import torch

__all__ = [
    "sample_std",
    "batch_normalized",
    "no_mean_subtraction",
    "objective_sample_std",
    "objective_raw_rewards",
    "objective_clip_without_min",
]


def sample_std(rewards, eps=1e-6):  # type: ignore[no-untyped-def]
    """WRONG: sample standard deviation (1/(K-1)) instead of the population one (1/K)."""
    mu = rewards.mean(-1, keepdim=True)
    return (rewards - mu) / (rewards.std(-1, keepdim=True, correction=1) + eps)


def batch_normalized(rewards, eps=1e-6):  # type: ignore[no-untyped-def]
    """WRONG: normalizes over the whole batch instead of within each prompt's group."""
    return (rewards - rewards.mean()) / (rewards.std(correction=0) + eps)


def no_mean_subtraction(rewards, eps=1e-6):  # type: ignore[no-untyped-def]
    """WRONG: r_i / (sigma_r + eps), forgetting to subtract the group mean."""
    return rewards / (rewards.std(-1, keepdim=True, correction=0) + eps)


def _surrogate(logp, ref_logp, A, clip_eps, use_min=True):  # type: ignore[no-untyped-def]
    rho = torch.exp(logp - ref_logp)
    clipped = torch.clamp(rho, 1 - clip_eps, 1 + clip_eps) * A
    return (torch.minimum(rho * A, clipped) if use_min else clipped).mean()


def objective_sample_std(logp, ref_logp, rewards, clip_eps):  # type: ignore[no-untyped-def]
    """WRONG: advantages use the sample standard deviation (1/(K-1))."""
    return _surrogate(logp, ref_logp, sample_std(rewards), clip_eps)


def objective_raw_rewards(logp, ref_logp, rewards, clip_eps):  # type: ignore[no-untyped-def]
    """WRONG: uses the raw reward r_i as the advantage (no group normalization)."""
    return _surrogate(logp, ref_logp, rewards, clip_eps)


def objective_clip_without_min(logp, ref_logp, rewards, clip_eps):  # type: ignore[no-untyped-def]
    """WRONG: clip(rho) A alone, without the min with rho A."""
    mu = rewards.mean(-1, keepdim=True)
    A = (rewards - mu) / (rewards.std(-1, keepdim=True, correction=0) + 1e-6)
    return _surrogate(logp, ref_logp, A, clip_eps, use_min=False)
