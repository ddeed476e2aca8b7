import torch


def ppo_objective(logp, ref_logp, advantages, eps):
    ratio = torch.exp(logp - ref_logp)  # pi_theta(y|x) / pi_ref(y|x)
    clipped = torch.clamp(ratio, 1 - eps, 1 + eps)
    return torch.minimum(ratio * advantages, clipped * advantages).mean()
