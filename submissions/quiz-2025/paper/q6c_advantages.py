

def grpo_advantages(rewards, eps=1e-6):
    mu = rewards.mean(dim=-1, keepdim=True)
    sigma = ((rewards - mu) ** 2).mean(dim=-1, keepdim=True).sqrt()  # 1/K, as in the quiz
    return (rewards - mu) / (sigma + eps)
