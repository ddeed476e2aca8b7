"""The rules a code question's ``groups`` follow, checked when a bank loads.

Groups name cases by the author's ``name`` (visible cases and ``hidden.extra``);
``RANDOM_CASES`` stands for the seeded random hidden cases. Every case is in at most one
group. Cases in no group form an implicit group, ``OTHER_CASES``, worth the marks the
groups leave; when every case is grouped, the groups' marks add up to the question's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from grader.schema._base import repeated

__all__ = ["RANDOM_CASES", "OTHER_CASES", "MARKS_EPS", "group_problem"]

RANDOM_CASES = "random hidden cases"
"""The name a group uses for the seeded random hidden cases (``hidden.count``)."""
OTHER_CASES = "other cases"
"""The implicit group of the cases no group names."""
MARKS_EPS = 1e-9


class _Group(Protocol):
    name: str
    cases: list[str]
    marks: float


def _case_names(fields: Mapping[str, Any]) -> list[str]:
    """Every case's name, unnamed ones as ""; the random hidden cases as ``RANDOM_CASES``."""
    hidden = fields.get("hidden")
    names = [spec.name for spec in fields.get("visible") or []]
    if hidden is not None:
        names += [spec.name for spec in hidden.extra] + [RANDOM_CASES]
    return names


def _listing(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names) or "none"


def group_problem(groups: Sequence[_Group], fields: Mapping[str, Any]) -> str | None:
    """What is wrong with ``groups`` for a code question whose other validated fields are
    ``fields`` (``visible``, ``hidden``, ``marks``, ``scoring``), or None. Fields that failed
    their own validation are missing here: their error is reported already."""
    if "visible" not in fields or "hidden" not in fields or "marks" not in fields:
        return None
    names = _case_names(fields)
    named = [n for n in names if n]
    if repeated(g.name for g in groups):
        return f"group names must be unique; repeated: {_listing(repeated(g.name for g in groups))}"
    if RANDOM_CASES in names[: len(names) - 1]:
        return f"{RANDOM_CASES!r} names the random hidden cases; rename the case called so"
    seen: dict[str, str] = {}
    for group in groups:
        for case in group.cases:
            if case not in named:
                return (
                    f"group {group.name!r} names case {case!r}, which no case has; "
                    f"named cases: {_listing(named)}"
                )
            if names.count(case) > 1:
                return (
                    f"group {group.name!r}: {names.count(case)} cases are named {case!r}; "
                    "give them distinct names to group them"
                )
            if case in seen:
                return (
                    f"case {case!r} is in groups {seen[case]!r} and {group.name!r}; "
                    "a case may be in one group only"
                )
            seen[case] = group.name
    scoring = fields.get("scoring")
    if (
        scoring is not None
        and "policy" in scoring.model_fields_set
        and scoring.policy == "negative"
    ):
        return "groups cannot be combined with scoring policy 'negative'; drop one of them"
    total, marks = sum(g.marks for g in groups), float(fields["marks"])
    ungrouped = [n or f"case {i + 1}" for i, n in enumerate(names) if n not in seen]
    if not ungrouped and abs(total - marks) > MARKS_EPS:
        return f"group marks add up to {total:g} but the question is worth {marks:g}"
    if ungrouped and total > marks - MARKS_EPS:
        return (
            f"group marks add up to {total:g}, leaving none of the question's {marks:g} for "
            f"the cases in no group ({_listing(ungrouped)}); group them or lower the marks"
        )
    return None
