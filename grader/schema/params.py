"""Randomization parameters and values computed by reference implementations."""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field, model_validator

from grader.schema._base import REF_PATTERN, Strict

__all__ = ["ParamSpec", "RefCall"]


class ParamSpec(Strict):
    """One randomizable quantity of a question.

    ``default`` reproduces the printed paper exactly; a variant draws from exactly one of
    ``choices``, ``int_range`` or ``uniform``. A parameter with none of them is fixed.
    """

    default: int | float | str | bool | list[Any] = Field(
        description="Value used by variant 0 (the printed paper)."
    )
    choices: list[Any] | None = Field(
        default=None, description="Draw uniformly from these values.", min_length=1
    )
    int_range: tuple[int, int] | None = Field(
        default=None, description="Draw an integer uniformly from [low, high], both included."
    )
    uniform: tuple[float, float] | None = Field(
        default=None, description="Draw a real number uniformly from [low, high]."
    )
    decimals: int | None = Field(
        default=None, ge=0, le=12, description="Round a `uniform` draw to this many decimals."
    )
    description: str = Field(default="", description="What the parameter means, for authors.")

    @model_validator(mode="after")
    def _one_distribution(self) -> Self:
        given = [n for n in ("choices", "int_range", "uniform") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(
                f"give at most one of choices, int_range, uniform (got {', '.join(given)})"
            )
        if self.int_range is not None and self.int_range[0] > self.int_range[1]:
            raise ValueError(f"int_range low {self.int_range[0]} is above high {self.int_range[1]}")
        if self.uniform is not None and self.uniform[0] > self.uniform[1]:
            raise ValueError(f"uniform low {self.uniform[0]} is above high {self.uniform[1]}")
        if self.decimals is not None and self.uniform is None:
            raise ValueError("decimals applies only to a uniform draw")
        return self

    @property
    def randomized(self) -> bool:
        """Whether variants may differ from the default."""
        return any(getattr(self, n) is not None for n in ("choices", "int_range", "uniform"))


class RefCall(Strict):
    """A value computed by calling ``<module>.<function>(**args)`` of the course's reference
    folders (``references:``) or of the installed ``reference_impls``.

    A string argument ``"$name"`` stands for the question parameter ``name``; the result
    (a tensor, array, number or nested list) is turned into plain Python numbers.
    """

    ref: str = Field(
        pattern=REF_PATTERN,
        description="`module:function` in the course's `references:` folders or under "
        "reference_impls, e.g. `policy_gradient:mc_advantage`.",
    )
    args: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments; `$param` strings are substituted."
    )
    index: int | str | None = Field(
        default=None, description="Take this item (tuple index or field name) of the result."
    )
