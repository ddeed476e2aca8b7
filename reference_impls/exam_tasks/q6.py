"""Quiz Q6(b), 6(c): the PPO and GRPO clipped-surrogate objectives in the quiz's sequence form.

The quiz writes both objectives with sequence-level ratios pi_theta(y|x) / pi_ref(y|x)
(pi_ref being the policy that sampled y) and asks for the objective to MAXIMIZE:

    L^PPO  = mean_b min( rho_b A_b, clip(rho_b, 1 - eps, 1 + eps) A_b ),
             rho_b = exp(logp_b - ref_logp_b)
    A^GRPO_i = (r_i - mu_r) / (sigma_r + 1e-6)   per prompt, population std (1/K)
    L^GRPO = the same mean over all B K completions with A^GRPO

These adapters call ``ppo_grpo.ppo_clip_loss`` / ``ppo_grpo.grpo_loss`` (losses to minimize,
per-token) with one "token" per sequence and flip the sign.

Shapes: PPO logp, ref_logp, advantages (B,); GRPO logp, ref_logp, rewards (B, K) for B
prompts with K sampled completions each.
"""

from __future__ import annotations

import torch

from reference_impls.ppo_grpo import grpo_loss, ppo_clip_loss

__all__ = ["ppo_objective", "grpo_objective", "GRPO_STD_EPS"]

GRPO_STD_EPS = 1e-6
"""The epsilon in sigma_r + epsilon of the GRPO advantage."""


def ppo_objective(
    logp: torch.Tensor, ref_logp: torch.Tensor, advantages: torch.Tensor, eps: float
) -> torch.Tensor:
    """L^PPO, the mean over B sequences of the clipped surrogate; (B,) x3 -> scalar."""
    ones = torch.ones_like(logp)[:, None]  # (B, 1): one "token" per sequence
    return -ppo_clip_loss(logp[:, None], ref_logp[:, None], advantages[:, None], ones, eps)


def grpo_objective(
    logp: torch.Tensor, ref_logp: torch.Tensor, rewards: torch.Tensor, clip_eps: float
) -> torch.Tensor:
    """L^GRPO over B prompts x K completions with group-normalized advantages;
    (B, K) x3 -> scalar."""
    ones = torch.ones_like(logp)[..., None]  # (B, K, 1)
    return -grpo_loss(
        logp[..., None], ref_logp[..., None], rewards, ones, clip_eps=clip_eps, std_eps=GRPO_STD_EPS
    )
