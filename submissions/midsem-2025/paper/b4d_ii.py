import torch.nn.functional as F


def dpo_loss(logp_pos, logp_neg, ref_logp_pos, ref_logp_neg, beta=1.0):
    """-mean log sigma(beta [log pi(y+)/pi_ref(y+) - log pi(y-)/pi_ref(y-)])."""
    margin = (logp_pos - ref_logp_pos) - (logp_neg - ref_logp_neg)
    return -F.logsigmoid(beta * margin).mean()
