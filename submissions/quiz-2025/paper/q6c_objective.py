import torch


def grpo_objective(logp, ref_logp, rewards, clip_eps):
    mu = rewards.mean(dim=-1, keepdim=True)
    sigma = ((rewards - mu) ** 2).mean(dim=-1, keepdim=True).sqrt()
    A = (rewards - mu) / (sigma + 1e-6)
    ratio = torch.exp(logp - ref_logp)
    return torch.minimum(ratio * A, torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps) * A).mean()
