"""CountFlops: the totals of torch's FlopCounterMode (both sides of a cost check use it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from grader.sandbox._flops import CountFlops, HigherOrderNotCounted


def _attention(q: torch.Tensor) -> Any:
    w = (q @ q.transpose(-2, -1) / q.shape[-1] ** 0.5).softmax(-1)
    return w @ q


def _library(q: torch.Tensor) -> Any:
    return (
        F.linear(q, torch.ones(4, q.shape[-1], dtype=q.dtype)),
        torch.einsum("bij,bkj->bik", q, q),
        F.scaled_dot_product_attention(q, q, q, is_causal=True),
        torch.baddbmm(torch.zeros(2, 8, 8, dtype=q.dtype), q, q.transpose(1, 2)),
        q.reshape(-1, q.shape[-1]).matmul(torch.ones(q.shape[-1], 3, dtype=q.dtype)).relu().sum(),
    )


def _conv(q: torch.Tensor) -> Any:
    return F.conv1d(q, torch.ones(5, 8, 3, dtype=q.dtype))


def _reference(fn: Callable[[torch.Tensor], Any], x: torch.Tensor) -> int:
    with FlopCounterMode(display=False) as counter:
        fn(x)
    return int(counter.get_total_flops())


def _ours(fn: Callable[[torch.Tensor], Any], x: torch.Tensor) -> int:
    with CountFlops() as counter:
        fn(x)
    return counter.total


@pytest.mark.parametrize("fn", [_attention, _library, _conv], ids=lambda f: f.__name__)
@pytest.mark.parametrize("context", ["plain", "no_grad", "inference_mode"])
def test_counts_equal_torch_flop_counter(fn: Callable[[torch.Tensor], Any], context: str) -> None:
    x = torch.randn(2, 8, 16, dtype=torch.float64)
    ctx: Any = {
        "plain": torch.enable_grad,
        "no_grad": torch.no_grad,
        "inference_mode": torch.inference_mode,
    }[context]
    with ctx():
        expected = _reference(fn, x)
        assert expected > 0
        assert _ours(fn, x) == expected


def test_a_counter_starts_from_zero_and_nests_nothing() -> None:
    x = torch.randn(2, 8, 16)
    first, second = _ours(_attention, x), _ours(_attention, x)
    assert first == second == _reference(_attention, x)
    with CountFlops() as counter:
        pass
    assert counter.total == 0


def test_higher_order_operators_are_refused_not_silently_uncounted() -> None:
    x = torch.randn(4, 4)
    with pytest.raises(HigherOrderNotCounted), CountFlops():
        torch.cond(x.sum() > 0, lambda t: t @ t, lambda t: t + 1, (x,))
