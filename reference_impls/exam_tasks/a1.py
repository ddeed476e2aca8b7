"""Mid-sem A1: does a claimed seq2seq context vector equal c_t = sum_i alpha_i s_i?

Decides option (A) of the MCQ per variant; computed by ``attention.context_vector``.
Paper: alpha = [0.4, 0.3, 0.3], s = [[2,-1,0],[-1,2,1],[1,1,-1]] gives [0.8, 0.5, 0].
"""

from __future__ import annotations

import torch

from reference_impls.attention import context_vector as _context_vector

__all__ = ["context_vector", "context_vector_is"]


def context_vector(alpha: list[float], s: list[list[float]]) -> torch.Tensor:
    """c_t = sum_i alpha_i s_i; alpha (S,), s (S, D) as plain lists -> (D,) float64."""
    a = torch.tensor(alpha, dtype=torch.float64)  # (S,)
    states = torch.tensor(s, dtype=torch.float64)  # (S, D)
    return _context_vector(a, states)


def context_vector_is(alpha: list[float], s: list[list[float]], claimed: list[float]) -> bool:
    """Whether ``claimed`` equals c_t to 1e-9 (the option is then correct)."""
    c = context_vector(alpha, s)
    return bool(torch.allclose(c, torch.tensor(claimed, dtype=torch.float64), atol=1e-9, rtol=0))
