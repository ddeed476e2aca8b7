"""The instruction-tuning loss: per-token normalization, checked against F.cross_entropy."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from reference_impls.instruction_tuning import (
    instruction_tuning_loss,
    next_token_targets,
    per_sequence_mean_loss,
)


def _batch(device: str, response_lengths=(1, 4, 2), prompt_len: int = 2, V: int = 7):
    B, T = len(response_lengths), prompt_len + max(response_lengths) + 1
    g = torch.Generator().manual_seed(0)
    input_ids = torch.randint(0, V, (B, T), generator=g)
    response_mask = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate(response_lengths):
        response_mask[b, prompt_len : prompt_len + n] = 1  # then padding
    logits = torch.randn(B, T, V, generator=g, dtype=torch.float64)
    return logits.to(device), input_ids.to(device), response_mask.to(device)


def test_next_token_targets_shift_ids_and_mask_by_one() -> None:
    ids = torch.tensor([[5, 6, 7, 8]])
    mask = torch.tensor([[0, 0, 1, 1]])
    targets, tmask = next_token_targets(ids, mask)
    assert targets.tolist() == [[6, 7, 8, 0]]
    assert tmask.tolist() == [[0, 1, 1, 0]]  # logits at t=1 predict token 7, at t=2 token 8


def test_loss_matches_cross_entropy_with_ignore_index(device: str) -> None:
    logits, ids, rmask = _batch(device)
    targets, mask = next_token_targets(ids, rmask)
    labels = targets.masked_fill(mask == 0, -100)  # Hugging Face's convention
    expected = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100
    )
    torch.testing.assert_close(instruction_tuning_loss(logits, targets, mask).double(), expected)


def test_loss_matches_the_quiz_formula_summed_over_all_response_tokens() -> None:
    logits, ids, rmask = _batch("cpu")
    targets, mask = next_token_targets(ids, rmask)
    logp = torch.log_softmax(logits, -1)
    total, n_tokens = 0.0, 0
    for i in range(ids.shape[0]):  # sum_i sum_j log P(r_i^(j) | P_i, r_i^(<j))
        for t in range(ids.shape[1]):
            if mask[i, t]:
                total += logp[i, t, targets[i, t]].item()
                n_tokens += 1
    assert n_tokens == 1 + 4 + 2  # sum_i |R_i|
    assert instruction_tuning_loss(logits, targets, mask).item() == pytest.approx(-total / n_tokens)


def test_per_sequence_mean_mutant_differs_when_response_lengths_differ() -> None:
    logits, ids, rmask = _batch("cpu", response_lengths=(1, 4, 2))
    targets, mask = next_token_targets(ids, rmask)
    right = instruction_tuning_loss(logits, targets, mask).item()
    wrong = per_sequence_mean_loss(logits, targets, mask).item()
    assert not math.isclose(right, wrong, rel_tol=1e-6)


def test_per_sequence_mean_mutant_agrees_when_all_responses_have_equal_length() -> None:
    logits, ids, rmask = _batch("cpu", response_lengths=(3, 3, 3))
    targets, mask = next_token_targets(ids, rmask)
    assert instruction_tuning_loss(logits, targets, mask).item() == pytest.approx(
        per_sequence_mean_loss(logits, targets, mask).item()
    )


def test_prompt_tokens_do_not_affect_the_loss() -> None:
    logits, ids, rmask = _batch("cpu")
    targets, mask = next_token_targets(ids, rmask)
    changed = logits.clone()
    changed[mask == 0] += 100 * torch.randn_like(changed[mask == 0])
    assert instruction_tuning_loss(changed, targets, mask).item() == pytest.approx(
        instruction_tuning_loss(logits, targets, mask).item()
    )
