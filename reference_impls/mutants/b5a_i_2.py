"""Wrong greedy generation WITH a KV cache for mid-sem B5(a)(i)(2).

Signature as the stub: (model, prompt (m,) int64, T_max) -> (t,) int64, on the ``TinyLM``
API of the question's support module (received as an argument).
"""

from __future__ import annotations

import math
from typing import Any

import torch

__all__ = ["recompute_prefix", "no_cache_append", "position_zero"]


def _attend(q, k, v, offset: int):  # type: ignore[no-untyped-def]
    scores = torch.einsum("thd,shd->hts", q, k) / math.sqrt(q.shape[-1])
    allowed = torch.arange(k.shape[0])[None, :] <= (offset + torch.arange(q.shape[0]))[:, None]
    return torch.einsum(
        "hts,shd->thd", torch.softmax(scores.masked_fill(~allowed, float("-inf")), -1), v
    )


def _layer(model, layer, x, z):  # type: ignore[no-untyped-def]
    x = model.norm1(layer, x + model.attn_out(layer, z))
    return model.norm2(layer, x + model.ffn(layer, x))


@torch.no_grad()
def recompute_prefix(model, prompt, T_max):  # type: ignore[no-untyped-def]
    """WRONG (cost only): keeps a "cache" but rebuilds it from the whole prefix every step.

    Same tokens as the reference; O(t^2) work per step instead of O(t): the complexity
    check must catch it.
    """
    Y = [int(t) for t in prompt.reshape(-1)]
    while len(Y) < T_max:
        x = model.embed(torch.tensor(Y), torch.arange(len(Y)))
        K_cache, V_cache = [], []
        for layer in range(model.n_layers):
            k, v = model.key(layer, x), model.value(layer, x)
            K_cache.append(k)
            V_cache.append(v)
            x = _layer(
                model, layer, x, _attend(model.query(layer, x), K_cache[layer], V_cache[layer], 0)
            )
        y = int(model.unembed(x[-1:])[0].argmax())
        Y.append(y)
        if y == model.eos_id:
            break
    return torch.tensor(Y, dtype=torch.int64)


def _cached(model: Any, prompt: torch.Tensor, T_max: int, append: bool, true_pos: bool):  # type: ignore[no-untyped-def]
    Y = [int(t) for t in prompt.reshape(-1)]
    m = len(Y)
    if m >= T_max:
        return torch.tensor(Y, dtype=torch.int64)
    x = model.embed(torch.tensor(Y), torch.arange(m))
    K_cache, V_cache = [], []
    for layer in range(model.n_layers):
        q, k, v = model.query(layer, x), model.key(layer, x), model.value(layer, x)
        K_cache.append(k)
        V_cache.append(v)
        x = _layer(model, layer, x, _attend(q, k, v, 0))
    logits = model.unembed(x[-1:])[0]
    while True:
        y = int(logits.argmax())
        Y.append(y)
        if y == model.eos_id or len(Y) >= T_max:
            break
        pos = len(Y) - 1
        x = model.embed(torch.tensor([y]), torch.tensor([pos if true_pos else 0]))
        for layer in range(model.n_layers):
            q, k, v = model.query(layer, x), model.key(layer, x), model.value(layer, x)
            if append:
                K_cache[layer] = torch.cat([K_cache[layer], k])
                V_cache[layer] = torch.cat([V_cache[layer], v])
                keys, values = K_cache[layer], V_cache[layer]
            else:
                keys, values = torch.cat([K_cache[layer], k]), torch.cat([V_cache[layer], v])
            x = _layer(model, layer, x, _attend(q, keys, values, keys.shape[0] - 1))
        logits = model.unembed(x)[0]
    return torch.tensor(Y, dtype=torch.int64)


@torch.no_grad()
def no_cache_append(model, prompt, T_max):  # type: ignore[no-untyped-def]
    """WRONG: never appends the new k_t, v_t to the cache, so generated tokens are forgotten."""
    return _cached(model, prompt, T_max, append=False, true_pos=True)


@torch.no_grad()
def position_zero(model, prompt, T_max):  # type: ignore[no-untyped-def]
    """WRONG: embeds every new token at position 0 (PosEnc of the step forgotten)."""
    return _cached(model, prompt, T_max, append=True, true_pos=False)
