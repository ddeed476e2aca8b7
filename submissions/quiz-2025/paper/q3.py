import torch.nn.functional as F


def instruction_tuning_loss(logits, input_ids, prompt_lens, response_lens):
    """-sum_i sum_j log P(r_i^(j) | P_i, r_i^(<j)) / sum_i |R_i|."""
    N, T, V = logits.shape
    logp = F.log_softmax(logits, dim=-1)
    total = logits.new_zeros(())
    count = 0
    for i in range(N):
        p, r = int(prompt_lens[i]), int(response_lens[i])
        for j in range(r):
            pos = p + j  # position of r_i^(j+1) in the row
            total = total - logp[i, pos - 1, input_ids[i, pos]]  # predicted at pos - 1
        count += r
    return total / count
