"""Tests of reference_impls.pruning: the mask, and the runtime/perplexity curve of mid-sem
Q6 (b)."""

from __future__ import annotations

import pytest
import torch

from reference_impls.gpt import GPT, GPTConfig
from reference_impls.pruning import load_corpus, magnitude_mask, prune_, pruning_curve


def test_magnitude_mask_removes_exactly_the_smallest_entries() -> None:
    w = torch.tensor([[0.5, -0.1, 2.0], [-3.0, 0.05, 1.0]])
    assert magnitude_mask(w, 50).tolist() == [[False, False, True], [True, False, True]]
    assert magnitude_mask(w, 0).all() and not magnitude_mask(w, 100).any()


@pytest.mark.parametrize("p", [10, 37, 90])
def test_prune_masks_p_percent_of_every_weight_matrix_and_no_vector(p: float) -> None:
    model = GPT(GPTConfig(bias=True), seed=0)
    vectors = {n: w.clone() for n, w in model.named_parameters() if w.dim() == 1}
    masks = prune_(model, p)
    params = dict(model.named_parameters())
    assert "wte.weight" in masks and "lm_head.weight" not in masks  # tied: pruned once
    for name, mask in masks.items():
        assert int((~mask).sum()) == round(p / 100 * mask.numel())
        assert torch.equal(params[name] == 0, ~mask)
        kept, dropped = params[name][mask].abs(), params[name][~mask].abs()
        assert dropped.max() <= kept.min()
    assert all(torch.equal(params[n], v) for n, v in vectors.items())


def test_corpus_is_a_few_kilobytes_of_text() -> None:
    assert 2_000 < len(load_corpus()) < 20_000


@pytest.mark.slow
def test_pruning_curve_runtime_flat_perplexity_flat_then_rising(device: str) -> None:
    points = pruning_curve([0, 10, 20, 50, 90], seed=0, device=device)
    ppl = {pt.p: pt.perplexity for pt in points}
    assert [round(pt.sparsity, 2) for pt in points] == [0.0, 0.1, 0.2, 0.5, 0.9]
    assert ppl[0] < 15  # it learned something (a uniform guess would be about 50)
    assert ppl[10] < 1.05 * ppl[0] and ppl[20] < 1.05 * ppl[0]
    assert ppl[90] > 1.5 * ppl[0]
    assert len({pt.flops for pt in points}) == 1  # dense matmuls: the same work for every p
    assert points[-1].runtime_s > 0.4 * points[0].runtime_s  # no speed-up (loose: timing noise)
