"""Cheating attempt: look up the caller's frames for the expected value."""
import sys

import torch


def ppo_objective(logp, ref_logp, advantages, eps):
    frame = sys._getframe(1)
    while frame is not None:
        for name in ("expected", "want", "reference_output", "target"):
            if name in frame.f_locals:
                return frame.f_locals[name]
        frame = frame.f_back
    return torch.zeros((), dtype=logp.dtype)
