"""A minimal decoder-only Transformer (GPT-2 style), its exact parameter count and its cost.

Implements the model of the quiz, Question 5 (GPT-2 small: learned positions, tied
embedding/unembedding, pre-LN blocks, a final LayerNorm) at any size, with:

* ``GPTConfig`` (n_layer, n_head, d_model, d_ff, vocab_size, block_size, bias) and
  ``gpt_param_count(cfg)``, the closed-form count. ``bias`` switches the biases of the
  Linear layers (attention and MLP) only; every LayerNorm keeps its gain *and* bias
  (2 parameters per dimension), as the quiz counts them. The quiz configuration gives
  exactly 124,356,864.
* ``KVCache`` and ``GPT.forward(idx, cache=..., start_pos=...)`` for step-by-step decoding
  (mid-sem Question 5 (a)); ``reference_impls.kv_cache`` builds greedy generation on it.
* ``layer_macs(n, d, h, d_ff)``: multiply-accumulate counts of one layer term by term
  (mid-sem Question 2 (d)): Q,K,V projections 3nd^2, scores n^2 d, apply n^2 d, output
  projection nd^2, FFN 2 n d d_ff (= 8nd^2 for d_ff = 4d), identical for 1 and h heads.

Checked against: counting module parameters (on the meta device for the 124M model),
the quiz's number, ``torch.utils.flop_counter.FlopCounterMode`` (FLOPs = 2 x MACs),
cached vs. uncached forward passes giving the same logits, and attention outputs and
logits equal to those computed with ``F.scaled_dot_product_attention(..., is_causal=True)``
on the same weights.

Shapes: B batch, T new positions, S cached + new positions, D = d_model, H heads,
Dh = D // H, V vocabulary, L layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, overload

import torch
import torch.nn as nn
import torch.nn.functional as F

from reference_impls._common import DeviceLike, resolve_device

__all__ = [
    "GPTConfig",
    "gpt_param_count",
    "LayerMACs",
    "layer_macs",
    "KVCache",
    "CausalSelfAttention",
    "MLP",
    "Block",
    "GPT",
    "QUIZ_CONFIG",
]


@dataclass(frozen=True)
class GPTConfig:
    """Hyper-parameters of the model.

    n_layer: L, number of Transformer blocks.
    n_head: H, attention heads per block (d_model must be divisible by it).
    d_model: D, width of the residual stream.
    d_ff: hidden width of the MLP (4 D in GPT-2).
    vocab_size: V.
    block_size: the longest sequence the learned positional table covers.
    bias: biases in the Linear layers (attention W_Q, W_K, W_V, W_O and MLP); LayerNorms
        always have gain and bias.
    """

    n_layer: int = 2
    n_head: int = 2
    d_model: int = 32
    d_ff: int = 128
    vocab_size: int = 64
    block_size: int = 64
    bias: bool = True


# The quiz, Question 5: GPT-2 small without Linear biases.
QUIZ_CONFIG = GPTConfig(
    n_layer=12, n_head=12, d_model=768, d_ff=3072, vocab_size=50257, block_size=1024, bias=False
)


def gpt_param_count(cfg: GPTConfig) -> int:
    """Exact number of trainable parameters of ``GPT(cfg)``.

    total = V d  (token embedding, tied with the unembedding)
          + T_max d  (learned positions)
          + L (4 d^2 + 2 d d_ff + 2 * 2d  [+ 3d + d + d_ff + d biases])
          + 2 d  (final LayerNorm)
    """
    d, V, L = cfg.d_model, cfg.vocab_size, cfg.n_layer
    per_layer = 4 * d * d + 2 * d * cfg.d_ff + 2 * (2 * d)  # W_Q,W_K,W_V,W_O; MLP; 2 LayerNorms
    if cfg.bias:
        per_layer += 3 * d + d + cfg.d_ff + d  # b_Q,b_K,b_V; b_O; MLP up; MLP down
    return V * d + cfg.block_size * d + L * per_layer + 2 * d


class LayerMACs(NamedTuple):
    """Multiply-accumulates of one Transformer layer on n tokens (FLOPs are 2x these)."""

    qkv_proj: int  # X W_Q, X W_K, X W_V: 3 n d^2 (h heads: 3 h n d d' = 3 n d^2)
    scores: int  # Q K^T: n^2 d (h heads: h n^2 d')
    apply: int  # A V: n^2 d
    out_proj: int  # concat(heads) W_O: n d^2
    ffn: int  # d -> d_ff -> d: 2 n d d_ff (= 8 n d^2 for d_ff = 4d)
    total: int


def layer_macs(n: int, d: int, h: int = 1, d_ff: int | None = None) -> LayerMACs:
    """MACs of one layer (projections, attention, FFN; not softmax/LayerNorm/GELU).

    n: sequence length; d: model width; h: heads (d' = d / h per head); d_ff: FFN width,
    4d when None. The totals do not depend on h: O(n^2 d) + O(n d^2) either way.
    """
    if d % h:
        raise ValueError(f"d={d!r} is not divisible by h={h!r}")
    d_ff = 4 * d if d_ff is None else d_ff
    d_head = d // h  # d'
    qkv = 3 * h * n * d * d_head  # 3 h O(n d d')
    scores = h * n * n * d_head  # h O(n^2 d')
    apply = h * n * n * d_head
    out = n * d * d
    ffn = n * d * d_ff + n * d_ff * d
    return LayerMACs(qkv, scores, apply, out, ffn, qkv + scores + apply + out + ffn)


class KVCache:
    """Keys and values of every position processed so far, one pair per layer.

    ``k[l]``, ``v[l]``: (B, H, S, Dh) or None before the first write. ``append`` returns the
    concatenation of the cached and the new keys/values, which attention then uses.
    """

    def __init__(self, n_layer: int) -> None:
        self.k: list[torch.Tensor | None] = [None] * n_layer
        self.v: list[torch.Tensor | None] = [None] * n_layer

    @classmethod
    def from_prefix(cls, k: list[torch.Tensor], v: list[torch.Tensor]) -> KVCache:
        """A cache pre-filled with per-layer (B, H, P, Dh) keys/values (prefix tuning)."""
        cache = cls(len(k))
        cache.k, cache.v = list(k), list(v)
        return cache

    @property
    def seq_len(self) -> int:
        """S, the number of cached positions."""
        return 0 if self.k[0] is None else self.k[0].shape[2]

    def append(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Add (B, H, T, Dh) keys/values of layer ``layer``; return all (B, H, S + T, Dh)."""
        k_past, v_past = self.k[layer], self.v[layer]
        if k_past is not None and v_past is not None:
            k = torch.cat([k_past, k], dim=2)  # (B, H, S + T, Dh)
            v = torch.cat([v_past, v], dim=2)
        self.k[layer], self.v[layer] = k, v
        return k, v

    def nbytes(self) -> int:
        """Bytes held by all cached keys and values (both K and V)."""
        return sum(t.numel() * t.element_size() for t in self.k + self.v if t is not None)


class CausalSelfAttention(nn.Module):
    """Masked multi-head self-attention with separate W_Q, W_K, W_V, W_O (each D x D)."""

    def __init__(self, cfg: GPTConfig, device: DeviceLike = None) -> None:
        super().__init__()
        if cfg.d_model % cfg.n_head:
            raise ValueError(f"d_model={cfg.d_model!r} not divisible by n_head={cfg.n_head!r}")
        D, dev = cfg.d_model, resolve_device(device)
        self.n_head = cfg.n_head
        self.W_Q = nn.Linear(D, D, bias=cfg.bias, device=dev)
        self.W_K = nn.Linear(D, D, bias=cfg.bias, device=dev)
        self.W_V = nn.Linear(D, D, bias=cfg.bias, device=dev)
        self.W_O = nn.Linear(D, D, bias=cfg.bias, device=dev)

    def forward(
        self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0
    ) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D). With ``cache``, new keys/values are appended to layer
        ``layer`` and the T queries attend to all S cached + new positions causally."""
        B, T, D = x.shape
        H, Dh = self.n_head, D // self.n_head
        q = self.W_Q(x).view(B, T, H, Dh).transpose(1, 2)  # (B, H, T, Dh)
        k = self.W_K(x).view(B, T, H, Dh).transpose(1, 2)  # (B, H, T, Dh)
        v = self.W_V(x).view(B, T, H, Dh).transpose(1, 2)  # (B, H, T, Dh)
        if cache is not None:
            k, v = cache.append(layer, k, v)  # (B, H, S, Dh), S = S_past + T
        S = k.shape[2]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(Dh)  # q k^T / sqrt(d_k): (B, H, T, S)
        # query i sits at position S - T + i of the keys and may see keys j <= S - T + i
        allowed = torch.ones(T, S, dtype=torch.bool, device=x.device).tril(diagonal=S - T)
        att = att.masked_fill(~allowed, float("-inf"))
        att = F.softmax(att, dim=-1)  # alpha: (B, H, T, S)
        y = att @ v  # (B, H, T, Dh)
        y = y.transpose(1, 2).contiguous().view(B, T, D)  # concat heads: (B, T, D)
        return self.W_O(y)


class MLP(nn.Module):
    """Position-wise FFN: D -> d_ff -> D with GELU."""

    def __init__(self, cfg: GPTConfig, device: DeviceLike = None) -> None:
        super().__init__()
        dev = resolve_device(device)
        self.up = nn.Linear(cfg.d_model, cfg.d_ff, bias=cfg.bias, device=dev)
        self.down = nn.Linear(cfg.d_ff, cfg.d_model, bias=cfg.bias, device=dev)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D)."""
        return self.down(F.gelu(self.up(x)))


class Block(nn.Module):
    """Pre-LN Transformer block (GPT-2): x + Attn(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, cfg: GPTConfig, device: DeviceLike = None) -> None:
        super().__init__()
        dev = resolve_device(device)
        self.ln_1 = nn.LayerNorm(cfg.d_model, device=dev)  # gamma and beta: 2 D
        self.attn = CausalSelfAttention(cfg, dev)
        self.ln_2 = nn.LayerNorm(cfg.d_model, device=dev)
        self.mlp = MLP(cfg, dev)

    def forward(
        self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0
    ) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D)."""
        x = x + self.attn(self.ln_1(x), cache, layer)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Decoder-only Transformer: token + learned position embeddings, L pre-LN blocks,
    final LayerNorm, unembedding tied to the token embedding.

    Weights are drawn N(0, 0.02^2) (biases 0, LayerNorm gain 1) on the CPU from ``seed``
    and then moved, so a seed gives the same model on every device. On the meta device
    nothing is initialised (parameter counting only).
    """

    def __init__(self, cfg: GPTConfig, seed: int = 0, device: DeviceLike = None) -> None:
        super().__init__()
        dev = resolve_device(device)
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.d_model, device=dev)  # (V, D)
        self.wpe = nn.Embedding(cfg.block_size, cfg.d_model, device=dev)  # (T_max, D)
        self.blocks = nn.ModuleList([Block(cfg, dev) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(cfg.d_model, device=dev)
        self.lm_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False, device=dev)
        self.lm_head.weight = self.wte.weight  # tied: W_out = W_emb^T
        if dev.type != "meta":
            self._init_weights(seed)

    @torch.no_grad()
    def _init_weights(self, seed: int) -> None:
        g = torch.Generator().manual_seed(int(seed))
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                p.zero_()
            elif p.dim() == 1:  # LayerNorm gain
                p.fill_(1.0)
            else:
                p.copy_(0.02 * torch.randn(p.shape, generator=g))

    def embed(self, idx: torch.Tensor) -> torch.Tensor:
        """Token embeddings without positions: idx (B, T) -> (B, T, D)."""
        return self.wte(idx)

    @overload
    def forward(self, idx: torch.Tensor) -> torch.Tensor: ...
    @overload
    def forward(
        self, idx: torch.Tensor, cache: KVCache, start_pos: int | None = None
    ) -> tuple[torch.Tensor, KVCache]: ...

    def forward(
        self, idx: torch.Tensor, cache: KVCache | None = None, start_pos: int | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, KVCache]:
        """Logits of the next token at every position.

        idx: (B, T) token ids. Without ``cache``: returns logits (B, T, V) of positions
        0..T-1. With ``cache`` (holding S_past positions): the T tokens sit at positions
        ``start_pos``..``start_pos``+T-1 (default ``start_pos = cache.seq_len``), attend to
        the cache and to each other causally; returns (logits (B, T, V), the cache, updated
        in place with the new keys/values).
        """
        logits = self.forward_embeddings(self.embed(idx), cache, start_pos)
        return logits if cache is None else (logits, cache)

    def forward_embeddings(
        self, e: torch.Tensor, cache: KVCache | None = None, start_pos: int | None = None
    ) -> torch.Tensor:
        """Logits from token embeddings e: (B, T, D) -> (B, T, V); positions as ``forward``.

        Entry point for soft prompts (prompt tuning), which are embeddings without ids.
        """
        T = e.shape[1]
        t0 = (cache.seq_len if cache is not None else 0) if start_pos is None else start_pos
        if t0 + T > self.cfg.block_size:
            raise ValueError(
                f"positions {t0}..{t0 + T - 1} exceed block_size={self.cfg.block_size!r}"
            )
        pos = torch.arange(t0, t0 + T, device=e.device)  # (T,)
        x = e + self.wpe(pos)  # Embed(y) + PosEnc: (B, T, D)
        for layer, block in enumerate(self.blocks):
            x = block(x, cache, layer)
        return self.lm_head(self.ln_f(x))  # (B, T, V)
