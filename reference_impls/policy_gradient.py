"""Policy-gradient estimators and advantage estimates.

Implements, in the notation of the mid-semester paper (Question 4(b), 4(c)):

* discounted returns        G_t = sum_{k>=0} gamma^k r_{t+k}
* Monte Carlo advantage     A(s_t, a_t) = G_t - V(s_t)
* n-step TD advantage       A^(n)(s_t, a_t) = sum_{k<n} gamma^k r_{t+k}
                                               + gamma^n V(s_{t+n}) - V(s_t)
* GAE (Schulman et al., 2016)  A_t = sum_l (gamma lambda_)^l delta_{t+l},
                               delta_t = r_t + gamma V(s_{t+1}) - V(s_t)
* REINFORCE (Williams, 1992) as a surrogate loss whose gradient is minus the estimator
      grad J = E_{tau ~ pi_theta}[ sum_t A_t grad log pi_theta(a_t|s_t) ]
* importance-weighted REINFORCE for trajectories from a behaviour policy pi_ref
      grad J = E_{tau ~ pi_ref}[ sum_t w_t A_t grad log pi_theta(a_t|s_t) ],
      w_t = pi_theta(a_t|s_t) / pi_ref(a_t|s_t)                (the seed's per-step weight)
  with ``trajectory_weight=True`` for the whole-trajectory weight
  rho = prod_t w_t, which makes the estimator exactly unbiased for any horizon.

Checked against the seed's numbers (MC advantage -0.145, 2-step TD -1.49875), against GAE's
lambda_ = 0 / 1 limits, and by Monte Carlo and exact enumeration against the true gradient.

Shapes: rewards (…, T); values (…, T+1) holding V(s_0)..V(s_T) (V(s_T) = 0 at a terminal
state); log-probs, advantages and masks (B, T).
"""

from __future__ import annotations

import torch

__all__ = [
    "discounted_returns",
    "mc_advantages",
    "n_step_td_advantages",
    "gae_advantages",
    "reinforce_loss",
    "importance_weighted_reinforce_loss",
]


def _check_values(rewards: torch.Tensor, values: torch.Tensor) -> None:
    if values.shape[-1] != rewards.shape[-1] + 1:
        raise ValueError(
            f"values must hold V(s_0)..V(s_T): expected last dim {rewards.shape[-1] + 1}, "
            f"got values shape {tuple(values.shape)!r} for rewards shape {tuple(rewards.shape)!r}"
        )


def _masked_batch_sum(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """sum over T, mean over the batch: (B, T) -> scalar."""
    if mask is not None:
        x = x * mask
    return x.sum(-1).mean()


def discounted_returns(rewards: torch.Tensor, gamma: float) -> torch.Tensor:
    """G_t = r_t + gamma G_{t+1}, G_T = 0; rewards (…, T) -> returns (…, T)."""
    returns = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[..., 0])
    for t in range(rewards.shape[-1] - 1, -1, -1):
        running = rewards[..., t] + gamma * running  # G_t = r_t + gamma G_{t+1}
        returns[..., t] = running
    return returns


def mc_advantages(rewards: torch.Tensor, values: torch.Tensor, gamma: float) -> torch.Tensor:
    """Full Monte Carlo advantage A(s_t, a_t) = G_t - V(s_t); (…, T), (…, T+1) -> (…, T).

    The episode is taken to end at T, so V(s_T) is not used.
    """
    _check_values(rewards, values)
    return discounted_returns(rewards, gamma) - values[..., :-1]  # A = G_t - V(s_t)


def n_step_td_advantages(
    rewards: torch.Tensor, values: torch.Tensor, gamma: float, n: int
) -> torch.Tensor:
    """n-step TD advantage; (…, T), (…, T+1) -> (…, T).

    A^(n)_t = r_t + gamma r_{t+1} + ... + gamma^{n-1} r_{t+n-1} + gamma^n V(s_{t+n}) - V(s_t),
    where a look-ahead past the end stops at s_T and bootstraps with V(s_T).
    """
    _check_values(rewards, values)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n!r}")
    T = rewards.shape[-1]
    advantages = torch.empty_like(rewards)
    for t in range(T):
        m = min(n, T - t)  # steps actually available
        G = values[..., t + m] * gamma**m  # gamma^m V(s_{t+m})
        for k in range(m):
            G = G + gamma**k * rewards[..., t + k]  # + gamma^k r_{t+k}
        advantages[..., t] = G - values[..., t]
    return advantages


def gae_advantages(
    rewards: torch.Tensor, values: torch.Tensor, gamma: float, lambda_: float
) -> torch.Tensor:
    """Generalized advantage estimation; (…, T), (…, T+1) -> (…, T).

    lambda_ = 0 gives the 1-step TD advantage, lambda_ = 1 the Monte Carlo one (with V(s_T)).
    """
    _check_values(rewards, values)
    delta = (
        rewards + gamma * values[..., 1:] - values[..., :-1]
    )  # delta_t = r_t + gamma V_{t+1} - V_t
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[..., 0])
    for t in range(rewards.shape[-1] - 1, -1, -1):
        running = delta[..., t] + gamma * lambda_ * running  # A_t = delta_t + gamma lambda A_{t+1}
        advantages[..., t] = running
    return advantages


def reinforce_loss(
    logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """REINFORCE surrogate: -(1/B) sum_b sum_t A_t log pi_theta(a_t|s_t); a scalar to minimize.

    logp (B, T) log pi_theta(a_t|s_t) of the sampled actions (with grad); advantages (B, T)
    (treated as constants); mask (B, T) of 1 for real steps. Minus its gradient is the
    REINFORCE estimate of grad J on trajectories sampled from pi_theta.
    """
    return -_masked_batch_sum(advantages.detach() * logp, mask)


def importance_weighted_reinforce_loss(
    logp: torch.Tensor,
    ref_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor | None = None,
    trajectory_weight: bool = False,
) -> torch.Tensor:
    """Importance-weighted REINFORCE surrogate for trajectories sampled from pi_ref; a scalar.

    logp (B, T) log pi_theta(a_t|s_t) with grad; ref_logp (B, T) log pi_ref(a_t|s_t) of the
    behaviour policy; advantages (B, T); mask (B, T).

    ``trajectory_weight=False`` (the seed's form): the surrogate -(1/B) sum_b sum_t w_t A_t
    with w_t = exp(log pi_theta - log pi_ref) has gradient
    -(1/B) sum_b sum_t w_t A_t grad log pi_theta(a_t|s_t), since grad w_t = w_t grad log pi_theta.
    Exact for one-step problems (bandits); over longer trajectories it ignores that pi_theta
    also changes which states are visited (PPO makes the same approximation).

    ``trajectory_weight=True``: -(1/B) sum_b rho sum_t A_t log pi_theta(a_t|s_t) with the
    constant rho = prod_t w_t, i.e. E_{pi_theta}[f(tau)] = E_{pi_ref}[rho(tau) f(tau)] applied to
    the on-policy estimator; unbiased for any horizon (and of high variance).
    """
    log_w = logp - ref_logp.detach()  # log w_t = log pi_theta(a_t|s_t) - log pi_ref(a_t|s_t)
    A = advantages.detach()
    if not trajectory_weight:
        return -_masked_batch_sum(torch.exp(log_w) * A, mask)  # sum_t w_t A_t
    if mask is not None:
        log_w = log_w * mask
    rho = torch.exp(log_w.sum(dim=-1, keepdim=True)).detach()  # prod_t w_t, (B, 1)
    return -_masked_batch_sum(rho * A * logp, mask)
