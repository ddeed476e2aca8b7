"""Bradley–Terry ranking likelihood against the naive formula and hand-derived gradients."""

from __future__ import annotations

import math

import pytest
import torch

from reference_impls.preferences import (
    bradley_terry_prob,
    ranking_log_likelihood,
    reward_model_loss,
)


def _naive_log_sigmoid(z: float) -> float:
    return math.log(1.0 / (1.0 + math.exp(-z)))


def test_bradley_terry_probability_is_the_softmax_of_two_rewards() -> None:
    r_i, r_j = torch.tensor(1.3), torch.tensor(-0.4)
    expected = math.exp(1.3) / (math.exp(1.3) + math.exp(-0.4))
    assert bradley_terry_prob(r_i, r_j).item() == pytest.approx(expected, rel=1e-6)


def test_triple_log_likelihood_matches_the_seed_paper_three_pair_sum(device: str) -> None:
    rewards = torch.tensor([[2.0, 0.5, -1.0], [0.3, 0.9, 0.1]], dtype=torch.float64, device=device)
    got = ranking_log_likelihood(rewards).cpu()
    for n, (r1, r2, r3) in enumerate(rewards.cpu().tolist()):
        # log sig(r1 - r2) + log sig(r1 - r3) + log sig(r2 - r3)
        expected = (
            _naive_log_sigmoid(r1 - r2) + _naive_log_sigmoid(r1 - r3) + _naive_log_sigmoid(r2 - r3)
        )
        assert got[n].item() == pytest.approx(expected, rel=1e-12)


def test_reward_model_loss_is_negative_mean_log_likelihood_over_the_dataset() -> None:
    rewards = torch.randn(6, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ll = ranking_log_likelihood(rewards)
    assert reward_model_loss(rewards).item() == pytest.approx(-ll.mean().item())
    assert reward_model_loss(rewards, normalize_pairs=True).item() == pytest.approx(
        -ll.mean().item() / 6
    )


def test_log_likelihood_gradient_matches_the_hand_derived_formula(device: str) -> None:
    # d/dr_i sum_{a<b} log sig(r_a - r_b) = sum_{j>i} sig(r_j - r_i) - sum_{j<i} sig(r_i - r_j)
    r = torch.randn(5, generator=torch.Generator().manual_seed(1), dtype=torch.float64).to(device)
    r.requires_grad_(True)
    (grad,) = torch.autograd.grad(ranking_log_likelihood(r), r)
    rv = r.detach().cpu().tolist()
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    for i in range(5):
        expected = sum(sig(rv[j] - rv[i]) for j in range(i + 1, 5)) - sum(
            sig(rv[i] - rv[j]) for j in range(i)
        )
        assert grad[i].item() == pytest.approx(expected, rel=1e-10)


def test_large_reward_gaps_stay_finite() -> None:
    rewards = torch.tensor([[-500.0, 500.0, 0.0]], requires_grad=True)
    loss = reward_model_loss(rewards)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(rewards.grad).all()
    assert loss.item() == pytest.approx(
        1000.0 + 500.0, rel=1e-6
    )  # -log sig(-1000) - log sig(-500) - ~0


def test_correctly_ordered_rewards_have_higher_likelihood_than_reversed() -> None:
    r = torch.tensor([3.0, 1.0, -2.0])
    assert ranking_log_likelihood(r) > ranking_log_likelihood(r.flip(0))
