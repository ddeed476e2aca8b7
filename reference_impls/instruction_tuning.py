"""The instruction-tuning loss: cross-entropy on response tokens, normalized per token.

Quiz Question 3: for a dataset of (prompt P_i, response R_i) pairs,

    L_IT = - sum_i sum_{j=1}^{|R_i|} log P_M(r_i^(j) | P_i, r_i^(<j)) / sum_i |R_i|

i.e. one average over all response tokens of the batch, NOT the mean of per-sequence means
(which up-weights the tokens of short responses). ``per_sequence_mean_loss`` computes that
wrong version on purpose: the grader uses it as a known-wrong "mutant".

Shift-by-one convention: a causal LM's logits at position t predict token t+1 of the input.
``next_token_targets`` turns input ids (B, T) and a response mask over the input ids into
targets (B, T) with targets[:, t] = input_ids[:, t+1] and the matching mask (the last position
has no target and is masked out), so logits (B, T, V) line up with targets (B, T) index by index.

Checked against ``F.cross_entropy(..., ignore_index=-100)`` (Hugging Face's label convention)
and against the quiz formula written as a Python loop.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["next_token_targets", "instruction_tuning_loss", "per_sequence_mean_loss"]


def next_token_targets(
    input_ids: torch.Tensor, response_mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Shift by one: input_ids (B, T), response_mask (B, T) -> targets (B, T), mask (B, T).

    response_mask[b, t] = 1 when input_ids[b, t] is a response token (not prompt, not padding).
    The returned mask[b, t] = response_mask[b, t+1] and is 0 at t = T-1 (target filled with 0).
    """
    targets = torch.zeros_like(input_ids)
    mask = torch.zeros_like(response_mask)
    targets[:, :-1] = input_ids[:, 1:]  # logits at t predict token t+1
    mask[:, :-1] = response_mask[:, 1:]
    return targets, mask


def _token_nll(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """-log p(target) at every position; logits (B, T, V), targets (B, T) -> (B, T)."""
    dtype = torch.promote_types(
        logits.dtype, torch.float32
    )  # half precision computes in fp32, fp64 stays fp64
    logp = F.log_softmax(logits.to(dtype), dim=-1)  # (B, T, V)
    return -logp.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)  # (B, T)


def instruction_tuning_loss(
    logits: torch.Tensor, targets: torch.Tensor, response_mask: torch.Tensor
) -> torch.Tensor:
    """L_IT: summed response-token NLL / total number of response tokens; a scalar.

    logits (B, T, V); targets (B, T) aligned with the logits (see ``next_token_targets``);
    response_mask (B, T) of 1 where targets[b, t] is a response token.
    """
    nll = _token_nll(logits, targets)  # (B, T)
    m = response_mask.to(nll.dtype)
    return (nll * m).sum() / m.sum()  # sum_i sum_j -log P / sum_i |R_i|


def per_sequence_mean_loss(
    logits: torch.Tensor, targets: torch.Tensor, response_mask: torch.Tensor
) -> torch.Tensor:
    """WRONG on purpose: mean over sequences of each sequence's mean response-token NLL.

    Same shapes as ``instruction_tuning_loss``; equal to it only when every sequence has the
    same number of response tokens.
    """
    nll = _token_nll(logits, targets)  # (B, T)
    m = response_mask.to(nll.dtype)
    per_sequence = (nll * m).sum(-1) / m.sum(-1)  # (B,)
    return per_sequence.mean()
