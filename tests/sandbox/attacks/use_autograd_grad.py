import torch


def solve(x):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad((x**2).sum(), x)
    return g
