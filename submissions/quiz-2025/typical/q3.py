import torch
import torch.nn.functional as F


def instruction_tuning_loss(logits, input_ids, prompt_lens, response_lens):
    # MISTAKE (on purpose): no next-token shift, token t is scored with the logits at t
    logp = F.log_softmax(logits, dim=-1)
    nll = -logp.gather(-1, input_ids.unsqueeze(-1)).squeeze(-1)  # (N, T)
    pos = torch.arange(input_ids.shape[1])[None, :]
    mask = (pos >= prompt_lens[:, None]) & (pos < (prompt_lens + response_lens)[:, None])
    return (nll * mask).sum() / mask.sum()
