"""KL-regularized RLHF optimum and the DPO loss against closed forms and gradient ascent."""

from __future__ import annotations

import math

import pytest
import torch

from reference_impls.rlhf import (
    dpo_loss,
    implied_reward_check,
    kl_penalized_reward,
    kl_regularized_objective,
    optimal_policy,
)


def _problem(device: str, Y: int = 6, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    pi_ref = torch.softmax(torch.randn(Y, generator=g, dtype=torch.float64), -1).to(device)
    r = torch.randn(Y, generator=g, dtype=torch.float64).to(device)
    return pi_ref, r


def test_kl_penalized_reward_is_reward_minus_beta_log_ratio() -> None:
    out = kl_penalized_reward(torch.tensor([1.0]), torch.tensor([-2.0]), torch.tensor([-3.0]), 0.1)
    assert out.item() == pytest.approx(1.0 - 0.1 * 1.0)


def test_optimal_policy_recovers_reward_up_to_beta_log_partition(device: str) -> None:
    pi_ref, r = _problem(device)
    beta = 0.5
    pi_star = optimal_policy(pi_ref, r, beta)
    check = implied_reward_check(pi_star, pi_ref, r, beta)
    assert check.max_deviation.item() < 1e-12
    log_Z = torch.logsumexp(pi_ref.log() + r / beta, -1)  # Z = sum_y pi_ref(y) exp(r(y)/beta)
    assert check.constant.item() == pytest.approx(beta * log_Z.item(), rel=1e-12)
    assert (
        check.max_deviation.item()
        < implied_reward_check(pi_ref, pi_ref, r, beta).max_deviation.item()
    )


def test_gradient_ascent_on_logits_reaches_the_closed_form_optimum(device: str) -> None:
    pi_ref, r = _problem(device, seed=1)
    beta = 0.7
    logits = torch.zeros_like(r, requires_grad=True)
    opt = torch.optim.Adam([logits], lr=0.1)
    for _ in range(600):
        opt.zero_grad()
        (-kl_regularized_objective(torch.log_softmax(logits, -1), pi_ref.log(), r, beta)).backward()
        opt.step()
    pi_star = optimal_policy(pi_ref, r, beta)
    torch.testing.assert_close(torch.softmax(logits, -1).detach(), pi_star, atol=1e-6, rtol=0)
    # the optimal value is beta log Z
    J_star = kl_regularized_objective(pi_star.log(), pi_ref.log(), r, beta)
    assert J_star.item() == pytest.approx(
        beta * torch.logsumexp(pi_ref.log() + r / beta, -1).item()
    )


def test_optimum_beats_nearby_policies() -> None:
    pi_ref, r = _problem("cpu", seed=2)
    pi_star = optimal_policy(pi_ref, r, 1.0)
    J_star = kl_regularized_objective(pi_star.log(), pi_ref.log(), r, 1.0)
    g = torch.Generator().manual_seed(3)
    for _ in range(20):
        other = torch.softmax(
            pi_star.log() + 0.1 * torch.randn(6, generator=g, dtype=torch.float64), -1
        )
        assert kl_regularized_objective(other.log(), pi_ref.log(), r, 1.0) < J_star


def test_dpo_loss_matches_naive_formula_and_default_beta_is_the_seed_boxed_form(
    device: str,
) -> None:
    vals = [[-4.0, -6.5], [-5.0, -5.5], [-7.0, -7.2], [-6.0, -5.0]]  # (logp_pos, logp_neg) columns
    refs = [-4.5, -6.0, -5.1, -5.2, -7.3, -7.0, -5.5, -5.5]
    t = lambda xs: torch.tensor(xs, dtype=torch.float64, device=device)  # noqa: E731
    lp_pos, lp_neg = t([v[0] for v in vals]), t([v[1] for v in vals])
    ref_pos, ref_neg = t(refs[0::2]), t(refs[1::2])
    for beta in (1.0, 0.1):
        expected = -sum(
            math.log(1 / (1 + math.exp(-beta * ((a - ra) - (b - rb)))))
            for (a, b), ra, rb in zip(vals, refs[0::2], refs[1::2], strict=True)
        ) / len(vals)
        assert dpo_loss(lp_pos, lp_neg, ref_pos, ref_neg, beta).item() == pytest.approx(
            expected, rel=1e-12
        )
    seed_boxed = -torch.nn.functional.logsigmoid((lp_pos - ref_pos) - (lp_neg - ref_neg)).mean()
    assert dpo_loss(lp_pos, lp_neg, ref_pos, ref_neg).item() == pytest.approx(seed_boxed.item())


def test_dpo_gradient_matches_autograd_of_the_closed_form() -> None:
    # d/d logp_pos of -log sig(beta z) = -beta sig(-beta z) / B
    lp_pos = torch.tensor([-3.0, -2.0], dtype=torch.float64, requires_grad=True)
    lp_neg = torch.tensor([-2.5, -4.0], dtype=torch.float64)
    ref = torch.tensor([-3.0, -3.0], dtype=torch.float64)
    beta = 0.3
    (grad,) = torch.autograd.grad(dpo_loss(lp_pos, lp_neg, ref, ref, beta), lp_pos)
    z = (lp_pos.detach() - ref) - (lp_neg - ref)
    torch.testing.assert_close(grad, -beta * torch.sigmoid(-beta * z) / 2)


def test_dpo_with_beta_inside_recovers_the_true_bradley_terry_preference_at_the_optimum() -> None:
    # With pi = pi*, beta * (log ratio+ - log ratio-) = r+ - r-, so the standard DPO
    # probability sigma(beta * ...) is the true BT probability sigma(r+ - r-); the seed's
    # boxed form (beta = 1 for any beta) gives sigma((r+ - r-) / beta) instead.
    pi_ref, r = _problem("cpu", seed=4)
    beta = 0.25
    log_ratio = optimal_policy(pi_ref, r, beta).log() - pi_ref.log()
    margin = log_ratio[0] - log_ratio[1]
    true_p = torch.sigmoid(r[0] - r[1])
    torch.testing.assert_close(torch.sigmoid(beta * margin), true_p)
    torch.testing.assert_close(torch.sigmoid(margin), torch.sigmoid((r[0] - r[1]) / beta))
