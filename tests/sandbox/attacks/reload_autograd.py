import importlib

import torch
import torch.autograd

importlib.reload(torch.autograd)


def solve(x):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad((x**2).sum(), x)
    return g
