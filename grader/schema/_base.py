"""The strict base model every schema class derives from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

__all__ = ["Strict", "ID_PATTERN", "REF_PATTERN", "repeated"]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
"""Question, part, bank and exam ids: letters, digits, ``_ . -``; no spaces."""

REF_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$"
"""``module:function`` (``policy_gradient:mc_advantage``, ``course_refs.attention:softmax``),
in a course's ``references:`` folders or under ``reference_impls``."""


class Strict(BaseModel):
    """Frozen, unknown keys forbidden, docstrings become JSON-Schema descriptions."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        validate_default=True,
    )


def repeated(names: Iterable[str]) -> list[str]:
    """The names that occur more than once, sorted: ids, part names or labels that must be
    unique, for the validator's message."""
    return sorted(name for name, n in Counter(names).items() if n > 1)
