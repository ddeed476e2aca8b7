"""Bradley–Terry preference model and the reward-model loss on ranked responses.

Mid-semester paper, Question 4(a): for responses ranked y_1 > y_2 > ... > y_K and a reward
model r_theta(x, y),

    Pr(y_i > y_j | x) = exp(r_i) / (exp(r_i) + exp(r_j)) = sigma(r_i - r_j)      (Bradley–Terry)
    log L = sum_{(x, y_1..y_K) in D} sum_{i<j} log sigma(r_i - r_j)

which for K = 3 is the seed's log sigma(r1 - r2) + log sigma(r1 - r3) + log sigma(r2 - r3).
The reward-model loss is -log L averaged over the dataset (InstructGPT, Ouyang et al. 2022,
also divides by the number of pairs C(K, 2): ``normalize_pairs=True``). Everything is in
log space through ``F.logsigmoid``, so large reward gaps stay finite.

Checked against the naive formula log(1 / (1 + exp(-(r_i - r_j)))) and against the
hand-derived gradient dlogL/dr_i = sum_{j>i} sigma(r_j - r_i) - sum_{j<i} sigma(r_j - r_i).

Shapes: rewards (N, K), row n holding r_theta(x_n, y_1)..r_theta(x_n, y_K) in rank order
(best first); N data points, K ranked responses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["bradley_terry_prob", "ranking_log_likelihood", "reward_model_loss"]


def bradley_terry_prob(r_i: torch.Tensor, r_j: torch.Tensor) -> torch.Tensor:
    """Pr(y_i > y_j) = sigma(r_i - r_j), element-wise on broadcastable tensors."""
    return torch.sigmoid(r_i - r_j)


def ranking_log_likelihood(rewards: torch.Tensor) -> torch.Tensor:
    """sum_{i<j} log sigma(r_i - r_j) per ranked row; rewards (N, K) or (K,) -> (N,) or ()."""
    K = rewards.shape[-1]
    i, j = torch.triu_indices(
        K, K, offset=1, device=rewards.device
    )  # all pairs i < j, (2, K(K-1)/2)
    margins = rewards[..., i] - rewards[..., j]  # r_i - r_j, (N, K(K-1)/2)
    return F.logsigmoid(margins).sum(dim=-1)  # log prod sigma(r_i - r_j)


def reward_model_loss(rewards: torch.Tensor, normalize_pairs: bool = False) -> torch.Tensor:
    """Negative mean log-likelihood of the rankings; rewards (N, K) in rank order -> scalar.

    ``normalize_pairs=True`` divides by C(K, 2), the InstructGPT form.
    """
    K = rewards.shape[-1]
    loss = -ranking_log_likelihood(rewards).mean()
    if normalize_pairs:
        loss = loss / (K * (K - 1) // 2)
    return loss
