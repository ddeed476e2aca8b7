"""Mid-sem B4(c): advantage A(s_0, a_0) on a 3-step trajectory, Monte Carlo and n-step TD.

Plain-number adapters around ``policy_gradient.mc_advantages`` and
``policy_gradient.n_step_td_advantages`` for numeric answer keys. Paper: rewards 3, -1, 2;
V = 4.0, 1.0, 0.5, 0 (terminal); gamma = 0.95 -> MC -0.145, 2-step TD -1.49875.
"""

from __future__ import annotations

import torch

from reference_impls.policy_gradient import mc_advantages, n_step_td_advantages

__all__ = ["mc_advantage_s0", "td_advantage_s0"]


def _tensors(
    r0: float, r1: float, r2: float, V0: float, V1: float, V2: float, V3: float
) -> tuple[torch.Tensor, torch.Tensor]:
    rewards = torch.tensor([r0, r1, r2], dtype=torch.float64)  # (T,) = (3,)
    values = torch.tensor([V0, V1, V2, V3], dtype=torch.float64)  # (T+1,) = V(s_0)..V(s_3)
    return rewards, values


def mc_advantage_s0(
    r0: float, r1: float, r2: float, V0: float, V1: float, V2: float, V3: float, gamma: float
) -> float:
    """A(s_0, a_0) = r_0 + gamma r_1 + gamma^2 r_2 - V(s_0)."""
    rewards, values = _tensors(r0, r1, r2, V0, V1, V2, V3)
    return float(mc_advantages(rewards, values, float(gamma))[0])


def td_advantage_s0(
    r0: float,
    r1: float,
    r2: float,
    V0: float,
    V1: float,
    V2: float,
    V3: float,
    gamma: float,
    n: int,
) -> float:
    """A^(n)(s_0, a_0) = sum_{k<n} gamma^k r_k + gamma^n V(s_n) - V(s_0)."""
    rewards, values = _tensors(r0, r1, r2, V0, V1, V2, V3)
    return float(n_step_td_advantages(rewards, values, float(gamma), int(n))[0])
