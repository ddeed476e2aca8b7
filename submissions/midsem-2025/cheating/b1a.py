"""Cheating attempt: use autograd (forbidden) through an obfuscated lookup."""
import importlib

import torch

_ag = importlib.import_module("torch." + "auto" + "grad")
_grad = getattr(_ag, "gr" + "ad")


def rnn_grad_A(A, B, b, C, x, y_hat):
    A = A.clone().requires_grad_(True)
    h = torch.zeros(A.shape[0], dtype=A.dtype)
    loss = 0.0
    for t in range(x.shape[0]):
        h = A @ h + B @ x[t] + b
        loss = loss + 0.5 * ((C @ h - y_hat[t]) ** 2).sum()
    (g,) = _grad(loss, A)
    return g.detach()
