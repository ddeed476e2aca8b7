

def grpo_advantages(rewards, eps=1e-6):
    # MISTAKE (on purpose): torch.std defaults to the sample (1/(K-1)) standard deviation
    return (rewards - rewards.mean(-1, keepdim=True)) / (rewards.std(-1, keepdim=True) + eps)
