"""Tests of reference_impls.prompt_prefix_tuning: trainable-parameter formulas, training
only the soft prompt / prefix, and where each one acts."""

from __future__ import annotations

import pytest
import torch

from reference_impls.gpt import GPT, GPTConfig
from reference_impls.prompt_prefix_tuning import (
    Prefix,
    SoftPrompt,
    count_trainable,
    freeze_,
    prefix_tuning_param_count,
    prompt_tuning_param_count,
    tune,
)

CFG = GPTConfig(n_layer=3, n_head=2, d_model=32, d_ff=64, vocab_size=30, block_size=32)
P = 5


def _task(device: str) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    idx = torch.randint(0, 30, (4, 10), generator=g).to(device)
    targets = torch.full_like(idx, 7)  # steer the frozen model to always predict token 7
    return idx, targets


def test_trainable_counts_match_formulas() -> None:
    model = freeze_(GPT(CFG))
    prompt = SoftPrompt(P, CFG.d_model)
    prefix = Prefix(CFG.n_layer, P, CFG.d_model, CFG.n_head)
    assert count_trainable(model, prompt) == prompt_tuning_param_count(P, CFG.d_model) == 160
    assert count_trainable(model, prefix) == prefix_tuning_param_count(CFG.n_layer, P, 32) == 960


@pytest.mark.parametrize("method", ["prompt", "prefix"])
def test_few_steps_reduce_loss_and_leave_base_weights_unchanged(device: str, method: str) -> None:
    model = GPT(CFG, seed=0, device=device)
    with torch.no_grad():  # a stand-in for a pretrained model: weights large enough to matter
        for p in model.parameters():
            if p.dim() >= 2:
                p.mul_(10)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    adapter = (
        SoftPrompt(P, CFG.d_model, device=device)
        if method == "prompt"
        else Prefix(CFG.n_layer, P, CFG.d_model, CFG.n_head, device=device)
    )
    result = tune(model, adapter, *_task(device), steps=15, lr=0.1)
    assert result.losses[-1] < 0.5 * result.losses[0]
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_soft_prompt_acts_only_at_the_input_prefix_at_every_layer() -> None:
    model = GPT(CFG, seed=0)
    prompt = SoftPrompt(P, CFG.d_model, seed=1)
    prefix = Prefix(CFG.n_layer, P, CFG.d_model, CFG.n_head, seed=1)
    idx = torch.randint(0, 30, (2, 6))
    prompt(model, idx).sum().backward()
    prefix(model, idx).sum().backward()
    assert prompt.prompt.grad is not None and prompt.prompt.grad.abs().sum() > 0
    # every layer's prefix keys and values receive gradient
    assert prefix.K_pre.grad is not None and prefix.V_pre.grad is not None
    assert (prefix.K_pre.grad.flatten(1).abs().sum(-1) > 0).all()
    assert (prefix.V_pre.grad.flatten(1).abs().sum(-1) > 0).all()


def test_zero_length_prefix_reduces_to_the_plain_model() -> None:
    model = GPT(CFG, seed=0)
    idx = torch.randint(0, 30, (2, 6))
    with torch.no_grad():
        torch.testing.assert_close(Prefix(CFG.n_layer, 0, 32, 2)(model, idx), model(idx))
