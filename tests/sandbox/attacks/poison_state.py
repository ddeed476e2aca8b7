"""Changes global torch/numpy state for whoever runs next in this interpreter."""

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)
torch.Tensor.__mul__ = lambda self, other: self.new_zeros(self.shape)
np.seterr(all="raise")


def solve(x):
    return x * 2 + 1
