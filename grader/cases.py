"""Code-question cases: inputs built from the bank's specs, expected outputs from the reference.

For every case the inputs are built twice from the same seed: once as plain objects for
the reference implementation (run here, trusted) and once as sandbox inputs, where a
support-module object (``construct``) travels as a ``Construct`` description that the
sandbox rebuilds itself. Expected outputs stay in this process.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import sys
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from grader.keys import substitute
from grader.loading import LoadedBank, resolve_ref
from grader.sandbox import CaseInput, Construct, Device, resolve_device
from grader.schema import CodeQuestion, Generated
from grader.schema.cases import CaseSpec, ConstructSpec, HiddenCases, Shape

__all__ = [
    "BuiltCase",
    "build_cases",
    "build_args",
    "load_support",
    "expected_outputs",
    "device_for",
    "extreme_dims",
    "hidden_case_seed",
    "MAX_CASE_ELEMENTS",
]

MAX_CASE_ELEMENTS = 2**26
"""Most entries one generated array may hold (512 MB of float64): a dimension range that
asks for more fails its case with a message instead of exhausting the grader's memory."""

_TORCH_DTYPES = {
    "float64": torch.float64,
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "int64": torch.int64,
    "int32": torch.int32,
    "bool": torch.bool,
}


@dataclass(frozen=True)
class BuiltCase:
    """One case: its sandbox inputs and the arguments the reference receives."""

    name: str
    visible: bool
    sandbox: CaseInput
    reference_args: tuple[Any, ...]
    seed: int
    show_name: bool = False
    """Whether students may read a hidden case's name before solutions are released."""


def device_for(question: CodeQuestion) -> Device:
    """``cpu`` or ``cuda`` for this runner; ``auto`` picks CUDA when a GPU is present."""
    return resolve_device(question.device)


_support_cache: dict[tuple[str, str], types.ModuleType] = {}


def load_support(folder: Path, support: list[str], module: str) -> types.ModuleType:
    """Import a question's support module (trusted author code) from the bank folder."""
    files = {Path(s).stem: folder / s for s in support}
    path = files[module]
    key = (str(path), hashlib.sha256(path.read_bytes()).hexdigest())
    if key not in _support_cache:
        spec = importlib.util.spec_from_file_location(
            f"_grader_support_{module}_{key[1][:8]}", path
        )
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
        _support_cache[key] = mod
    return _support_cache[key]


_GENERATOR_KEYS = {f.alias or n for n, f in Generated.model_fields.items()}


class _Builder:
    """Builds one case's argument values from specs, for one side (reference or sandbox)."""

    def __init__(
        self,
        seed: int,
        dims: Mapping[str, int],
        params: Mapping[str, Any],
        device: str,
        bank: LoadedBank,
        question: CodeQuestion,
        for_sandbox: bool,
    ) -> None:
        self.gen = torch.Generator().manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.dims = {**params, **dims}
        self.params = params
        self.device = device
        self.bank = bank
        self.question = question
        self.for_sandbox = for_sandbox

    def shape(self, shape: Shape) -> tuple[int, ...]:
        out = []
        for s in shape:
            if isinstance(s, str):
                if s not in self.dims:
                    raise ValueError(
                        f"dimension {s!r} is not defined (dims: {', '.join(self.dims) or 'none'})"
                    )
                out.append(int(self.dims[s]))
            else:
                out.append(int(s))
        if math.prod(out) > MAX_CASE_ELEMENTS:
            raise ValueError(
                f"shape {list(shape)} = {out} holds {math.prod(out):,} entries, more than the "
                f"{MAX_CASE_ELEMENTS:,} a case may hold; lower the dimensions"
            )
        return tuple(out)

    def array(self, t: torch.Tensor, kind: str) -> Any:
        if kind == "numpy":
            return t.numpy()
        return t.to(self.device) if not self.for_sandbox else t

    def build(self, spec: Any) -> Any:
        if isinstance(spec, Generated):
            return self.generated(spec)
        if isinstance(spec, dict):
            if len(spec) == 1 and next(iter(spec)) in _GENERATOR_KEYS:
                return self.generated(Generated.model_validate(spec))
            return {k: self.build(v) for k, v in spec.items()}
        if isinstance(spec, list):
            return [self.build(v) for v in spec]
        return substitute(spec, self.params)

    def generated(self, g: Generated) -> Any:
        if g.normal is not None:
            s = g.normal
            t = (
                torch.randn(self.shape(s.shape), generator=self.gen, dtype=torch.float64) * s.std
                + s.mean
            )
            return self.array(t.to(_TORCH_DTYPES[s.dtype]), s.kind)
        if g.uniform is not None:
            u = g.uniform
            t = (
                torch.rand(self.shape(u.shape), generator=self.gen, dtype=torch.float64)
                * (u.high - u.low)
                + u.low
            )
            return self.array(t.to(_TORCH_DTYPES[u.dtype]), u.kind)
        if g.randint is not None:
            r = g.randint
            high = int(self.dims[r.high]) if isinstance(r.high, str) else r.high
            t = torch.randint(r.low, high, self.shape(r.shape), generator=self.gen)
            return self.array(t.to(_TORCH_DTYPES[r.dtype]), r.kind)
        if g.tensor is not None:
            t = torch.tensor(
                substitute(g.tensor.data, self.params), dtype=_TORCH_DTYPES[g.tensor.dtype]
            )
            return self.array(t, g.tensor.kind)
        if g.construct_ is not None:
            return self.construct(g.construct_)
        if g.choice is not None:
            return self.build(g.choice[int(self.rng.integers(len(g.choice)))])
        if g.dim is not None:
            return int(self.dims[g.dim])
        return substitute(g.value, self.params)

    def construct(self, c: ConstructSpec) -> Any:
        kwargs = {k: self.build(v) for k, v in c.args.items()}
        if self.for_sandbox:
            return Construct(c.fn, (), kwargs)
        module, _, fn = c.fn.partition(":")
        obj = getattr(load_support(self.bank.folder, self.question.support, module), fn)(**kwargs)
        if isinstance(obj, torch.nn.Module):
            obj = obj.to(self.device)
        return obj


def hidden_case_seed(base: int, index: int, variant: int) -> int:
    """The seed of random hidden case ``index`` of a question in ``variant``."""
    digest = hashlib.sha256(f"{base}/{index}/{variant}".encode()).digest()
    return int.from_bytes(digest[:6], "big")


def build_args(
    question: CodeQuestion,
    bank: LoadedBank,
    args: Mapping[str, Any],
    dims: Mapping[str, int],
    seed: int,
    params: Mapping[str, Any],
    device: str,
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """(reference args, sandbox args) for one case, both from the same seed."""
    ref = _Builder(seed, dims, params, device, bank, question, for_sandbox=False)
    box = _Builder(seed, dims, params, device, bank, question, for_sandbox=True)
    return tuple(ref.build(v) for v in args.values()), tuple(box.build(v) for v in args.values())


def _one(
    question: CodeQuestion,
    bank: LoadedBank,
    spec: CaseSpec,
    visible: bool,
    name: str,
    params: Mapping[str, Any],
    device: str,
    seed: int,
) -> BuiltCase:
    ref_args, box_args = build_args(question, bank, spec.args, spec.dims, seed, params, device)
    return BuiltCase(
        name,
        visible,
        CaseInput(args=box_args, visible=visible, name=name),
        ref_args,
        seed,
        spec.show_name,
    )


def build_cases(
    question: CodeQuestion,
    bank: LoadedBank,
    params: Mapping[str, Any],
    variant: int,
    include_hidden: bool = True,
) -> list[BuiltCase]:
    """Visible cases, then (optionally) hand-written hidden cases, then seeded random ones."""
    device = device_for(question)
    cases = [
        _one(question, bank, spec, True, spec.name or f"visible {i + 1}", params, device, spec.seed)
        for i, spec in enumerate(question.visible)
    ]
    hidden = question.hidden
    if include_hidden and hidden is not None:
        for i, spec in enumerate(hidden.extra):
            cases.append(
                _one(
                    question,
                    bank,
                    spec,
                    False,
                    spec.name or f"hidden edge {i + 1}",
                    params,
                    device,
                    spec.seed,
                )
            )
        for i in range(hidden.count):
            seed = hidden_case_seed(hidden.seed, i, variant)
            rng = np.random.default_rng(seed)
            dims = {
                name: int(rng.integers(lo, hi, endpoint=True))
                for name, (lo, hi) in hidden.dims.items()
            }
            spec = CaseSpec(args=hidden.args, dims=dims, seed=seed)
            cases.append(_one(question, bank, spec, False, f"hidden {i + 1}", params, device, seed))
    return cases


def extreme_dims(hidden: HiddenCases) -> dict[str, dict[str, int]]:
    """The smallest and the largest dimensions the random hidden cases can draw, by label:
    a range whose ends cannot be built fails there first."""
    return {
        "smallest": {name: lo for name, (lo, _) in hidden.dims.items()},
        "largest": {name: hi for name, (_, hi) in hidden.dims.items()},
    }


def expected_outputs(
    question: CodeQuestion,
    cases: list[BuiltCase],
    reference: str | None = None,
    folders: Sequence[Path] = (),
) -> list[Any]:
    """The reference's output for every case, computed in this (trusted) process
    (``folders``: the course's reference folders, ``LoadedBank.reference_folders``)."""
    fn = resolve_ref(reference or question.reference, folders)
    return [fn(*case.reference_args) for case in cases]
