"""Tests of reference_impls.positional_encoding against the paper's formula and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from reference_impls.positional_encoding import (
    LearnedPositionalEncoding,
    integer_encoding,
    raw_integer_diagnostics,
    shift_by_rotation,
    sinusoidal_encoding,
)


def test_sinusoidal_matches_paper_formula_loop(device: str) -> None:
    T, D = 20, 16
    expected = np.zeros((T, D))
    for pos in range(T):
        for i in range(D // 2):
            expected[pos, 2 * i] = math.sin(pos / 10000 ** (2 * i / D))
            expected[pos, 2 * i + 1] = math.cos(pos / 10000 ** (2 * i / D))
    pe = sinusoidal_encoding(T, D, device=device)
    assert pe.device.type == device
    np.testing.assert_allclose(pe.cpu().numpy(), expected, atol=1e-5)


def test_sinusoidal_shift_is_a_fixed_rotation() -> None:
    pe = sinusoidal_encoding(50, 32)
    torch.testing.assert_close(shift_by_rotation(pe, 7), pe[7:], atol=1e-4, rtol=0)


def test_learned_encoding_has_no_row_for_unseen_positions() -> None:
    enc = LearnedPositionalEncoding(8, 4)
    assert enc(8).shape == (8, 4)
    torch.testing.assert_close(enc(3, start_pos=2), enc.table.weight[2:5])
    with pytest.raises(ValueError, match="table has 8"):
        enc(9)


def test_integer_encoding_repeats_position_in_every_dimension() -> None:
    assert integer_encoding(3, 2).tolist() == [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]


def test_raw_integer_encoding_swamps_tokens_and_leaves_training_range() -> None:
    D = 16
    diag = raw_integer_diagnostics(T_train=32, T_test=64, D=D, token_norm=1.0)
    # ||PE_int(p)|| = p sqrt(D): linear growth; the sinusoid's norm is sqrt(D/2) everywhere
    torch.testing.assert_close(diag.ratio_integer, diag.positions.float() * math.sqrt(D))
    torch.testing.assert_close(diag.ratio_sinusoidal, torch.full((64,), math.sqrt(D / 2)))
    assert diag.ratio_integer[-1] / diag.ratio_integer[0] == pytest.approx(64.0)
    assert diag.extrapolation_integer == pytest.approx(2.0)  # values twice the training maximum
    assert diag.extrapolation_sinusoidal <= 1.0


def test_attention_without_positions_is_permutation_equivariant() -> None:
    # quiz Q2 (a): self-attention alone ignores order; adding positions breaks the symmetry
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, 6, 8, generator=g)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])

    def attn(z: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(z, z, z)

    torch.testing.assert_close(attn(x[:, perm]), attn(x)[:, perm])
    pe = sinusoidal_encoding(6, 8)
    assert not torch.allclose(attn(x[:, perm] + pe), attn(x + pe)[:, perm], atol=1e-4)
