"""A small, test-only builder of code-question arguments from the bank's case specs.

The grader's real case builder lives in ``grader/`` (written separately); this one exists
so the question tests can run references and mutants in-process without depending on it.
It follows the documented meaning of every generator in ``grader/schema/cases.py``: dims
drawn uniformly from their [low, high] ranges, ``normal``/``uniform``/``randint`` arrays from
a seeded generator, ``tensor`` literals, ``construct`` calls into the question's support
modules, ``choice``, ``dim`` and ``value``. The random streams differ from the grader's, which
is fine: these tests need cases *like* the hidden ones, not the same ones.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

CODE_TASKS: list[tuple[str, str, str | None]] = [
    ("midsem-2025", "B1a", None),
    ("midsem-2025", "B4a", "code"),
    ("midsem-2025", "B4d-ii", None),
    ("midsem-2025", "B5a-i-1", None),
    ("midsem-2025", "B5a-i-2", None),
    ("quiz-2025", "Q3", None),
    ("quiz-2025", "Q6b", None),
    ("quiz-2025", "Q6c", "grpo-advantages"),
    ("quiz-2025", "Q6c", "grpo-objective"),
]
"""Every code task of the seed exams: (exam, question, part or None)."""

from grader.schema.cases import CaseSpec, Generated, HiddenCases
from grader.schema.questions import CodeQuestion, ComplexitySpec

__all__ = ["load_support", "build_args", "visible_cases", "hidden_like_cases", "complexity_cases"]

_DTYPES = {
    "float64": torch.float64,
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "int64": torch.int64,
    "int32": torch.int32,
    "bool": torch.bool,
}


def load_support(folder: Path, question: CodeQuestion) -> dict[str, ModuleType]:
    """Import the question's support modules from ``folder`` (the bank's folder), by stem."""
    modules = {}
    for rel in question.support:
        path = folder / rel
        spec = importlib.util.spec_from_file_location(f"_support_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules[path.stem] = module
    return modules


def _shape(shape: list[int | str], dims: dict[str, int]) -> list[int]:
    return [dims[s] if isinstance(s, str) else int(s) for s in shape]


def _value(
    spec: Any,
    dims: dict[str, int],
    g: torch.Generator,
    rng: np.random.Generator,
    support: dict[str, ModuleType],
) -> Any:
    if not isinstance(spec, Generated):
        return spec
    if spec.normal is not None:
        n = spec.normal
        x = torch.randn(_shape(n.shape, dims), generator=g, dtype=torch.float64) * n.std + n.mean
        return x.to(_DTYPES[n.dtype])
    if spec.uniform is not None:
        u = spec.uniform
        x = (
            torch.rand(_shape(u.shape, dims), generator=g, dtype=torch.float64) * (u.high - u.low)
            + u.low
        )
        return x.to(_DTYPES[u.dtype])
    if spec.randint is not None:
        r = spec.randint
        high = dims[r.high] if isinstance(r.high, str) else r.high
        return torch.randint(r.low, high, _shape(r.shape, dims), generator=g).to(_DTYPES[r.dtype])
    if spec.tensor is not None:
        return torch.tensor(spec.tensor.data, dtype=_DTYPES[spec.tensor.dtype])
    if spec.construct_ is not None:
        module_name, _, fn = spec.construct_.fn.partition(":")
        kwargs = {
            k: _value(_generated(v), dims, g, rng, support) for k, v in spec.construct_.args.items()
        }
        return getattr(support[module_name], fn)(**kwargs)
    if spec.choice is not None:
        return spec.choice[int(rng.integers(len(spec.choice)))]
    if spec.dim is not None:
        return dims[spec.dim]
    return spec.value


def _generated(raw: Any) -> Any:
    """Complexity and construct args arrive as plain dicts: one-key generator mappings ->
    ``Generated``."""
    if isinstance(raw, dict) and len(raw) == 1:
        try:
            return Generated.model_validate(raw)
        except ValueError:
            return raw
    return raw


def build_args(
    args: dict[str, Any], dims: dict[str, int], seed: int, support: dict[str, ModuleType]
) -> list[Any]:
    """Positional arguments in declaration order."""
    g = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    return [_value(_generated(spec), dims, g, rng, support) for spec in args.values()]


def visible_cases(q: CodeQuestion, support: dict[str, ModuleType]) -> list[tuple[str, list[Any]]]:
    """(name, args) of each visible case."""
    return [(c.name, build_args(c.args, c.dims, c.seed, support)) for c in q.visible]


def _draw_dims(hidden: HiddenCases | ComplexitySpec, rng: np.random.Generator) -> dict[str, int]:
    if isinstance(hidden, HiddenCases):
        return {k: int(rng.integers(lo, hi + 1)) for k, (lo, hi) in hidden.dims.items()}
    return dict(hidden.dims)


def hidden_like_cases(
    q: CodeQuestion, support: dict[str, ModuleType], count: int | None = None, seed: int = 12345
) -> list[tuple[str, list[Any]]]:
    """Random cases drawn like the hidden ones (plus the hand-written hidden extras)."""
    assert q.hidden is not None
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count or q.hidden.count):
        dims = _draw_dims(q.hidden, rng)
        out.append((f"random {i}", build_args(q.hidden.args, dims, seed + i, support)))
    extras: list[CaseSpec] = q.hidden.extra
    out += [(c.name, build_args(c.args, c.dims, c.seed, support)) for c in extras]
    return out


def complexity_cases(
    q: CodeQuestion, support: dict[str, ModuleType]
) -> list[tuple[int, list[Any]]]:
    """(size, args) at each size of the complexity check."""
    assert q.complexity is not None
    c = q.complexity
    return [(n, build_args(c.args, {**c.dims, c.dim: n}, 0, support)) for n in c.sizes]
