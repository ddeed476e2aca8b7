import torch

def instruction_tuning_loss(logits, input_ids, prompt_lens, response_lens)
    return logits.mean()
