"""PPO's clipped surrogate and GRPO's group-normalized, critic-free variant.

PPO (Schulman et al., 2017), quiz Question 6(b), per token t with ratio
rho_t = pi_theta(y_t | x, y_<t) / pi_old(y_t | x, y_<t):

    L^PPO = E_t[ min(rho_t A_t, clip(rho_t, 1 - eps, 1 + eps) A_t) ]          (maximize)

GRPO (Shao et al., 2024, DeepSeekMath), quiz Question 6(c): K responses per prompt, one
scalar reward each, and the advantage of every token of response i is

    A_i = (r_i - mu_r) / (sigma_r + eps),
    mu_r = 1/K sum_j r_j,  sigma_r = sqrt(1/K sum_j (r_j - mu_r)^2)

(population standard deviation, as the quiz writes), then the same clipped surrogate.

The quiz writes both with sequence-level ratios pi_theta(y|x)/pi_ref(y|x): pass sequence
log-probs as (B, 1) tensors with a mask of ones to get exactly that form. Its pi_ref is the
sampling (old) policy. The quiz's objectives have no KL term and neither do these functions.

Advantages come from outside (e.g. GAE from a learned critic: see policy_gradient.py; the
modules do not import each other). Losses are returned to MINIMIZE (= -objective), averaged
over all valid tokens of the batch. Checked against an element-wise Python loop, against
autograd's gradient in and out of the clip range, and against ``torch.std(unbiased=False)``.

Shapes: logp, old_logp, mask (B, T); advantages broadcastable to (B, T) ((B, T) or (B, 1));
GRPO rewards (B, K) for B prompts with K responses each, logp (B, K, T).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

__all__ = ["PPODiagnostics", "ppo_clip_loss", "ppo_diagnostics", "grpo_advantages", "grpo_loss"]


class PPODiagnostics(NamedTuple):
    """Quantities logged next to a PPO/GRPO loss, all scalars over valid tokens."""

    loss: torch.Tensor
    """The clipped-surrogate loss to minimize (same as ``ppo_clip_loss``)."""
    clip_fraction: torch.Tensor
    """Fraction of valid tokens with |rho_t - 1| > eps."""
    approx_kl: torch.Tensor
    """Mean of (rho_t - 1) - log rho_t, a non-negative estimate of KL(pi_old || pi_theta)."""


def _masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the tokens with mask 1; (B, T), (B, T) -> scalar."""
    mask = mask.to(x.dtype)
    return (x * mask).sum() / mask.sum().clamp(min=1.0)


def ppo_clip_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    eps: float = 0.2,
) -> torch.Tensor:
    """PPO clipped-surrogate loss, -mean_t min(rho_t A_t, clip(rho_t, 1-eps, 1+eps) A_t); a scalar.

    logp (B, T) log pi_theta of the sampled tokens (with grad); old_logp (B, T) under the
    sampling policy (no grad); advantages (B, T) or (B, 1), constants; mask (B, T) of 1 for
    response tokens. The mean runs over all tokens with mask 1 in the batch.
    """
    rho = torch.exp(logp - old_logp.detach())  # rho_t = pi_theta / pi_old
    A = advantages.detach()
    unclipped = rho * A  # rho_t A_t
    clipped = torch.clamp(rho, 1.0 - eps, 1.0 + eps) * A  # clip(rho_t, 1-eps, 1+eps) A_t
    return -_masked_mean(torch.minimum(unclipped, clipped), mask)


def ppo_diagnostics(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    eps: float = 0.2,
) -> PPODiagnostics:
    """The loss with its clip fraction and approximate KL; shapes as in ``ppo_clip_loss``."""
    loss = ppo_clip_loss(logp, old_logp, advantages, mask, eps)
    with torch.no_grad():
        log_rho = logp - old_logp
        rho = torch.exp(log_rho)
        clip_fraction = _masked_mean(((rho - 1.0).abs() > eps).to(logp.dtype), mask)
        approx_kl = _masked_mean((rho - 1.0) - log_rho, mask)  # k3 estimator, >= 0
    return PPODiagnostics(loss=loss, clip_fraction=clip_fraction, approx_kl=approx_kl)


def grpo_advantages(rewards: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Group-normalized advantages (r_i - mu_r) / (sigma_r + eps); (…, K) -> (…, K).

    mu_r and sigma_r are the mean and POPULATION standard deviation (1/K) over the last axis
    (the K responses to one prompt). A group of equal rewards gets advantages 0.
    """
    mu = rewards.mean(dim=-1, keepdim=True)  # mu_r = 1/K sum_j r_j
    sigma = rewards.std(dim=-1, correction=0, keepdim=True)  # sqrt(1/K sum_j (r_j - mu_r)^2)
    return (rewards - mu) / (sigma + eps)


def grpo_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    rewards: torch.Tensor,
    mask: torch.Tensor,
    clip_eps: float = 0.2,
    std_eps: float = 1e-6,
) -> torch.Tensor:
    """GRPO loss: the PPO clipped surrogate with group-normalized advantages; a scalar.

    logp, old_logp, mask (B, K, T) for B prompts with K responses of up to T tokens; rewards
    (B, K), one per response. Every token of response i gets advantage A_i; the mean runs over
    all valid tokens (token-level averaging; the GRPO paper first averages within a response).
    """
    Bp, K, T = logp.shape
    A = grpo_advantages(rewards, std_eps).reshape(Bp * K, 1)  # (B*K, 1), one per response
    return ppo_clip_loss(
        logp.reshape(Bp * K, T), old_logp.reshape(Bp * K, T), A, mask.reshape(Bp * K, T), clip_eps
    )
