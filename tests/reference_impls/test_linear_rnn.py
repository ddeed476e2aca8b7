"""Hand-written BPTT of the linear RNN against autograd (float64)."""

from __future__ import annotations

import torch

from reference_impls.linear_rnn import rnn_backward, rnn_forward, rnn_grad_A, rnn_loss


def _params(device: str, d_h: int = 4, d_in: int = 3, d_out: int = 2, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    A = 0.5 * torch.randn(d_h, d_h, generator=g, dtype=torch.float64)
    B = torch.randn(d_h, d_in, generator=g, dtype=torch.float64)
    b = torch.randn(d_h, generator=g, dtype=torch.float64)
    C = torch.randn(d_out, d_h, generator=g, dtype=torch.float64)
    return [p.to(device) for p in (A, B, b, C)], g


def _autograd(A, B, b, C, x, y_hat, h0):
    leaves = [p.clone().requires_grad_(True) for p in (A, B, b, C, h0)]
    rnn_loss(*leaves[:4], x, y_hat, leaves[4]).backward()
    return [p.grad for p in leaves]


def test_hand_written_bptt_matches_autograd_for_all_parameters(device: str) -> None:
    (A, B, b, C), g = _params(device)
    x = torch.randn(6, 3, generator=g, dtype=torch.float64).to(device)
    y_hat = torch.randn(6, 2, generator=g, dtype=torch.float64).to(device)
    h0 = torch.randn(4, generator=g, dtype=torch.float64).to(device)
    grads = rnn_backward(A, B, b, C, x, y_hat, h0)
    expected = _autograd(A, B, b, C, x, y_hat, h0)
    for got, want in zip(grads, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


def test_batched_bptt_matches_autograd_with_per_sequence_h0(device: str) -> None:
    (A, B, b, C), g = _params(device, seed=1)
    x = torch.randn(5, 7, 3, generator=g, dtype=torch.float64).to(device)  # (N, T, Din)
    y_hat = torch.randn(5, 7, 2, generator=g, dtype=torch.float64).to(device)
    h0 = torch.randn(5, 4, generator=g, dtype=torch.float64).to(device)  # (N, Dh)
    grads = rnn_backward(A, B, b, C, x, y_hat, h0)
    expected = _autograd(A, B, b, C, x, y_hat, h0)
    for got, want in zip(grads, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


def test_rnn_grad_A_defaults_h0_to_zeros_and_matches_autograd() -> None:
    (A, B, b, C), g = _params("cpu", seed=2)
    x = torch.randn(4, 3, generator=g, dtype=torch.float64)
    y_hat = torch.randn(4, 2, generator=g, dtype=torch.float64)
    zeros = torch.zeros(4, dtype=torch.float64)
    expected = _autograd(A, B, b, C, x, y_hat, zeros)[0]
    torch.testing.assert_close(rnn_grad_A(A, B, b, C, x, y_hat, None), expected)
    torch.testing.assert_close(rnn_grad_A(A, B, b, C, x, y_hat, zeros), expected)


def test_grad_A_is_sum_of_outer_products_as_in_the_seed_derivation() -> None:
    # T = 1 and h0 = 0: h_1 = B x + b, dL/dh_1 = C^T (y_1 - yhat_1), dL/dA = dL/dh_1 h_0^T = 0.
    (A, B, b, C), g = _params("cpu", seed=3)
    x = torch.randn(1, 3, generator=g, dtype=torch.float64)
    y_hat = torch.randn(1, 2, generator=g, dtype=torch.float64)
    assert torch.count_nonzero(rnn_grad_A(A, B, b, C, x, y_hat)) == 0
    # T = 2: dL/dA = dL/dh_1 h_0^T + dL/dh_2 h_1^T with the seed's recursion for dL/dh_t.
    x = torch.randn(2, 3, generator=g, dtype=torch.float64)
    y_hat = torch.randn(2, 2, generator=g, dtype=torch.float64)
    h0 = torch.randn(4, generator=g, dtype=torch.float64)
    h, y = rnn_forward(A, B, b, C, x, h0)
    dh2 = C.T @ (y[1] - y_hat[1])
    dh1 = C.T @ (y[0] - y_hat[0]) + A.T @ dh2
    expected = torch.outer(dh1, h[0]) + torch.outer(dh2, h[1])
    torch.testing.assert_close(rnn_grad_A(A, B, b, C, x, y_hat, h0), expected)


def test_hand_written_backward_builds_no_autograd_graph() -> None:
    (A, B, b, C), g = _params("cpu", seed=4)
    A.requires_grad_(True)
    x = torch.randn(3, 3, generator=g, dtype=torch.float64)
    y_hat = torch.randn(3, 2, generator=g, dtype=torch.float64)
    assert rnn_grad_A(A, B, b, C, x, y_hat).grad_fn is None
