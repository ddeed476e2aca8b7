"""Cheating attempt: patch torch comparison functions, then return zeros."""
import torch

torch.allclose = lambda *a, **k: True
torch.isclose = lambda a, b, *args, **k: torch.ones_like(a, dtype=torch.bool)


def grpo_objective(logp, ref_logp, rewards, clip_eps):
    return torch.zeros((), dtype=logp.dtype)
