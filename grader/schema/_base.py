"""The strict base model every schema class derives from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Strict", "ID_PATTERN", "REF_PATTERN"]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
"""Question, part, bank and exam ids: letters, digits, ``_ . -``; no spaces."""

REF_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$"
"""``module:function`` under ``reference_impls`` (``policy_gradient:mc_advantage``)."""


class Strict(BaseModel):
    """Frozen, unknown keys forbidden, docstrings become JSON-Schema descriptions."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        validate_default=True,
    )
