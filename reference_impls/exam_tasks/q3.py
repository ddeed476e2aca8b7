"""Quiz Q3: the instruction-tuning loss on a padded batch of (prompt, response) pairs.

    L_IT = - sum_i sum_{j=1}^{|R_i|} log P_M(r_i^(j) | P_i, r_i^(1..j-1)) / sum_i |R_i|

Row i of ``input_ids`` holds P_i (positions 0..|P_i|-1), then R_i (positions |P_i| ..
|P_i|+|R_i|-1), then padding. A causal LM's logits at position t predict token t+1, so
response token j (0-based) at position |P_i| + j is scored by the logits at |P_i| + j - 1.
The adapter builds the response mask from the lengths, shifts it with
``instruction_tuning.next_token_targets`` and calls ``instruction_tuning.instruction_tuning_loss``
(which computes in float32).

Shapes: logits (B, T, V); input_ids (B, T); prompt_lens, response_lens (B,) with
prompt_lens >= 1 and prompt_lens + response_lens <= T.
"""

from __future__ import annotations

import torch

from reference_impls.instruction_tuning import instruction_tuning_loss as _it_loss
from reference_impls.instruction_tuning import next_token_targets

__all__ = ["response_mask", "instruction_tuning_loss"]


def response_mask(prompt_lens: torch.Tensor, response_lens: torch.Tensor, T: int) -> torch.Tensor:
    """(B, T) mask of 1 at the response positions [|P_i|, |P_i| + |R_i|) of each row."""
    pos = torch.arange(T)[None, :]  # (1, T)
    start = prompt_lens.long()[:, None]  # (B, 1)
    end = start + response_lens.long()[:, None]
    return ((pos >= start) & (pos < end)).long()  # (B, T)


def instruction_tuning_loss(
    logits: torch.Tensor,
    input_ids: torch.Tensor,
    prompt_lens: torch.Tensor,
    response_lens: torch.Tensor,
) -> torch.Tensor:
    """Mean negative log-likelihood over all response tokens of the batch; a scalar."""
    mask = response_mask(prompt_lens, response_lens, input_ids.shape[1])  # over input ids
    targets, target_mask = next_token_targets(input_ids, mask)  # aligned with logits
    return _it_loss(logits, targets, target_mask)
