"""Gradient (activation) checkpointing: trade one extra forward per block for memory.

Implements the quiz, Question 7, on the small GPT of ``reference_impls.gpt`` (the one
documented exception to "import only ``_common``"): ``training_step`` runs one forward
and backward pass of the language-modelling loss, either storing every activation, or
wrapping each Transformer block in ``torch.utils.checkpoint.checkpoint`` (non-reentrant).
A checkpointed block keeps only its input during the forward pass and re-runs its forward
during the backward pass to rebuild the activations it needs (Chen et al., 2016).

It reports, as a ``StepReport``:
* the bytes of the tensors autograd saves for the backward pass (activations, weights
  excluded), measured with ``torch.autograd.graph.saved_tensors_hooks`` so that it works on
  CPU; on CUDA also ``torch.cuda.max_memory_allocated`` during the step;
* the number of block forward calls (L without checkpointing, 2L with: each block is
  recomputed once in backward);
* the loss and the gradients, which are identical in both settings.

Checked against: the gradients of the plain step and the call counts L and 2L.

Shapes: B batch, T sequence length, V vocabulary, L layers.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from reference_impls.gpt import GPT

__all__ = ["StepReport", "lm_logits", "training_step"]


class StepReport(NamedTuple):
    """What one training step cost and produced."""

    loss: float
    grads: dict[str, torch.Tensor]  # parameter name -> gradient
    saved_activation_bytes: int  # tensors saved for backward, parameters excluded
    block_forward_calls: int  # forward invocations of Transformer blocks, recompute included
    cuda_peak_bytes: int | None  # torch.cuda.max_memory_allocated during the step; None on CPU


def lm_logits(model: GPT, idx: torch.Tensor, use_checkpointing: bool) -> torch.Tensor:
    """GPT forward with every block optionally checkpointed: idx (B, T) -> logits (B, T, V)."""
    T = idx.shape[1]
    pos = torch.arange(T, device=idx.device)  # (T,)
    x = model.embed(idx) + model.wpe(pos)  # (B, T, D)
    for block in model.blocks:
        if use_checkpointing:
            x = checkpoint(block, x, use_reentrant=False)  # keeps x only; recomputes in backward
        else:
            x = block(x)  # keeps every intermediate of the block
    return model.lm_head(model.ln_f(x))  # (B, T, V)


def training_step(
    model: GPT, idx: torch.Tensor, targets: torch.Tensor, use_checkpointing: bool
) -> StepReport:
    """One forward + backward of the next-token cross-entropy; the caller's grads are reset.

    idx, targets: (B, T) ids. Does not update the weights.
    """
    model.zero_grad(set_to_none=True)
    param_storages = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved: dict[int, int] = {}  # storage pointer -> bytes, each storage counted once

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr = t.untyped_storage().data_ptr()
        if ptr not in param_storages:
            saved[ptr] = t.untyped_storage().nbytes()
        return t

    calls = 0

    def count_call(*_: object) -> None:
        nonlocal calls
        calls += 1

    hooks = [b.register_forward_pre_hook(count_call) for b in model.blocks]
    cuda = idx.device.type == "cuda"
    if cuda:
        torch.cuda.synchronize(idx.device)
        torch.cuda.reset_peak_memory_stats(idx.device)
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            logits = lm_logits(model, idx, use_checkpointing)  # (B, T, V)
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        saved_bytes = sum(saved.values())  # everything held for backward at its start
        loss.backward()
    finally:
        for h in hooks:
            h.remove()
    peak = torch.cuda.max_memory_allocated(idx.device) if cuda else None
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
    return StepReport(loss.item(), grads, saved_bytes, calls, peak)
