"""``kit.json``: what a student kit says about each question, as a typed, versioned model.

A kit's manifest holds, per question, only what a student may see: the MCQ labels, a
numeric answer's shape, an expression's declared variables, the ordering's step labels,
and for a code question its file, function, device, limits, comparison and visible cases
with their expected outputs. It is written and read through ``KitManifest`` (frozen,
unknown keys refused); ``format`` is bumped when a reader of an older format could misread
a newer kit. Case values are tagged JSON (``{"__tensor__": [...], "dtype": "float32"}``,
``encode_value``/``decode_value``), never pickle. Reading a manifest imports neither torch
nor numpy: a self-check of non-code answers needs neither (``decode_value`` imports what a
tagged value needs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from grader.errors import SubmissionError
from grader.schema.questions import LimitsSpec, Tolerances

__all__ = [
    "KIT_FORMAT",
    "KitCase",
    "KitCode",
    "KitCompare",
    "KitExpression",
    "KitManifest",
    "KitMcq",
    "KitMultipart",
    "KitNumeric",
    "KitOrdering",
    "KitPart",
    "KitQuestion",
    "KitText",
    "decode_value",
    "encode_value",
    "read_manifest",
    "write_manifest",
]

KIT_FORMAT = 1
"""The manifest format this grader writes and reads."""

_DTYPES = {
    "float64",
    "float32",
    "float16",
    "bfloat16",
    "int64",
    "int32",
    "bool",
    "int8",
    "uint8",
    "int16",
}


def encode_value(value: Any) -> Any:
    """A case value as tagged JSON."""
    import numpy as np
    import torch

    from grader.sandbox import Construct

    if isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        return {
            "__tensor__": t.float().tolist() if t.dtype == torch.bfloat16 else t.tolist(),
            "dtype": str(t.dtype).removeprefix("torch."),
        }
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, Construct):
        return {
            "__construct__": value.fn,
            "args": [encode_value(a) for a in value.args],
            "kwargs": {k: encode_value(v) for k, v in value.kwargs.items()},
        }
    if isinstance(value, (list, tuple)):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, (np.generic,)):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot put a {type(value).__name__} in a kit")


def decode_value(value: Any) -> Any:
    """Inverse of ``encode_value``; only allowlisted dtypes are rebuilt (torch, numpy and
    the sandbox's ``Construct`` are imported by the first value that needs them)."""
    if isinstance(value, dict):
        if "__tensor__" in value:
            dtype = str(value.get("dtype"))
            if dtype not in _DTYPES:
                raise ValueError(f"dtype {dtype!r} is not allowed in a kit")
            import torch

            return torch.tensor(value["__tensor__"], dtype=getattr(torch, dtype))
        if "__ndarray__" in value:
            dtype = str(value.get("dtype"))
            if dtype not in _DTYPES - {"bfloat16"}:
                raise ValueError(f"dtype {dtype!r} is not allowed in a kit")
            import numpy as np

            return np.asarray(value["__ndarray__"], dtype=dtype)
        if "__construct__" in value:
            from grader.sandbox import Construct

            return Construct(
                str(value["__construct__"]),
                tuple(decode_value(a) for a in value.get("args", [])),
                {k: decode_value(v) for k, v in value.get("kwargs", {}).items()},
            )
        return {k: decode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    return value


class _Kit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class _KitQuestion(_Kit):
    id: str
    """The question's id (a part's name inside a multipart question)."""
    marks: float
    """What the question is worth."""


class KitMcq(_KitQuestion):
    """A multiple-choice question: its option labels (not which are correct)."""

    type: Literal["mcq"]
    options: list[str]
    """The option labels, as printed."""


class KitNumeric(_KitQuestion):
    """A numeric question: the shape of its answer (not the answer)."""

    type: Literal["numeric"]
    shape: list[int]
    """``[]`` for one number, ``[3]`` for three, ..."""


class KitExpression(_KitQuestion):
    """An expression question: what an answer may be written with."""

    type: Literal["expression"]
    variables: dict[str, dict[str, JsonValue]]
    """The declared variables (without descriptions), as the expression checker takes them."""
    functions: list[str]
    """Functions an answer may use."""
    allow_sum: bool
    """Whether an answer may use a sum."""
    asymptotic: bool
    """Whether the answer is a big-O class."""


class KitOrdering(_KitQuestion):
    """An ordering question: its step labels, sorted (not the order)."""

    type: Literal["ordering"]
    steps: list[str]
    """The step labels."""


class KitText(_KitQuestion):
    """A free-text question (marked at grading time)."""

    type: Literal["text"]


class KitCase(_Kit):
    """One visible case of a code question."""

    name: str
    """The author's name for the case, as grading names it."""
    args: list[JsonValue]
    """The arguments, tagged JSON."""
    expected: JsonValue
    """The reference's output, tagged JSON."""


class KitCompare(_Kit):
    """How a case's value is compared (a custom compare is author code: ``allclose`` here)."""

    rule: Literal["exact", "allclose", "tokens", "set"]
    """The comparison rule."""
    tolerances: dict[str, Tolerances]
    """Per-dtype overrides of the default tolerances."""


class KitCode(_KitQuestion):
    """A code question: everything its visible cases need to run as grading runs them."""

    type: Literal["code"]
    file: str
    """The file the student writes."""
    function: str
    """The function to call."""
    device: Literal["cpu", "cuda", "auto"]
    """Where the cases run (``auto``: CUDA when the student's machine has it)."""
    forbid: list[str]
    """APIs the code may not use."""
    support: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")]]
    """The question's support modules, files beside ``kit.json``."""
    compare: KitCompare
    """How values are compared."""
    limits: LimitsSpec
    """The question's resource limits."""
    determinism: bool = False
    """Whether each case runs twice and both runs must agree."""
    cases: list[KitCase]
    """The visible cases."""


KitPart = Annotated[
    KitMcq | KitNumeric | KitExpression | KitOrdering | KitText | KitCode,
    Field(discriminator="type"),
]
"""A part of a multipart question."""


class KitMultipart(_KitQuestion):
    """A question with named parts."""

    type: Literal["multipart"]
    parts: list[KitPart]
    """The parts, in order."""


KitQuestion = Annotated[
    KitMcq | KitNumeric | KitExpression | KitOrdering | KitText | KitCode | KitMultipart,
    Field(discriminator="type"),
]
"""One question of a kit, chosen by its ``type``."""


class KitManifest(_Kit):
    """The whole ``kit.json``."""

    format: int = KIT_FORMAT
    """The manifest format (``KIT_FORMAT``)."""
    exam: str
    """The exam id."""
    title: str
    """The exam's title."""
    variant: int
    """The variant the kit was made for (0: the printed paper)."""
    questions: list[KitQuestion]
    """The questions, in paper order."""


def write_manifest(manifest: KitManifest, path: Path) -> None:
    """Write ``manifest`` to ``path`` (sorted keys, one line per value, stable for diffs)."""
    data = manifest.model_dump(mode="json")
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def read_manifest(path: Path) -> KitManifest:
    """The manifest at ``path``. Raises ``SubmissionError`` naming what is wrong when it is
    not JSON, is of another format, or does not match ``KitManifest``."""
    again = "download the kit again or rebuild it with `grader kit`"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SubmissionError(f"{path} cannot be read as JSON ({exc}); {again}") from exc
    found = data.get("format") if isinstance(data, dict) else None
    if found != KIT_FORMAT:
        raise SubmissionError(
            f"{path} is a kit of format {found!r}; this grader reads format {KIT_FORMAT}: "
            f"{again}, or use the grader the kit was made with"
        )
    try:
        return KitManifest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise SubmissionError(
            f"{path} is not a kit this grader can read: {problems}{more}; {again}"
        ) from exc
