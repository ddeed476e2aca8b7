"""Quiz Q5: trainable parameters of the GPT-2-style model (no Linear biases, tied embeddings).

    total = V d + L_max d + n_layer (4 d^2 + 4 d + 2 d_hidden d) + 2 d

(the paper's last line writes 12(d^2 + ...) where its worked terms give 12(4 d^2 + ...);
124,356,864 for the printed numbers). Computed by ``gpt.gpt_param_count``.
"""

from __future__ import annotations

from reference_impls.gpt import GPTConfig, gpt_param_count

__all__ = ["param_count"]


def param_count(
    n_layer: int, n_head: int, d_model: int, d_hidden: int, vocab_size: int, max_len: int
) -> int:
    """Exact trainable-parameter count; n_head does not change it (d is split among heads)."""
    cfg = GPTConfig(
        n_layer=int(n_layer),
        n_head=int(n_head),
        d_model=int(d_model),
        d_ff=int(d_hidden),
        vocab_size=int(vocab_size),
        block_size=int(max_len),
        bias=False,
    )
    return gpt_param_count(cfg)
