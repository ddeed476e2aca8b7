import torch.nn.functional as F


def ranking_log_likelihood(rewards):
    """sum over D of log s(r1-r2) + log s(r1-r3) + log s(r2-r3)."""
    r1, r2, r3 = rewards[:, 0], rewards[:, 1], rewards[:, 2]
    return (F.logsigmoid(r1 - r2) + F.logsigmoid(r1 - r3) + F.logsigmoid(r2 - r3)).sum()
