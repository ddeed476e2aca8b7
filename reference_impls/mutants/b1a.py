"""Wrong dL/dA for mid-sem B1(a) (h_t = A h_{t-1} + B x_t + b, y_t = C h_t, h_0 = 0).

Shapes as in ``exam_tasks.b1a``: A (Dh, Dh), B (Dh, Din), b (Dh,), C (Dout, Dh),
x (T, Din), y_hat (T, Dout) -> (Dh, Dh).
"""

from __future__ import annotations

import torch

__all__ = ["no_recursion", "uses_h_t", "missing_transpose"]


def _forward(A, B, b, C, x):  # type: ignore[no-untyped-def]
    h = [torch.zeros(A.shape[0], dtype=A.dtype)]
    for t in range(x.shape[0]):
        h.append(A @ h[-1] + B @ x[t] + b)  # h_t
    y = torch.stack([C @ ht for ht in h[1:]])  # (T, Dout)
    return h, y


def _grad(A, B, b, C, x, y_hat, recursion: bool, use_h_t: bool, transpose: bool):  # type: ignore[no-untyped-def]
    h, y = _forward(A, B, b, C, x)
    dA = torch.zeros_like(A)
    dh_next = torch.zeros_like(b)
    M = A.T if transpose else A
    for t in range(x.shape[0] - 1, -1, -1):
        dh = C.T @ (y[t] - y_hat[t])
        if recursion:
            dh = dh + M @ dh_next
        prev = h[t + 1] if use_h_t else h[t]
        dA = dA + torch.outer(dh, prev)
        dh_next = dh
    return dA


def no_recursion(A, B, b, C, x, y_hat):  # type: ignore[no-untyped-def]
    """WRONG: drops the A^T dL/dh_{t+1} term (dL/dh_t = C^T (y_t - yhat_t) only), i.e. no BPTT."""
    return _grad(A, B, b, C, x, y_hat, recursion=False, use_h_t=False, transpose=True)


def uses_h_t(A, B, b, C, x, y_hat):  # type: ignore[no-untyped-def]
    """WRONG: off by one in time, dL/dA = sum_t dL/dh_t h_t^T instead of h_{t-1}^T."""
    return _grad(A, B, b, C, x, y_hat, recursion=True, use_h_t=True, transpose=True)


def missing_transpose(A, B, b, C, x, y_hat):  # type: ignore[no-untyped-def]
    """WRONG: back-propagates with A instead of A^T (dL/dh_t = C^T dy_t + A dL/dh_{t+1})."""
    return _grad(A, B, b, C, x, y_hat, recursion=True, use_h_t=False, transpose=False)
