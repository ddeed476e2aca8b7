"""A linear RNN and its hand-written backpropagation through time (BPTT).

Model (mid-semester paper, Section B, Question 1):

    h_t = A h_{t-1} + B x_t + b,        y_t = C h_t,        t = 1..T
    L   = 1/2 sum_t ||y_t - yhat_t||^2                        (h_0 given, zeros by default)

BPTT, exactly the seed's three boxed steps:

    dL/dy_t = y_t - yhat_t
    dL/dh_t = C^T dL/dy_t + A^T dL/dh_{t+1}                  (dL/dh_{T+1} = 0)
    dL/dA   = sum_t dL/dh_t h_{t-1}^T

and likewise dL/dB = sum_t dL/dh_t x_t^T, dL/db = sum_t dL/dh_t, dL/dC = sum_t dL/dy_t h_t^T,
dL/dh_0 = A^T dL/dh_1. ``rnn_backward`` uses no autograd; the tests check it against
``torch.autograd`` in float64 on random inputs.

Shapes. The letter B is taken by the input matrix, so the batch is written N here:

    A (Dh, Dh)   B (Dh, Din)   b (Dh,)   C (Dout, Dh)
    x (T, Din) or (N, T, Din)  y_hat (T, Dout) or (N, T, Dout)  h0 (Dh,) or (N, Dh)

For a batch, L sums over the batch as well (one loss, not a mean).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

__all__ = ["RNNGrads", "rnn_forward", "rnn_loss", "rnn_backward", "rnn_grad_A"]


class RNNGrads(NamedTuple):
    """Gradients of L, each with the shape of its parameter (h0 with the shape given)."""

    A: torch.Tensor
    """dL/dA, (Dh, Dh)."""
    B: torch.Tensor
    """dL/dB, (Dh, Din)."""
    b: torch.Tensor
    """dL/db, (Dh,)."""
    C: torch.Tensor
    """dL/dC, (Dout, Dh)."""
    h0: torch.Tensor
    """dL/dh_0, (Dh,) or (N, Dh)."""


def _batched(
    x: torch.Tensor, h0: torch.Tensor | None, A: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """x as (N, T, Din) and h0 as (N, Dh), zeros when h0 is None."""
    if x.dim() not in (2, 3):
        raise ValueError(f"x must be (T, Din) or (N, T, Din), got shape {tuple(x.shape)!r}")
    xb = x.unsqueeze(0) if x.dim() == 2 else x  # (N, T, Din)
    if h0 is None:
        h0 = torch.zeros(A.shape[0], dtype=x.dtype, device=x.device)
    h0b = h0.expand(xb.shape[0], -1) if h0.dim() == 1 else h0  # (N, Dh)
    return xb, h0b


def rnn_forward(
    A: torch.Tensor,
    B: torch.Tensor,
    b: torch.Tensor,
    C: torch.Tensor,
    x: torch.Tensor,
    h0: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run the recurrence; returns (h, y) with h (…, T+1, Dh) holding h_0..h_T and y (…, T, Dout).

    "…" is empty for x (T, Din) and N for x (N, T, Din). Differentiable (autograd may flow).
    """
    xb, h_prev = _batched(x, h0, A)
    hs = [h_prev]
    for t in range(xb.shape[1]):
        h_prev = h_prev @ A.T + xb[:, t] @ B.T + b  # h_t = A h_{t-1} + B x_t + b, (N, Dh)
        hs.append(h_prev)
    h = torch.stack(hs, dim=1)  # (N, T+1, Dh)
    y = h[:, 1:] @ C.T  # y_t = C h_t, (N, T, Dout)
    if x.dim() == 2:
        return h[0], y[0]
    return h, y


def rnn_loss(
    A: torch.Tensor,
    B: torch.Tensor,
    b: torch.Tensor,
    C: torch.Tensor,
    x: torch.Tensor,
    y_hat: torch.Tensor,
    h0: torch.Tensor | None = None,
) -> torch.Tensor:
    """L = 1/2 sum_t ||y_t - yhat_t||^2 (summed over the batch too); a scalar."""
    _, y = rnn_forward(A, B, b, C, x, h0)
    return 0.5 * ((y - y_hat) ** 2).sum()


def rnn_backward(
    A: torch.Tensor,
    B: torch.Tensor,
    b: torch.Tensor,
    C: torch.Tensor,
    x: torch.Tensor,
    y_hat: torch.Tensor,
    h0: torch.Tensor | None = None,
) -> RNNGrads:
    """Hand-written BPTT (no autograd) for all parameters and h_0; see the module docstring."""
    with torch.no_grad():
        h, y = rnn_forward(A, B, b, C, x, h0)
        if x.dim() == 2:  # work batched: (N, T+1, Dh), (N, T, Dout)
            h, y, xb, yb = h[None], y[None], x[None], y_hat[None]
        else:
            xb, yb = x, y_hat
        dA, dB, db, dC = (torch.zeros_like(p) for p in (A, B, b, C))
        dh_next = torch.zeros_like(h[:, 0])  # dL/dh_{T+1} = 0, (N, Dh)
        for t in range(xb.shape[1] - 1, -1, -1):  # python index t is time step t+1
            dy = y[:, t] - yb[:, t]  # dL/dy_t = y_t - yhat_t, (N, Dout)
            dh = dy @ C + dh_next @ A  # dL/dh_t = C^T dL/dy_t + A^T dL/dh_{t+1}, (N, Dh)
            dA += dh.T @ h[:, t]  # dL/dA += dL/dh_t h_{t-1}^T (h[:, t] is h_{t-1})
            dB += dh.T @ xb[:, t]  # dL/dB += dL/dh_t x_t^T
            db += dh.sum(0)  # dL/db += dL/dh_t
            dC += dy.T @ h[:, t + 1]  # dL/dC += dL/dy_t h_t^T
            dh_next = dh
        dh0 = dh_next @ A  # dL/dh_0 = A^T dL/dh_1, (N, Dh)
        if h0 is not None and h0.dim() == 1:
            dh0 = dh0.sum(0)  # one h_0 shared by the batch
        elif h0 is None and x.dim() == 2:
            dh0 = dh0[0]
    return RNNGrads(A=dA, B=dB, b=db, C=dC, h0=dh0)


def rnn_grad_A(
    A: torch.Tensor,
    B: torch.Tensor,
    b: torch.Tensor,
    C: torch.Tensor,
    x: torch.Tensor,
    y_hat: torch.Tensor,
    h0: torch.Tensor | None = None,
) -> torch.Tensor:
    """dL/dA = sum_t dL/dh_t h_{t-1}^T, (Dh, Dh): the reference for the students' code question."""
    return rnn_backward(A, B, b, C, x, y_hat, h0).A
