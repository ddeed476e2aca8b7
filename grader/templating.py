"""``{{ name }}`` placeholders in prompts and options, filled with a variant's parameters.

Only declared parameters are substituted, so LaTeX such as ``\\frac{a}{b}`` is never
touched. Numbers print without float noise (``0.95``, not ``0.9500000000000001``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["fill", "format_value", "PLACEHOLDER"]

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def format_value(value: Any) -> str:
    """A parameter value as printed on the paper."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        text = f"{value:.12g}"
        return text
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def fill(text: str, params: Mapping[str, Any]) -> str:
    """Replace ``{{ name }}`` for every declared parameter ``name``; leave the rest alone."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        return format_value(params[name]) if name in params else match.group(0)

    return PLACEHOLDER.sub(sub, text)
