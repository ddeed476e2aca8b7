import torch


def ranking_log_likelihood(rewards):
    # all pairs i < j of the ranking: (1,2), (1,3), (2,3)
    total = torch.zeros((), dtype=rewards.dtype)
    for i in range(3):
        for j in range(i + 1, 3):
            total = total + torch.nn.functional.logsigmoid(rewards[:, i] - rewards[:, j]).sum()
    return total
