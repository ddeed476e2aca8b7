"""Mid-sem B5(a)(i): greedy generation without and with a KV cache on the tiny Transformer.

The model object is the ``TinyLM`` of the question's support module ``tiny_lm.py``; these
functions receive it as an argument and use only its documented pieces (``embed``,
``query``/``key``/``value``, ``attn_out``, ``norm1``, ``norm2``, ``ffn``, ``unembed`` and the
attributes ``n_layers``, ``d_k``, ``eos_id``), exactly as a student must. The same logic on
``reference_impls.gpt`` lives in ``reference_impls.kv_cache`` (checked there with FLOP counts).

Contract of both functions: prompt (m,) int64 ids y_1..y_m; generate greedily (argmax of
the last position's logits, computed once per step after the last layer; the paper's
pseudocode indents it inside the layer loop, a slip) until the sequence holds T_max ids or
the id just generated is ``model.eos_id`` (kept). Returns (t,) int64 ids, prompt included,
m <= t <= max(m, T_max). Position of y_t is t - 1 (0-based).

Cost: without a cache step t re-runs all t - 1 positions (O(t^2 d) attention per layer);
with a cache it runs one position against t cached keys/values (O(t d) per layer).
"""

from __future__ import annotations

import math
from typing import Any

import torch

__all__ = ["causal_attention", "generate_no_cache", "generate_with_cache"]


def causal_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, offset: int = 0
) -> torch.Tensor:
    """softmax(q k^T / sqrt(d_k)) v with query i (at position offset + i) seeing keys 0..offset+i.

    q (Tq, H, d_k), k and v (S, H, d_k) -> (Tq, H, d_k).
    """
    d_k = q.shape[-1]
    scores = torch.einsum("thd,shd->hts", q, k) / math.sqrt(d_k)  # (H, Tq, S)
    Tq, S = q.shape[0], k.shape[0]
    allowed = torch.arange(S)[None, :] <= (offset + torch.arange(Tq))[:, None]  # (Tq, S)
    scores = scores.masked_fill(~allowed, float("-inf"))
    attn = torch.softmax(scores, dim=-1)  # (H, Tq, S)
    return torch.einsum("hts,shd->thd", attn, v)  # (Tq, H, d_k)


def _block(model: Any, layer: int, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Add & Norm, FFN, Add & Norm (post-LN, as in the paper): (T, D) -> (T, D)."""
    x = model.norm1(layer, x + model.attn_out(layer, z))  # X = LN(X + Z W_O)
    return model.norm2(layer, x + model.ffn(layer, x))  # X = LN(X + FFN(X))


def _stop(model: Any, Y: list[int], y_t: int, T_max: int) -> bool:
    return y_t == model.eos_id or len(Y) >= T_max


@torch.no_grad()
def generate_no_cache(model: Any, prompt: torch.Tensor, T_max: int) -> torch.Tensor:
    """Greedy decoding that runs a full causal forward over the whole prefix every step."""
    Y = [int(t) for t in prompt.reshape(-1)]
    while len(Y) < T_max:
        ids = torch.tensor(Y)  # (t-1,)
        x = model.embed(ids, torch.arange(len(Y)))  # (t-1, D)
        for layer in range(model.n_layers):
            q, k, v = (
                model.query(layer, x),
                model.key(layer, x),
                model.value(layer, x),
            )  # (t-1, H, d_k)
            x = _block(model, layer, x, causal_attention(q, k, v))
        y_t = int(model.unembed(x[-1:])[0].argmax())  # logits at the last position only
        Y.append(y_t)
        if _stop(model, Y, y_t, T_max):
            break
    return torch.tensor(Y, dtype=torch.int64)


@torch.no_grad()
def generate_with_cache(model: Any, prompt: torch.Tensor, T_max: int) -> torch.Tensor:
    """Greedy decoding with per-layer K/V caches: warm with the prompt, then one position per
    step."""
    Y = [int(t) for t in prompt.reshape(-1)]
    m = len(Y)
    if m >= T_max:
        return torch.tensor(Y, dtype=torch.int64)
    K_cache: list[torch.Tensor] = []
    V_cache: list[torch.Tensor] = []
    x = model.embed(torch.tensor(Y), torch.arange(m))  # warm-up over the prompt: (m, D)
    for layer in range(model.n_layers):
        q, k, v = model.query(layer, x), model.key(layer, x), model.value(layer, x)  # (m, H, d_k)
        K_cache.append(k)
        V_cache.append(v)
        x = _block(model, layer, x, causal_attention(q, k, v))
    logits = model.unembed(x[-1:])[0]  # (V,)
    while True:
        y_t = int(logits.argmax())
        Y.append(y_t)
        if _stop(model, Y, y_t, T_max):
            break
        pos = len(Y) - 1  # the new token's position
        x = model.embed(torch.tensor([y_t]), torch.tensor([pos]))  # (1, D)
        for layer in range(model.n_layers):
            q, k, v = (
                model.query(layer, x),
                model.key(layer, x),
                model.value(layer, x),
            )  # (1, H, d_k)
            K_cache[layer] = torch.cat([K_cache[layer], k])  # (pos + 1, H, d_k)
            V_cache[layer] = torch.cat([V_cache[layer], v])
            z = causal_attention(q, K_cache[layer], V_cache[layer], offset=pos)  # (1, H, d_k)
            x = _block(model, layer, x, z)
        logits = model.unembed(x)[0]  # (V,)
    return torch.tensor(Y, dtype=torch.int64)
