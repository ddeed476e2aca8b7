"""Wrong greedy generation WITHOUT a KV cache for mid-sem B5(a)(i)(1).

Signature as the stub: (model, prompt (m,) int64, T_max) -> (t,) int64, on the ``TinyLM``
API of the question's support module (received as an argument).
"""

from __future__ import annotations

import math
from typing import Any

import torch

__all__ = ["no_causal_mask", "no_scaling", "one_token_short"]


def _attend(q, k, v, causal: bool, scale: bool):  # type: ignore[no-untyped-def]
    scores = torch.einsum("thd,shd->hts", q, k)  # (H, T, S)
    if scale:
        scores = scores / math.sqrt(q.shape[-1])
    if causal:
        T, S = q.shape[0], k.shape[0]
        allowed = torch.arange(S)[None, :] <= torch.arange(T)[:, None]
        scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.einsum("hts,shd->thd", torch.softmax(scores, -1), v)


def _generate(model: Any, prompt: torch.Tensor, T_max: int, causal=True, scale=True, short=0):  # type: ignore[no-untyped-def]
    Y = [int(t) for t in prompt.reshape(-1)]
    while len(Y) < T_max - short:
        x = model.embed(torch.tensor(Y), torch.arange(len(Y)))
        for layer in range(model.n_layers):
            z = _attend(
                model.query(layer, x), model.key(layer, x), model.value(layer, x), causal, scale
            )
            x = model.norm1(layer, x + model.attn_out(layer, z))
            x = model.norm2(layer, x + model.ffn(layer, x))
        y = int(model.unembed(x[-1:])[0].argmax())
        Y.append(y)
        if y == model.eos_id:
            break
    return torch.tensor(Y, dtype=torch.int64)


@torch.no_grad()
def no_causal_mask(model, prompt, T_max):  # type: ignore[no-untyped-def]
    """WRONG: no causal mask, earlier positions attend to later ones inside the prefix."""
    return _generate(model, prompt, T_max, causal=False)


@torch.no_grad()
def no_scaling(model, prompt, T_max):  # type: ignore[no-untyped-def]
    """WRONG: attention scores not divided by sqrt(d_k)."""
    return _generate(model, prompt, T_max, scale=False)


@torch.no_grad()
def one_token_short(model, prompt, T_max):  # type: ignore[no-untyped-def]
    """WRONG: off by one in the stopping rule, stops at T_max - 1 ids (loop `while t < T_max`)."""
    return _generate(model, prompt, T_max, short=1)
