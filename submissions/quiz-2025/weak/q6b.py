import torch


def ppo_objective(logp, ref_logp, advantages, eps):
    # MISTAKE: no clipping at all
    return (torch.exp(logp - ref_logp) * advantages).mean()
