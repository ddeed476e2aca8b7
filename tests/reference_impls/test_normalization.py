"""Tests of reference_impls.normalization against F.layer_norm, nn.BatchNorm1d and
nn.TransformerEncoderLayer."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from reference_impls.normalization import (
    BatchNorm,
    LayerNorm,
    PostLNResidual,
    PreLNResidual,
    batch_norm,
    layer_norm,
)


def test_layer_norm_matches_torch(device: str) -> None:
    g = torch.Generator().manual_seed(0)
    x = (3 * torch.randn(2, 5, 8, generator=g) + 1).to(device)
    gamma, beta = torch.randn(8, generator=g).to(device), torch.randn(8, generator=g).to(device)
    torch.testing.assert_close(layer_norm(x, gamma, beta), F.layer_norm(x, (8,), gamma, beta))


def test_layer_norm_gradients_match_torch_autograd() -> None:
    x = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    gamma = torch.randn(6, dtype=torch.float64, requires_grad=True)
    beta = torch.randn(6, dtype=torch.float64, requires_grad=True)
    ours = torch.autograd.grad(layer_norm(x, gamma, beta).pow(2).sum(), (x, gamma, beta))
    ref = torch.autograd.grad(F.layer_norm(x, (6,), gamma, beta).pow(2).sum(), (x, gamma, beta))
    for a, b in zip(ours, ref, strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("shape", [(16, 4), (8, 4, 5)])
def test_batch_norm_module_matches_nn_batchnorm1d_in_train_and_eval(
    device: str, shape: tuple[int, ...]
) -> None:
    ours, ref = BatchNorm(4, device=device), nn.BatchNorm1d(4, device=device)
    g = torch.Generator().manual_seed(0)
    for _ in range(3):
        x = (2 * torch.randn(*shape, generator=g) + 0.5).to(device)
        torch.testing.assert_close(ours(x), ref(x))
    torch.testing.assert_close(ours.running_mean, ref.running_mean)
    torch.testing.assert_close(ours.running_var, ref.running_var)
    ours.eval(), ref.eval()
    x = torch.randn(*shape, generator=g).to(device)
    torch.testing.assert_close(ours(x), ref(x))


def test_batch_norm_functional_in_eval_leaves_running_stats_unchanged() -> None:
    x = torch.randn(5, 3)
    rm, rv = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, 1.0, 0.25])
    out = batch_norm(x, torch.ones(3), torch.zeros(3), rm, rv, training=False)
    torch.testing.assert_close(out.y, (x - rm) / torch.sqrt(rv + 1e-5))
    assert out.running_mean is rm and out.running_var is rv


def test_layer_norm_of_a_token_ignores_the_rest_of_the_batch_batch_norm_does_not() -> None:
    # mid-sem Q2 (b): why Transformers use LayerNorm
    g = torch.Generator().manual_seed(0)
    tokens = torch.randn(4, 8, generator=g)
    other = torch.cat([tokens[:1], 5 * torch.randn(3, 8, generator=g)])  # same first token
    ln, bn = LayerNorm(8), BatchNorm(8)
    torch.testing.assert_close(ln(tokens)[0], ln(other)[0])
    assert not torch.allclose(bn(tokens)[0], bn(other)[0], atol=1e-3)


def _encoder_pieces(layer: nn.TransformerEncoderLayer, pre_ln: bool) -> nn.Sequential:
    D = layer.linear1.in_features
    Residual = PreLNResidual if pre_ln else PostLNResidual
    attn = Residual(lambda x: layer.self_attn(x, x, x, need_weights=False)[0], D)
    ffn = Residual(lambda x: layer.linear2(F.relu(layer.linear1(x))), D)
    with torch.no_grad():
        for ours, ref in ((attn.norm, layer.norm1), (ffn.norm, layer.norm2)):
            ours.gamma.copy_(ref.weight)
            ours.beta.copy_(ref.bias)
    return nn.Sequential(attn, ffn)


@pytest.mark.parametrize("pre_ln", [False, True])
def test_add_and_norm_blocks_match_transformer_encoder_layer(pre_ln: bool) -> None:
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True, norm_first=pre_ln)
    layer.eval()
    x = torch.randn(2, 5, 16)
    torch.testing.assert_close(_encoder_pieces(layer, pre_ln)(x), layer(x), rtol=1e-4, atol=1e-5)


def test_post_ln_output_is_normalized_pre_ln_residual_is_not() -> None:
    x = 10 * torch.randn(3, 4, 8) + 3
    post = PostLNResidual(lambda z: z, 8)(x)
    pre = PreLNResidual(lambda z: z, 8)(x)
    torch.testing.assert_close(post.mean(-1), torch.zeros(3, 4), atol=1e-5, rtol=0)
    assert pre.abs().mean() > 5  # the residual stream keeps its scale in pre-LN
