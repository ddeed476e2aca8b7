"""Wrong instruction-tuning losses for quiz Q3; shapes as in ``exam_tasks.q3``.

logits (B, T, V), input_ids (B, T), prompt_lens and response_lens (B,) -> scalar.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["per_sequence_mean", "no_shift", "includes_prompt"]


def _nll(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return (
        -F.log_softmax(logits, dim=-1).gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)
    )  # (B, T)


def _mask(start: torch.Tensor, end: torch.Tensor, T: int) -> torch.Tensor:
    pos = torch.arange(T)[None, :]
    return ((pos >= start[:, None]) & (pos < end[:, None])).to(torch.float64)  # (B, T)


def _shifted(logits, input_ids):  # type: ignore[no-untyped-def]
    return _nll(logits[:, :-1], input_ids[:, 1:])  # (B, T-1): logits at t score token t+1


def per_sequence_mean(logits, input_ids, prompt_lens, response_lens):  # type: ignore[no-untyped-def]
    """WRONG: mean over sequences of per-sequence means (up-weights short responses)."""
    nll = _shifted(logits, input_ids)
    m = _mask(prompt_lens - 1, prompt_lens + response_lens - 1, nll.shape[1])
    return ((nll * m).sum(-1) / m.sum(-1)).mean()


def no_shift(logits, input_ids, prompt_lens, response_lens):  # type: ignore[no-untyped-def]
    """WRONG: off by one, scores token t with the logits at t (no next-token shift)."""
    nll = _nll(logits, input_ids)
    m = _mask(prompt_lens, prompt_lens + response_lens, nll.shape[1])
    return (nll * m).sum() / m.sum()


def includes_prompt(logits, input_ids, prompt_lens, response_lens):  # type: ignore[no-untyped-def]
    """WRONG: also trains on the prompt tokens (loss over P_i and R_i, not R_i only)."""
    nll = _shifted(logits, input_ids)
    m = _mask(torch.zeros_like(prompt_lens), prompt_lens + response_lens - 1, nll.shape[1])
    return (nll * m).sum() / m.sum()
