

def grpo_advantages(rewards, eps=1e-6):
    # MISTAKE: only subtracts the group mean
    return rewards - rewards.mean(-1, keepdim=True)
