"""Tests of reference_impls.grad_checkpointing: same gradients, less saved memory, 2L calls."""

from __future__ import annotations

import pytest
import torch

from reference_impls.gpt import GPT, GPTConfig
from reference_impls.grad_checkpointing import training_step

CFG = GPTConfig(n_layer=4, n_head=2, d_model=32, d_ff=128, vocab_size=50, block_size=32)


def _batch(device: str) -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.randint(0, 50, (4, 33), generator=torch.Generator().manual_seed(0)).to(device)
    return ids[:, :-1], ids[:, 1:]


def test_checkpointing_gives_identical_gradients(device: str) -> None:
    model = GPT(CFG, seed=0, device=device)
    plain = training_step(model, *_batch(device), use_checkpointing=False)
    ckpt = training_step(model, *_batch(device), use_checkpointing=True)
    assert plain.loss == ckpt.loss
    assert plain.grads.keys() == ckpt.grads.keys() and len(plain.grads) > 0
    for name, g in plain.grads.items():
        torch.testing.assert_close(ckpt.grads[name], g, rtol=1e-5, atol=1e-7)


def test_checkpointing_recomputes_each_block_once() -> None:
    model = GPT(CFG, seed=0)
    assert training_step(model, *_batch("cpu"), use_checkpointing=False).block_forward_calls == 4
    assert training_step(model, *_batch("cpu"), use_checkpointing=True).block_forward_calls == 8


def test_checkpointing_saves_far_fewer_activation_bytes() -> None:
    model = GPT(CFG, seed=0)
    plain = training_step(model, *_batch("cpu"), use_checkpointing=False)
    ckpt = training_step(model, *_batch("cpu"), use_checkpointing=True)
    assert plain.cuda_peak_bytes is None
    # a block keeps its input (B T D floats) instead of a dozen intermediates, some B T d_ff
    assert ckpt.saved_activation_bytes < 0.5 * plain.saved_activation_bytes


@pytest.mark.gpu
def test_checkpointing_lowers_cuda_peak_memory() -> None:
    cfg = GPTConfig(n_layer=8, n_head=4, d_model=256, d_ff=1024, vocab_size=256, block_size=256)
    model = GPT(cfg, seed=0, device="cuda")
    ids = torch.randint(0, 256, (16, 257), device="cuda")
    plain = training_step(model, ids[:, :-1], ids[:, 1:], use_checkpointing=False)
    ckpt = training_step(model, ids[:, :-1], ids[:, 1:], use_checkpointing=True)
    assert plain.cuda_peak_bytes is not None and ckpt.cuda_peak_bytes is not None
    assert ckpt.cuda_peak_bytes < plain.cuda_peak_bytes
