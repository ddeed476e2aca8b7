"""A tiny decoder-only Transformer that mid-sem Question 5(a)(i) gives you to call.

You write greedy generation (without and with a KV cache) on top of the *pieces* of the
model below; the model never runs a whole forward pass for you. Every piece is a pure
function of its inputs: nothing is cached or stored on the model when you call it.

The architecture is the one of the paper's pseudocode (post-LN blocks)::

    X = Embed(Y) + PosEnc(positions)                       # model.embed
    for l in 0..n_layers-1:
        Q, K, V = model.query(l, X), model.key(l, X), model.value(l, X)   # (T, H, d_k) each
        Z[i, h] = softmax_j<=i( Q[i,h] . K[j,h] / sqrt(d_k) ) @ V[:i+1, h] # causal, YOU write it
        X = model.norm1(l, X + model.attn_out(l, Z))       # Add & Norm
        X = model.norm2(l, X + model.ffn(l, X))            # Add & Norm
    logits = model.unembed(X)                               # (T, V)
    next token = argmax(logits[-1])                         # greedy

Conventions (shapes: T positions, D = d_model, H = n_heads, d_k = D // H, V = vocab_size):

* token ids are ``torch.int64`` tensors; positions are 0-based (the first prompt token is at
  position 0, so token y_t of the paper sits at position t - 1);
* hidden states are float64 tensors of shape (T, D); a single position is (1, D);
* every method works row by row: row i of the output depends only on row i of the input
  (``embed``, ``query``, ``key``, ``value``, ``attn_out``, ``norm1/2``, ``ffn``, ``unembed``).
  Only attention mixes positions, and you write attention.

Build a model with ``make_model(seed)``; the weights are a deterministic function of the
seed (float64, so greedy ties have probability zero). ``eos_id`` is the end-of-sequence id;
a model made with ``eos_id=-1`` never stops early.
"""

from __future__ import annotations

import torch

__all__ = ["TinyLM", "make_model"]


class TinyLM:
    """Weights of a small post-LN decoder-only Transformer and its building blocks.

    Attributes: ``n_layers`` (L), ``n_heads`` (H), ``d_model`` (D), ``d_k`` (D // H),
    ``d_ff``, ``vocab_size`` (V), ``max_len`` (longest sequence: positions 0..max_len-1),
    ``eos_id``.
    """

    def __init__(
        self,
        seed: int,
        vocab_size: int = 48,
        d_model: int = 32,
        n_heads: int = 4,
        n_layers: int = 2,
        d_ff: int = 64,
        max_len: int = 128,
        eos_id: int = 0,
    ) -> None:
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model!r} is not divisible by n_heads={n_heads!r}")
        self.n_layers, self.n_heads, self.d_model = n_layers, n_heads, d_model
        self.d_k, self.d_ff, self.vocab_size = d_model // n_heads, d_ff, vocab_size
        self.max_len, self.eos_id = max_len, eos_id
        g = torch.Generator().manual_seed(int(seed))

        def randn(*shape: int, std: float) -> torch.Tensor:
            return torch.randn(*shape, generator=g, dtype=torch.float64) * std

        D, F = d_model, d_ff
        self._tok = randn(vocab_size, D, std=1.0)  # token embedding (V, D)
        self._pos = randn(max_len, D, std=1.0)  # learned positional encoding (max_len, D)
        self._layers = []
        for _ in range(n_layers):
            self._layers.append(
                {
                    "W_Q": randn(D, D, std=2.0 / D**0.5),  # (D, H*d_k)
                    "W_K": randn(D, D, std=2.0 / D**0.5),
                    "W_V": randn(D, D, std=1.0 / D**0.5),
                    "W_O": randn(D, D, std=1.0 / D**0.5),  # (H*d_k, D)
                    "g1": 1.0 + randn(D, std=0.1),
                    "b1": randn(D, std=0.1),
                    "W_1": randn(D, F, std=1.0 / D**0.5),
                    "c_1": randn(F, std=0.1),
                    "W_2": randn(F, D, std=1.0 / F**0.5),
                    "c_2": randn(D, std=0.1),
                    "g2": 1.0 + randn(D, std=0.1),
                    "b2": randn(D, std=0.1),
                }
            )
        self._W_out = randn(D, vocab_size, std=2.0 / D**0.5)  # unembedding (D, V)

    # ------------------------------------------------------------------ input / output
    def embed(self, token_ids: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """Token embedding plus positional encoding: ids (T,), positions (T,) -> (T, D)."""
        token_ids = torch.as_tensor(token_ids, dtype=torch.int64).reshape(-1)
        positions = torch.as_tensor(positions, dtype=torch.int64).reshape(-1)
        if token_ids.shape != positions.shape:
            raise ValueError(
                f"token_ids and positions must have the same length, got "
                f"{tuple(token_ids.shape)} and {tuple(positions.shape)}"
            )
        if len(positions) and int(positions.max()) >= self.max_len:
            raise ValueError(f"position {int(positions.max())} is beyond max_len={self.max_len}")
        return self._tok[token_ids] + self._pos[positions]  # (T, D)

    def unembed(self, x: torch.Tensor) -> torch.Tensor:
        """Logits over the vocabulary: x (T, D) -> (T, V)."""
        return x @ self._W_out  # (T, V)

    # ---------------------------------------------------------------- attention pieces
    def _heads(self, x: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
        return (x @ W).view(x.shape[0], self.n_heads, self.d_k)  # (T, H, d_k)

    def query(self, layer: int, x: torch.Tensor) -> torch.Tensor:
        """Queries of layer ``layer``: x (T, D) -> (T, H, d_k)."""
        return self._heads(x, self._layers[layer]["W_Q"])

    def key(self, layer: int, x: torch.Tensor) -> torch.Tensor:
        """Keys of layer ``layer``: x (T, D) -> (T, H, d_k)."""
        return self._heads(x, self._layers[layer]["W_K"])

    def value(self, layer: int, x: torch.Tensor) -> torch.Tensor:
        """Values of layer ``layer``: x (T, D) -> (T, H, d_k)."""
        return self._heads(x, self._layers[layer]["W_V"])

    def attn_out(self, layer: int, z: torch.Tensor) -> torch.Tensor:
        """ConcatHeads(Z) @ W_O: per-head attention outputs z (T, H, d_k) -> (T, D)."""
        return z.reshape(z.shape[0], self.d_model) @ self._layers[layer]["W_O"]  # (T, D)

    # ------------------------------------------------------------- norms and the FFN
    @staticmethod
    def _ln(x: torch.Tensor, g: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        mu = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        return (x - mu) / torch.sqrt(var + 1e-5) * g + b

    def norm1(self, layer: int, x: torch.Tensor) -> torch.Tensor:
        """LayerNorm after the attention residual (first Add & Norm): (T, D) -> (T, D)."""
        p = self._layers[layer]
        return self._ln(x, p["g1"], p["b1"])

    def norm2(self, layer: int, x: torch.Tensor) -> torch.Tensor:
        """LayerNorm after the FFN residual (second Add & Norm): (T, D) -> (T, D)."""
        p = self._layers[layer]
        return self._ln(x, p["g2"], p["b2"])

    def ffn(self, layer: int, x: torch.Tensor) -> torch.Tensor:
        """Position-wise feed-forward network D -> d_ff -> D with ReLU: (T, D) -> (T, D)."""
        p = self._layers[layer]
        return torch.relu(x @ p["W_1"] + p["c_1"]) @ p["W_2"] + p["c_2"]

    def __repr__(self) -> str:
        return (
            f"TinyLM(n_layers={self.n_layers}, n_heads={self.n_heads}, d_model={self.d_model}, "
            f"d_k={self.d_k}, vocab_size={self.vocab_size}, max_len={self.max_len}, "
            f"eos_id={self.eos_id})"
        )


def make_model(seed: int = 0, eos_id: int = 0, n_layers: int = 2, max_len: int = 128) -> TinyLM:
    """The model used by the cases: V = 48, D = 32, H = 4, d_k = 8, d_ff = 64, weights from ``seed``."""
    return TinyLM(int(seed), n_layers=int(n_layers), max_len=int(max_len), eos_id=int(eos_id))
