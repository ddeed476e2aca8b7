"""PPO clipped surrogate and GRPO advantages against element-wise formulas and autograd."""

from __future__ import annotations

import math

import pytest
import torch

from reference_impls.ppo_grpo import grpo_advantages, grpo_loss, ppo_clip_loss, ppo_diagnostics


def _batch(device: str, B: int = 3, T: int = 6, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    old_logp = -torch.rand(B, T, generator=g, dtype=torch.float64) * 3
    logp = old_logp + 0.4 * torch.randn(B, T, generator=g, dtype=torch.float64)
    A = torch.randn(B, T, generator=g, dtype=torch.float64)
    mask = torch.ones(B, T, dtype=torch.float64)
    mask[0, 4:] = 0
    mask[2, 1:] = 0
    return [t.to(device) for t in (logp, old_logp, A, mask)]


def _loop_ppo(logp, old_logp, A, mask, eps):
    total, n = 0.0, 0
    for b in range(len(logp)):
        for t in range(len(logp[0])):
            if mask[b][t]:
                rho = math.exp(logp[b][t] - old_logp[b][t])
                clipped = min(max(rho, 1 - eps), 1 + eps)
                total += min(rho * A[b][t], clipped * A[b][t])
                n += 1
    return -total / n


def test_ppo_clip_loss_matches_element_wise_formula_over_valid_tokens(device: str) -> None:
    logp, old_logp, A, mask = _batch(device)
    expected = _loop_ppo(*(t.cpu().tolist() for t in (logp, old_logp, A, mask)), eps=0.2)
    assert ppo_clip_loss(logp, old_logp, A, mask, 0.2).item() == pytest.approx(expected, rel=1e-12)


def test_ppo_gradient_is_policy_gradient_at_ratio_one(device: str) -> None:
    _, old_logp, A, mask = _batch(device, seed=1)
    logp = old_logp.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(ppo_clip_loss(logp, old_logp, A, mask), logp)
    torch.testing.assert_close(grad, -A * mask / mask.sum())  # -(1/n) A grad log pi


def test_clipped_tokens_get_no_gradient_only_when_the_clip_binds() -> None:
    old_logp = torch.zeros(1, 4, dtype=torch.float64)
    ratios = torch.tensor([[1.5, 1.5, 0.5, 0.5]], dtype=torch.float64)
    A = torch.tensor([[1.0, -1.0, 1.0, -1.0]], dtype=torch.float64)
    logp = ratios.log().requires_grad_(True)
    (grad,) = torch.autograd.grad(ppo_clip_loss(logp, old_logp, A, torch.ones(1, 4), 0.2), logp)
    # rho > 1 + eps with A > 0 and rho < 1 - eps with A < 0: clipped, zero gradient;
    # otherwise the unclipped term is the minimum and the gradient is -rho A / n.
    expected = torch.tensor([[0.0, 1.5 / 4, -0.5 / 4, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(grad, expected)


def test_ppo_diagnostics_report_clip_fraction_and_non_negative_kl() -> None:
    old_logp = torch.zeros(1, 4, dtype=torch.float64)
    logp = torch.tensor([[1.5, 1.1, 0.9, 0.5]], dtype=torch.float64).log()
    diag = ppo_diagnostics(logp, old_logp, torch.ones(1, 4), torch.ones(1, 4), eps=0.2)
    assert diag.clip_fraction.item() == pytest.approx(0.5)
    rho = torch.tensor([1.5, 1.1, 0.9, 0.5], dtype=torch.float64)
    assert diag.approx_kl.item() == pytest.approx(((rho - 1) - rho.log()).mean().item())
    assert diag.approx_kl.item() > 0
    assert diag.loss.item() == pytest.approx(
        ppo_clip_loss(logp, old_logp, torch.ones(1, 4), torch.ones(1, 4)).item()
    )


def test_grpo_advantages_use_population_std_as_in_the_quiz(device: str) -> None:
    rewards = torch.tensor([[1.0, 0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0, 2.0]], device=device)
    A = grpo_advantages(rewards, eps=1e-6)
    r = [1.0, 0.0, 0.0, 1.0, 1.0]
    mu = sum(r) / 5
    sigma = math.sqrt(sum((x - mu) ** 2 for x in r) / 5)  # 1/K, not 1/(K-1)
    expected = [(x - mu) / (sigma + 1e-6) for x in r]
    torch.testing.assert_close(A[0].cpu(), torch.tensor(expected))
    assert torch.all(A[1] == 0)  # identical rewards: no signal
    assert torch.allclose(
        A[0], (rewards[0] - rewards[0].mean()) / (rewards[0].std(correction=0) + 1e-6)
    )


def test_grpo_loss_is_ppo_loss_with_group_advantages_on_every_token(device: str) -> None:
    g = torch.Generator().manual_seed(2)
    Bp, K, T = 2, 4, 5
    old_logp = (-torch.rand(Bp, K, T, generator=g, dtype=torch.float64)).to(device)
    logp = old_logp + 0.3 * torch.randn(Bp, K, T, generator=g, dtype=torch.float64).to(device)
    mask = (torch.rand(Bp, K, T, generator=g) > 0.2).double().to(device)
    mask[..., 0] = 1
    rewards = torch.randn(Bp, K, generator=g, dtype=torch.float64).to(device)
    A = grpo_advantages(rewards)[..., None].expand(Bp, K, T)  # (B, K, T)
    expected = _loop_ppo(
        *(t.reshape(Bp * K, T).cpu().tolist() for t in (logp, old_logp, A, mask)), eps=0.2
    )
    assert grpo_loss(logp, old_logp, rewards, mask).item() == pytest.approx(expected, rel=1e-12)


def test_sequence_level_ratios_reproduce_the_quiz_objective() -> None:
    # Quiz 6(b)/(c): min(rho A, clip(rho, 1-eps, 1+eps) A) with rho = pi_theta(y|x) / pi_ref(y|x).
    seq_logp = torch.tensor([[-3.0], [-2.0]], dtype=torch.float64)
    seq_old = torch.tensor([[-3.5], [-1.0]], dtype=torch.float64)
    A = torch.tensor([[1.0], [-2.0]], dtype=torch.float64)
    rho = [math.exp(0.5), math.exp(-1.0)]
    objective = [min(rho[0] * 1.0, 1.2 * 1.0), min(rho[1] * -2.0, 0.8 * -2.0)]
    loss = ppo_clip_loss(seq_logp, seq_old, A, torch.ones(2, 1), 0.2)
    assert loss.item() == pytest.approx(-sum(objective) / 2)
