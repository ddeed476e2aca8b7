"""How code-question inputs are written: literal values and seeded random generators.

A case's ``args`` map each parameter of the student's function, in order, to a value
spec. A spec is a plain literal (number, string, bool, list) or a one-key mapping naming
a generator. Shapes may use dimension names (``[T, d]``) drawn per case from ``dims``.

```yaml
args:
  A:   {normal: {shape: [d, d], std: 0.5}}
  x:   {normal: {shape: [T, d]}}
  ids: {randint: {shape: [B, T], high: 50}}
  eps: 0.2
  model: {construct: {fn: "tiny_lm:make_model", args: {seed: 3}}}
```
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from grader.schema._base import REF_PATTERN, Strict

__all__ = [
    "ArrayKind",
    "Shape",
    "NormalSpec",
    "UniformSpec",
    "RandintSpec",
    "TensorSpec",
    "ConstructSpec",
    "Generated",
    "ValueSpec",
    "CaseSpec",
    "HiddenCases",
    "DTYPES",
    "INT64_MIN",
    "INT64_MAX",
]

DTYPES = ("float64", "float32", "float16", "bfloat16", "int64", "int32", "bool")
ArrayKind = Literal["torch", "numpy"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""The integers torch and NumPy draw and index with: a bound outside them validates in
YAML but fails every case at grading time."""

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
Size = Annotated[int, Field(ge=0, le=INT64_MAX)]
"""A dimension: a length, never negative."""

Seed = Annotated[int, Field(ge=0, le=INT64_MAX)]
"""A generator seed, as both torch and NumPy accept it."""

Shape = list[Size | str]


class _ArrayBase(Strict):
    shape: Shape = Field(default_factory=list, description="Sizes; ints or dimension names.")
    dtype: Literal["float64", "float32", "float16", "bfloat16", "int64", "int32", "bool"] = Field(
        default="float64", description="Element type of the generated array."
    )
    kind: ArrayKind = Field(default="torch", description="Pass a torch tensor or a NumPy array.")


class NormalSpec(_ArrayBase):
    """Gaussian entries: ``mean + std * N(0, 1)``."""

    mean: float = Field(default=0.0, description="Mean of every entry.")
    std: float = Field(default=1.0, ge=0.0, description="Standard deviation of every entry.")


class UniformSpec(_ArrayBase):
    """Entries uniform on ``[low, high)``."""

    low: float = Field(default=0.0, description="Lower bound.")
    high: float = Field(default=1.0, description="Upper bound.")


class RandintSpec(_ArrayBase):
    """Integer entries uniform on ``[low, high)``; ``high`` may be a dimension name."""

    low: Int64 = Field(default=0, description="Smallest value.")
    high: Int64 | str = Field(description="One past the largest value (int or dimension name).")
    dtype: Literal["float64", "float32", "float16", "bfloat16", "int64", "int32", "bool"] = Field(
        default="int64", description="Element type."
    )


class TensorSpec(Strict):
    """A literal array written out in full."""

    data: Any = Field(description="Nested lists of numbers.")
    dtype: Literal["float64", "float32", "float16", "bfloat16", "int64", "int32", "bool"] = Field(
        default="float64", description="Element type."
    )
    kind: ArrayKind = Field(default="torch", description="Pass a torch tensor or a NumPy array.")


class ConstructSpec(Strict):
    """An object built by a question's support module (shown to students), e.g. a tiny model."""

    fn: str = Field(pattern=REF_PATTERN, description="`support_module:function` to call.")
    args: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments (value specs allowed)."
    )


class Generated(Strict):
    """A one-key mapping naming how to produce a value."""

    normal: NormalSpec | None = Field(default=None, description="Gaussian array.")
    uniform: UniformSpec | None = Field(default=None, description="Uniform array.")
    randint: RandintSpec | None = Field(default=None, description="Random integer array.")
    tensor: TensorSpec | None = Field(default=None, description="Literal array.")
    construct_: ConstructSpec | None = Field(
        default=None, alias="construct", description="Object from a support module."
    )
    choice: list[Any] | None = Field(default=None, min_length=1, description="One of these values.")
    dim: str | None = Field(default=None, description="The value of a dimension (an int).")
    value: Any = Field(default=None, description="A literal, for values YAML would misread.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        fields = type(self).model_fields
        given = [fields[k].alias or k for k in fields if getattr(self, k) is not None]
        if len(given) != 1:
            names = ", ".join(f.alias or n for n, f in type(self).model_fields.items())
            raise ValueError(f"give exactly one of {names} (got {', '.join(given) or 'none'})")
        return self


ValueSpec = Generated | int | float | bool | str | list[Any] | None


class CaseSpec(Strict):
    """One hand-written case."""

    name: str = Field(default="", description="Short label shown in feedback.")
    show_name: bool = Field(
        default=False,
        description="Show a hidden case's name to students at once (otherwise 'case N' until "
        "the exam releases solutions; TAs always see it).",
    )
    args: dict[str, ValueSpec] = Field(
        description="The function's arguments in order, each a literal or a generator."
    )
    dims: dict[str, Size] = Field(
        default_factory=dict, description="Dimension sizes used by shapes in `args`."
    )
    seed: Seed = Field(default=0, description="Seed for generators used in this case.")
    weight: float = Field(
        default=1.0,
        gt=0,
        allow_inf_nan=False,
        description="The case's share in a proportional group (or a partially scored "
        "question) relative to the others; 1 by default.",
    )


class HiddenCases(Strict):
    """Seeded random cases drawn at grading time, never shown to students."""

    count: int = Field(ge=1, le=10_000, description="How many random cases to draw.")
    seed: int = Field(default=0, description="Base seed; case i uses seed + i (and the variant).")
    dims: dict[str, tuple[Size, Size]] = Field(
        default_factory=dict, description="Dimension name -> [low, high] drawn per case."
    )
    args: dict[str, ValueSpec] = Field(description="Argument generators, in the function's order.")
    extra: list[CaseSpec] = Field(
        default_factory=list, description="Hand-written hidden edge cases, run as well."
    )
    weight: float = Field(
        default=1.0,
        gt=0,
        allow_inf_nan=False,
        description="The weight of each random case (see a case's `weight`).",
    )

    @field_validator("dims")
    @classmethod
    def _low_not_above_high(cls, dims: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        for name, (low, high) in dims.items():
            if low > high:
                raise ValueError(f"dimension {name!r}: low {low} is above high {high}")
        return dims
