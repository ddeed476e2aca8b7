import torch.nn.functional as F


def dpo_loss(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg, beta=1.0):
    # MISTAKE (on purpose): returns the DPO *objective* (to maximize), not the loss (its negative)
    margin = (logp_pos - ref_logp_pos) - (logp_neg - ref_logp_neg)
    return F.logsigmoid(beta * margin).mean()
