"""Helpers shared by the sandbox tests: the toy question every attack targets."""

from __future__ import annotations

from pathlib import Path

import torch

from grader.sandbox import (
    CaseInput,
    CaseOutcome,
    CodeJob,
    Limits,
    compare,
)

ATTACKS = Path(__file__).parent / "attacks"
FAST = Limits(
    cpu_seconds=1.0,
    wall_seconds=3.0,
    job_wall_seconds=20.0,
    memory_mb=512,
    max_output_bytes=16 * 1024,
)
HONEST = b"def solve(x):\n    return x * 2 + 1\n"
HONEST_WRONG = b"def solve(x):\n    return x * 2\n"


def expected(x: torch.Tensor) -> torch.Tensor:
    """The reference of the toy question every attack targets."""
    return x * 2 + 1


def inputs(n: int = 3, *, visible: bool = False) -> list[CaseInput]:
    return [
        CaseInput(args=(torch.arange(4.0) + k,), visible=visible, name=f"c{k}") for k in range(n)
    ]


def job(source: bytes, cases: list[CaseInput] | None = None, **kwargs: object) -> CodeJob:
    fields: dict[str, object] = {"limits": FAST, **kwargs}
    return CodeJob(
        files={"solution.py": source},
        entry="solution.py",
        function="solve",
        cases=cases if cases is not None else inputs(),
        **fields,
    )  # type: ignore[arg-type]


def attack(name: str) -> bytes:
    return (ATTACKS / f"{name}.py").read_bytes()


def score(outcomes: list[CaseOutcome], cases: list[CaseInput]) -> int:
    """Cases passed against the reference, compared in the grader."""
    passed = 0
    for outcome, case in zip(outcomes, cases, strict=True):
        if outcome.status == "ok" and compare(expected(case.args[0]), outcome.value).passed:
            passed += 1
    return passed
