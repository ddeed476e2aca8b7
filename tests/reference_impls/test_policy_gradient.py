"""Advantage estimates against the seed paper; REINFORCE estimators against exact gradients."""

from __future__ import annotations

import itertools

import pytest
import torch

from reference_impls.policy_gradient import (
    discounted_returns,
    gae_advantages,
    importance_weighted_reinforce_loss,
    mc_advantages,
    n_step_td_advantages,
    reinforce_loss,
)


def _seed_trajectory(device: str) -> tuple[torch.Tensor, torch.Tensor]:
    # Mid-semester Question 4(c): r = [3, -1, 2], V = [4.0, 1.0, 0.5, 0], gamma = 0.95.
    rewards = torch.tensor([3.0, -1.0, 2.0], dtype=torch.float64, device=device)
    values = torch.tensor([4.0, 1.0, 0.5, 0.0], dtype=torch.float64, device=device)
    return rewards, values


def test_monte_carlo_advantage_matches_seed_paper(device: str) -> None:
    rewards, values = _seed_trajectory(device)
    assert discounted_returns(rewards, 0.95)[0].item() == pytest.approx(3.855, abs=1e-9)
    assert mc_advantages(rewards, values, 0.95)[0].item() == pytest.approx(-0.145, abs=1e-9)


def test_two_step_td_advantage_matches_seed_paper(device: str) -> None:
    rewards, values = _seed_trajectory(device)
    A = n_step_td_advantages(rewards, values, 0.95, n=2)
    assert A[0].item() == pytest.approx(-1.49875, abs=1e-9)
    # t = 1: r_1 + gamma r_2 + gamma^2 V(s_3) - V(s_1); t = 2 stops at the terminal s_3.
    assert A[1].item() == pytest.approx(-1 + 0.95 * 2 - 1.0, abs=1e-12)
    assert A[2].item() == pytest.approx(2 - 0.5, abs=1e-12)


def test_n_step_td_with_n_past_the_end_equals_monte_carlo_at_a_terminal_state() -> None:
    rewards, values = _seed_trajectory("cpu")
    torch.testing.assert_close(
        n_step_td_advantages(rewards, values, 0.95, n=10), mc_advantages(rewards, values, 0.95)
    )


def test_gae_limits_are_one_step_td_and_monte_carlo(device: str) -> None:
    g = torch.Generator().manual_seed(0)
    rewards = torch.randn(3, 6, generator=g, dtype=torch.float64).to(device)
    values = torch.randn(3, 7, generator=g, dtype=torch.float64).to(device)
    values[:, -1] = 0.0  # terminal
    torch.testing.assert_close(
        gae_advantages(rewards, values, 0.9, 0.0), n_step_td_advantages(rewards, values, 0.9, 1)
    )
    torch.testing.assert_close(
        gae_advantages(rewards, values, 0.9, 1.0), mc_advantages(rewards, values, 0.9)
    )


def test_gae_equals_the_weighted_sum_of_n_step_advantages() -> None:
    # A^GAE_0 = (1 - lambda) sum_n lambda^(n-1) A^(n)_0 (+ the tail weight on the last one).
    g = torch.Generator().manual_seed(1)
    rewards = torch.randn(5, generator=g, dtype=torch.float64)
    values = torch.randn(6, generator=g, dtype=torch.float64)
    gamma, lambda_ = 0.97, 0.8
    n_step = [n_step_td_advantages(rewards, values, gamma, n)[0] for n in range(1, 6)]
    expected = sum((1 - lambda_) * lambda_ ** (n - 1) * n_step[n - 1] for n in range(1, 5))
    expected = expected + lambda_**4 * n_step[4]
    assert gae_advantages(rewards, values, gamma, lambda_)[0].item() == pytest.approx(
        expected.item()
    )


def test_values_must_include_the_bootstrap_state() -> None:
    with pytest.raises(ValueError, match="V\\(s_0\\)..V\\(s_T\\)"):
        mc_advantages(torch.zeros(3), torch.zeros(3), 0.9)


# ---------------------------------------------------------------- a one-step categorical policy

REWARD = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64)


def _exact_gradient(theta: torch.Tensor) -> torch.Tensor:
    """grad of J(theta) = sum_a pi_theta(a) r(a)."""
    theta = theta.clone().requires_grad_(True)
    (torch.softmax(theta, -1) * REWARD).sum().backward()
    return theta.grad


def _estimator_gradient(theta: torch.Tensor, loss_of_logp) -> torch.Tensor:
    theta = theta.clone().requires_grad_(True)
    loss_of_logp(torch.log_softmax(theta, -1)).backward()
    return -theta.grad  # the losses are -surrogate


def test_reinforce_gradient_is_unbiased_in_expectation_over_actions() -> None:
    theta = torch.tensor([0.2, -0.5, 1.0, 0.1], dtype=torch.float64)
    pi = torch.softmax(theta, -1)
    expected = sum(
        pi[a]
        * _estimator_gradient(
            theta, lambda logp, a=a: reinforce_loss(logp[a].reshape(1, 1), REWARD[a].reshape(1, 1))
        )
        for a in range(4)
    )
    torch.testing.assert_close(expected, _exact_gradient(theta))


def test_importance_weighted_reinforce_is_unbiased_by_monte_carlo() -> None:
    theta = torch.tensor([0.2, -0.5, 1.0, 0.1], dtype=torch.float64)
    pi_ref = torch.tensor([0.4, 0.3, 0.2, 0.1], dtype=torch.float64)  # behaviour policy
    g = torch.Generator().manual_seed(0)
    actions = torch.multinomial(pi_ref, 200_000, replacement=True, generator=g)  # (B,)
    theta_leaf = theta.clone().requires_grad_(True)
    logp = torch.log_softmax(theta_leaf, -1)[actions].unsqueeze(1)  # (B, 1)
    loss = importance_weighted_reinforce_loss(
        logp, pi_ref.log()[actions].unsqueeze(1), REWARD[actions].unsqueeze(1)
    )
    loss.backward()
    estimate = -theta_leaf.grad
    # per-sample estimates, for a 5-standard-error tolerance
    w = torch.softmax(theta, -1)[actions] / pi_ref[actions]
    score = torch.nn.functional.one_hot(actions, 4).double() - torch.softmax(theta, -1)
    samples = (w * REWARD[actions]).unsqueeze(1) * score  # w A grad log pi, (B, 4)
    stderr = samples.std(0) / len(actions) ** 0.5
    assert torch.all((estimate - _exact_gradient(theta)).abs() < 5 * stderr)
    torch.testing.assert_close(estimate, samples.mean(0))


def test_trajectory_importance_weight_is_unbiased_on_a_two_step_problem() -> None:
    # Two steps; the second step's policy depends on the first action. Enumerate all
    # trajectories and weight each estimator by its probability under pi_ref.
    K = 3
    g = torch.Generator().manual_seed(2)
    theta0 = torch.randn(K, generator=g, dtype=torch.float64)  # step 0 logits
    theta1 = torch.randn(K, K, generator=g, dtype=torch.float64)  # step 1 logits given a0
    ref0 = torch.softmax(torch.randn(K, generator=g, dtype=torch.float64), -1)
    ref1 = torch.softmax(torch.randn(K, K, generator=g, dtype=torch.float64), -1)
    reward = torch.randn(K, K, generator=g, dtype=torch.float64)  # r(a0, a1) at the end

    def true_J(t0: torch.Tensor, t1: torch.Tensor) -> torch.Tensor:
        return (torch.softmax(t0, -1)[:, None] * torch.softmax(t1, -1) * reward).sum()

    leaves = [theta0.clone().requires_grad_(True), theta1.clone().requires_grad_(True)]
    exact = torch.autograd.grad(true_J(*leaves), leaves)

    def expected_estimate(trajectory_weight: bool) -> list[torch.Tensor]:
        t0, t1 = (p.clone().requires_grad_(True) for p in (theta0, theta1))
        total = 0.0
        for a0, a1 in itertools.product(range(K), range(K)):
            logp = torch.stack([torch.log_softmax(t0, -1)[a0], torch.log_softmax(t1[a0], -1)[a1]])
            ref_logp = torch.stack([ref0[a0].log(), ref1[a0, a1].log()])
            G = torch.stack([reward[a0, a1], reward[a0, a1]])  # reward-to-go at t = 0, 1
            loss = importance_weighted_reinforce_loss(
                logp[None], ref_logp[None], G[None], trajectory_weight=trajectory_weight
            )
            total = total + ref0[a0] * ref1[a0, a1] * -loss
        return list(torch.autograd.grad(total, [t0, t1]))

    for got, want in zip(expected_estimate(trajectory_weight=True), exact, strict=True):
        torch.testing.assert_close(got, want)
    per_step = expected_estimate(
        trajectory_weight=False
    )  # the seed's per-step weights are biased here
    assert not torch.allclose(per_step[0], exact[0])


def test_importance_weighted_loss_equals_reinforce_when_sampling_on_policy(device: str) -> None:
    g = torch.Generator().manual_seed(3)
    logp = torch.randn(4, 5, generator=g, dtype=torch.float64).to(device).requires_grad_(True)
    A = torch.randn(4, 5, generator=g, dtype=torch.float64).to(device)
    mask = (torch.rand(4, 5, generator=g) > 0.3).double().to(device)
    (grad_is,) = torch.autograd.grad(
        importance_weighted_reinforce_loss(logp, logp.detach(), A, mask), logp
    )
    (grad_pg,) = torch.autograd.grad(reinforce_loss(logp, A, mask), logp)
    (grad_traj,) = torch.autograd.grad(
        importance_weighted_reinforce_loss(logp, logp.detach(), A, mask, trajectory_weight=True),
        logp,
    )
    torch.testing.assert_close(grad_is, grad_pg)
    torch.testing.assert_close(grad_traj, grad_pg)
    torch.testing.assert_close(grad_pg, -A * mask / 4)
