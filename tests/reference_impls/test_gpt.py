"""Tests of reference_impls.gpt: parameter count (quiz Q5), FLOP counts (mid-sem Q2 (d)),
cached decoding API, device handling, and the oracle: attention and logits equal those
computed with torch's ``F.scaled_dot_product_attention(..., is_causal=True)``."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from reference_impls.gpt import (
    GPT,
    QUIZ_CONFIG,
    Block,
    CausalSelfAttention,
    GPTConfig,
    KVCache,
    gpt_param_count,
    layer_macs,
)

SMALL = GPTConfig(n_layer=2, n_head=4, d_model=32, d_ff=64, vocab_size=50, block_size=24)


def _n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())  # tied weights counted once


def test_param_count_of_quiz_configuration_is_124_356_864() -> None:
    assert gpt_param_count(QUIZ_CONFIG) == 124_356_864
    assert _n_params(GPT(QUIZ_CONFIG, device="meta")) == 124_356_864


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("cfg", [SMALL, QUIZ_CONFIG])
def test_param_count_formula_matches_module_parameters(cfg: GPTConfig, bias: bool) -> None:
    cfg = dataclasses.replace(cfg, bias=bias)
    assert gpt_param_count(cfg) == _n_params(GPT(cfg, device="meta"))


def test_embedding_and_unembedding_are_tied() -> None:
    model = GPT(SMALL)
    assert model.lm_head.weight is model.wte.weight


def test_same_seed_gives_same_weights_and_other_seed_differs() -> None:
    a, b, c = GPT(SMALL, seed=3), GPT(SMALL, seed=3), GPT(SMALL, seed=4)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a.wte.weight, c.wte.weight)


@pytest.mark.parametrize("h", [1, 4])
def test_layer_macs_match_flop_counter_on_a_block(h: int) -> None:
    n, d = 10, 32
    cfg = GPTConfig(n_layer=1, n_head=h, d_model=d, d_ff=4 * d, bias=False)
    with FlopCounterMode(display=False) as counter:
        Block(cfg)(torch.randn(1, n, d))
    macs = layer_macs(n, d, h)
    assert counter.get_total_flops() == 2 * macs.total  # FLOPs = 2 x MACs
    # the seed's terms: 3nd^2 + n^2 d + n^2 d + (W_O: nd^2) + 8nd^2
    assert macs == (3 * n * d * d, n * n * d, n * n * d, n * d * d, 8 * n * d * d, macs.total)
    assert counter.get_flop_counts()["Global"][torch.ops.aten.bmm] == 2 * 2 * n * n * d


def test_layer_macs_single_and_multi_head_are_equal() -> None:
    assert layer_macs(128, 768, 1) == layer_macs(128, 768, 12)


def test_cached_forward_matches_full_forward(device: str) -> None:
    model = GPT(SMALL, seed=1, device=device)
    idx = torch.randint(0, 50, (2, 12), generator=torch.Generator().manual_seed(0)).to(device)
    with torch.no_grad():
        full = model(idx)  # (B, T, V)
        cache = KVCache(SMALL.n_layer)
        logits, cache = model(idx[:, :5], cache)  # warm with 5 positions
        steps = [logits]
        for t in range(5, 12):
            logits, cache = model(idx[:, t : t + 1], cache)
            steps.append(logits)
    assert full.shape == (2, 12, 50) and cache.seq_len == 12
    assert cache.k[0] is not None and cache.k[0].shape == (2, 4, 12, 8)  # (B, H, S, Dh)
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=1e-4, atol=1e-5)


def _attention_by_torch(attn: CausalSelfAttention, x: torch.Tensor) -> torch.Tensor:
    """The oracle: ``attn``'s own weights, attention by ``F.scaled_dot_product_attention``.

    x: (B, T, D) -> (B, T, D).
    """
    B, T, D = x.shape
    H = attn.n_head
    q, k, v = (
        W(x).view(B, T, H, D // H).transpose(1, 2)  # (B, H, T, Dh)
        for W in (attn.W_Q, attn.W_K, attn.W_V)
    )
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, T, Dh)
    return attn.W_O(y.transpose(1, 2).reshape(B, T, D))  # concat heads, W_O: (B, T, D)


def _logits_by_torch(model: GPT, idx: torch.Tensor) -> torch.Tensor:
    """The oracle: ``model``'s weights, every attention by ``_attention_by_torch``.

    idx: (B, T) -> logits (B, T, V).
    """
    pos = torch.arange(idx.shape[1], device=idx.device)  # (T,)
    x = model.wte(idx) + model.wpe(pos)  # (B, T, D)
    for block in model.blocks:
        x = x + _attention_by_torch(block.attn, block.ln_1(x))
        x = x + block.mlp(block.ln_2(x))
    return model.lm_head(model.ln_f(x))  # (B, T, V)


def test_attention_matches_torch_scaled_dot_product_attention(device: str) -> None:
    # weights of unit-order scores, so a wrong 1/sqrt(Dh) or mask changes the output
    attn = CausalSelfAttention(SMALL)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in attn.parameters():
            p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(SMALL.d_model))
    attn = attn.to(device).eval()
    x = torch.randn(2, 16, SMALL.d_model, generator=g).to(device)  # (B, T, D)
    with torch.no_grad():
        torch.testing.assert_close(attn(x), _attention_by_torch(attn, x), rtol=1e-4, atol=1e-5)


def test_logits_match_a_forward_pass_through_torch_attention(device: str) -> None:
    model = GPT(SMALL, seed=0, device=device).eval()  # no dropout in the model; eval anyway
    with torch.no_grad():
        # N(0, 0.02^2) weights make attention almost uniform, where a wrong scale hardly
        # shows: sharpen the scores (same weights for the model and the oracle)
        for block in model.blocks:
            block.attn.W_Q.weight.mul_(8.0)
            block.attn.W_K.weight.mul_(8.0)
        idx = torch.randint(0, 50, (2, 16), generator=torch.Generator().manual_seed(0))
        idx = idx.to(device)  # (B, T)
        logits = model(idx)  # (B, T, V)
        torch.testing.assert_close(logits, _logits_by_torch(model, idx), rtol=1e-4, atol=1e-5)


def test_forward_past_block_size_raises() -> None:
    with pytest.raises(ValueError, match="block_size=24"):
        GPT(SMALL)(torch.zeros(1, 25, dtype=torch.long))


def test_logits_are_causal() -> None:
    model = GPT(SMALL, seed=0)
    idx = torch.randint(0, 50, (1, 8))
    changed = idx.clone()
    changed[0, -1] = (idx[0, -1] + 1) % 50
    with torch.no_grad():
        torch.testing.assert_close(model(idx)[:, :-1], model(changed)[:, :-1])


@pytest.mark.gpu
def test_same_seed_gives_same_logits_on_cpu_and_cuda() -> None:
    idx = torch.randint(0, 50, (2, 10))
    with torch.no_grad():
        cpu = GPT(SMALL, seed=5)(idx)
        gpu = GPT(SMALL, seed=5, device="cuda")(idx.cuda())
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-3, atol=1e-4)
