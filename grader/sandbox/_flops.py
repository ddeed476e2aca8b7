"""Counting FLOPs: the totals of ``torch.utils.flop_counter.FlopCounterMode``, faster.

Standalone on purpose (it imports torch only): it is mounted read-only into the sandbox next
to ``_worker.py``, and the grader counts the reference's FLOPs with the same class, so both
sides of a cost check are counted the same way.

``FlopCounterMode`` dispatches every op through Python, tries to decompose each one, and
keeps per-module tallies; for a question that counts a student's whole generation loop that
is most of the grading time. ``CountFlops`` keeps its semantics for the total (an op with
a CompositeImplicitAutograd kernel is decomposed and its pieces counted; any other op is
counted with the same formulas, ``flop_registry``) and drops the rest: the composite check
is cached per op, nothing is tallied per module. Higher-order operators (``torch.cond``,
...) are refused: their FLOPs could not be counted.
"""

from __future__ import annotations

from typing import Any

import torch
from torch._C import DispatchKey
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

__all__ = ["CountFlops", "HigherOrderNotCounted"]

_aten = torch.ops.aten
_METADATA = frozenset(
    {
        _aten.sym_is_contiguous.default,
        _aten.is_contiguous.default,
        _aten.is_contiguous.memory_format,
        _aten.is_strides_like_format.default,
        _aten.is_non_overlapping_and_dense.default,
        _aten.size.default,
        _aten.sym_size.default,
        _aten.stride.default,
        _aten.sym_stride.default,
        _aten.storage_offset.default,
        _aten.sym_storage_offset.default,
        _aten.numel.default,
        _aten.sym_numel.default,
        _aten.dim.default,
        torch.ops.prim.layout.default,
    }
)
_composite: dict[Any, bool] = {}


class HigherOrderNotCounted(BaseException):
    """A higher-order operator (``torch.cond``, ``torch.while_loop``, ...) ran while counting.

    A BaseException, so that ``except Exception`` in the counted code does not hide it."""


def _is_composite(func: Any) -> bool:
    known = _composite.get(func)
    if known is None:
        key = DispatchKey.CompositeImplicitAutograd
        known = key in func.py_kernels or torch._C._dispatch_has_kernel_for_dispatch_key(
            func.name(), key
        )
        _composite[func] = known
    return known


class CountFlops(TorchDispatchMode):  # type: ignore[no-untyped-call]
    """``with CountFlops() as c: f(x)`` then ``c.total``: the FLOPs ``f`` performed."""

    supports_higher_order_operators = True  # so that they reach us and are refused

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.total = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if func in _METADATA:
            return NotImplemented
        if isinstance(func, torch._ops.HigherOrderOperator):
            raise HigherOrderNotCounted(
                f"{func.name()} is not supported in a question that counts FLOPs"  # type: ignore[no-untyped-call]
            )
        if _is_composite(func):
            with self:
                out = func.decompose(*args, **kwargs)
            if out is not NotImplemented:
                return out
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.total += formula(*args, **kwargs, out_val=out)
        return out
