"""Tests of reference_impls.attention against the seed paper, torch built-ins and theory."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from reference_impls.attention import (
    MultiHeadAttention,
    causal_mask,
    context_vector,
    merge_heads,
    scaled_dot_product_attention,
    score_variance,
    split_heads,
)


def test_context_vector_matches_seed_paper() -> None:
    s = torch.tensor([[2.0, -1.0, 0.0], [-1.0, 2.0, 1.0], [1.0, 1.0, -1.0]])  # s_1, s_2, s_3
    alpha = torch.tensor([0.4, 0.3, 0.3])
    torch.testing.assert_close(context_vector(alpha, s), torch.tensor([0.8, 0.5, 0.0]))


def test_context_vector_direction_changes_when_states_are_scaled_through_softmax() -> None:
    # mid-sem A1 (C): scaling s_i rescales the scores q.s_i, so alpha and c_t's direction change
    s = torch.tensor([[2.0, -1.0, 0.0], [-1.0, 2.0, 1.0], [1.0, 1.0, -1.0]])
    q = torch.tensor([1.0, 0.0, 0.5])
    c1 = context_vector(F.softmax(s @ q, dim=-1), s)
    c2 = context_vector(F.softmax((3 * s) @ q, dim=-1), 3 * s)
    assert F.cosine_similarity(c1, c2, dim=0) < 0.999


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_matches_torch_builtin(device: str, causal: bool) -> None:
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 5, 8, generator=g).to(device) for _ in range(3))
    out, alpha = scaled_dot_product_attention(q, k, v, causal=causal)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=causal))
    torch.testing.assert_close(alpha.sum(-1), torch.ones(2, 3, 5, device=device))


def test_sdpa_boolean_and_additive_masks_match_torch(device: str) -> None:
    g = torch.Generator().manual_seed(1)
    q = torch.randn(2, 4, 8, generator=g).to(device)
    k, v = (torch.randn(2, 6, 8, generator=g).to(device) for _ in range(2))
    keep = torch.rand(4, 6, generator=g).to(device) > 0.3
    keep[:, 0] = True  # every query sees at least one key
    additive = torch.zeros(4, 6, device=device).masked_fill(~keep, float("-inf"))
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v, mask=keep).output, expected)
    torch.testing.assert_close(
        scaled_dot_product_attention(q, k, v, mask=additive).output, expected
    )


def test_causal_mask_hides_future_keys() -> None:
    m = causal_mask(3)
    assert m.tolist() == [[True, False, False], [True, True, False], [True, True, True]]


def test_split_then_merge_heads_is_identity() -> None:
    x = torch.randn(2, 5, 12)
    h = split_heads(x, 3)
    assert h.shape == (2, 3, 5, 4)
    torch.testing.assert_close(h[:, 1], x[..., 4:8])  # head 1 gets columns 4..7
    torch.testing.assert_close(merge_heads(h), x)


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_matches_nn_multihead_attention(device: str, causal: bool) -> None:
    torch.manual_seed(0)
    D, H = 16, 4
    ours = MultiHeadAttention(D, H, device=device)
    ref = nn.MultiheadAttention(D, H, batch_first=True, device=device)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([ours.W_Q.weight, ours.W_K.weight, ours.W_V.weight]))
        ref.in_proj_bias.copy_(torch.cat([ours.W_Q.bias, ours.W_K.bias, ours.W_V.bias]))
        ref.out_proj.weight.copy_(ours.W_O.weight)
        ref.out_proj.bias.copy_(ours.W_O.bias)
    x = torch.randn(2, 7, D, device=device)
    mask = ~causal_mask(7, device=device) if causal else None  # torch: True = hidden
    expected, _ = ref(x, x, x, attn_mask=mask, need_weights=False)
    torch.testing.assert_close(ours(x, causal=causal), expected, rtol=1e-4, atol=1e-5)


def test_multi_head_cross_attention_uses_key_length() -> None:
    mha = MultiHeadAttention(8, 2)
    assert mha(torch.randn(2, 3, 8), torch.randn(2, 9, 8)).shape == (2, 3, 8)


@pytest.mark.parametrize("d_k", [4, 64, 512])
def test_score_variance_is_one_scaled_and_d_k_unscaled(d_k: int) -> None:
    var_scaled, var_unscaled = score_variance(d_k, n_samples=40_000, seed=0)
    # standard error of a sample variance of a product of Gaussians is about 2/sqrt(n)
    assert var_scaled == pytest.approx(1.0, rel=0.05)
    assert var_unscaled == pytest.approx(d_k, rel=0.05)
    assert var_unscaled / var_scaled == pytest.approx(d_k, rel=1e-9)


@pytest.mark.gpu
def test_score_variance_on_cuda() -> None:
    var_scaled, _ = score_variance(32, n_samples=40_000, seed=0, device="cuda")
    assert math.isclose(var_scaled, 1.0, rel_tol=0.05)
