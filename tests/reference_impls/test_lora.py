"""LoRA: parameter counts against the seed paper, outputs against nn.Linear."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch
from torch import nn

from reference_impls.lora import (
    LoRALinear,
    lora_rank_for_reduction,
    lora_reduction_factor,
    lora_trainable_params,
)


def test_rank_for_a_15x_reduction_of_a_120x120_matrix_is_4_as_in_the_seed_paper() -> None:
    assert lora_trainable_params(120, 120, 4) == 240 * 4
    assert lora_reduction_factor(120, 120, 4) == 15  # 14400 / (240 r) = 15
    assert lora_reduction_factor(120, 120, 2) == 30  # option (A), r = 2, is a 30x reduction
    assert lora_rank_for_reduction(120, 120, 15) == 4


def test_rank_solver_rejects_factors_without_an_integer_rank_unless_asked_to_round() -> None:
    with pytest.raises(ValueError, match="no integer rank"):
        lora_rank_for_reduction(120, 120, 7)
    r = lora_rank_for_reduction(120, 120, 7, exact=False)
    assert r == 8 and lora_reduction_factor(120, 120, r) >= 7 > lora_reduction_factor(
        120, 120, r + 1
    )


def test_general_rectangular_count_is_r_times_din_plus_dout() -> None:
    assert lora_trainable_params(768, 3072, 8) == 8 * (768 + 3072)
    assert lora_reduction_factor(768, 3072, 8) == Fraction(768 * 3072, 8 * 3840)


def test_module_trains_exactly_2nr_parameters_and_freezes_weight_and_bias(device: str) -> None:
    layer = LoRALinear(120, 120, r=4, alpha=8, device=device)
    trainable = sum(p.numel() for p in layer.parameters() if p.requires_grad)
    assert trainable == 2 * 120 * 4
    assert not layer.weight.requires_grad and not layer.bias.requires_grad


def test_initial_output_equals_the_base_layer(device: str) -> None:
    torch.manual_seed(0)
    base = nn.Linear(10, 6).to(device)
    layer = LoRALinear.from_linear(base, r=2, alpha=4)
    x = torch.randn(3, 5, 10, device=device)
    torch.testing.assert_close(layer(x), base(x))


def test_merged_layer_gives_identical_outputs(device: str) -> None:
    layer = LoRALinear(10, 6, r=3, alpha=6, device=device, seed=1)
    with torch.no_grad():
        layer.lora_B.copy_(torch.randn(6, 3, generator=torch.Generator().manual_seed(2)))
    x = torch.randn(4, 10, device=device)
    merged = layer.merge()
    torch.testing.assert_close(merged(x), layer(x), rtol=1e-5, atol=1e-5)
    expected_W = layer.weight + (6 / 3) * layer.lora_B @ layer.lora_A  # W + (alpha/r) B A
    torch.testing.assert_close(merged.weight, expected_W)
    assert not torch.equal(merged.weight, layer.weight)  # base weights kept, update added


def test_only_lora_factors_receive_gradients() -> None:
    layer = LoRALinear(5, 5, r=1, alpha=1)
    layer(torch.randn(2, 5)).sum().backward()
    assert layer.weight.grad is None and layer.bias.grad is None
    assert layer.lora_B.grad is not None and layer.lora_A.grad is not None


def test_same_seed_gives_same_initialization() -> None:
    a, b = LoRALinear(8, 4, 2, 2, seed=3), LoRALinear(8, 4, 2, 2, seed=3)
    assert torch.equal(a.lora_A, b.lora_A) and torch.equal(a.weight, b.weight)
