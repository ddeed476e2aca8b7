"""``GradingOptions``: the switches of a grading run, in a module of their own so that the
command line can build them without importing the grading machinery (torch, sympy)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GradingOptions"]


@dataclass(frozen=True)
class GradingOptions:
    """Switches that apply to a whole grading run."""

    release: bool = False
    """Show keys and worked solutions in feedback (after the deadline)."""
    hidden: bool = True
    """Run hidden cases (False for a student's self-check)."""
    secret_checks: bool = True
    """Run checks that need secret data (complexity on hidden sizes)."""
