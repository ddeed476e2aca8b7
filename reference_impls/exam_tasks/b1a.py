"""Mid-sem B1(a): dL/dA of the linear RNN h_t = A h_{t-1} + B x_t + b, y_t = C h_t.

The student's stub takes no h_0 (h_0 = 0, as in the paper); ``linear_rnn.rnn_grad_A`` does
the hand-written BPTT (no autograd) and is checked against autograd in its own tests.

Shapes: A (Dh, Dh), B (Dh, Din), b (Dh,), C (Dout, Dh), x (T, Din), y_hat (T, Dout).
"""

from __future__ import annotations

import torch

from reference_impls.linear_rnn import rnn_grad_A as _rnn_grad_A

__all__ = ["rnn_grad_A"]


def rnn_grad_A(
    A: torch.Tensor,
    B: torch.Tensor,
    b: torch.Tensor,
    C: torch.Tensor,
    x: torch.Tensor,
    y_hat: torch.Tensor,
) -> torch.Tensor:
    """dL/dA = sum_t dL/dh_t h_{t-1}^T with dL/dh_t = C^T (y_t - yhat_t) + A^T dL/dh_{t+1};
    (Dh, Dh)."""
    return _rnn_grad_A(A, B, b, C, x, y_hat)
