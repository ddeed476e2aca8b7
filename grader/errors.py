"""The grader's exception tree, written down once.

Three families, caught at one boundary (the CLI):

* ``AuthoringError``: a question bank or exam file is wrong. Carries every problem found,
  each with file, line, column and field path, so an author fixes ten mistakes in one go.
* ``SubmissionError``: a student's submission cannot be read as handed in. Its message is
  student-facing: it says what the student should do.
* ``InfrastructureError``: the machine cannot do what was asked (no sandbox, no GPU, a
  database that cannot be opened). Its message says what to install or change.

``UsageError`` (an option naming what the exam lacks) is caught at the same boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "GraderError",
    "Problem",
    "AuthoringError",
    "SubmissionError",
    "InfrastructureError",
    "UsageError",
]


class GraderError(Exception):
    """Base of every error the grader raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One mistake in an authored file.

    ``path`` is the field path inside the file (``questions[3].options[1].text``);
    ``line`` and ``column`` are 1-based and ``None`` when the position is unknown.
    """

    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class AuthoringError(GraderError):
    """Raised when question banks or exam files have mistakes; lists all of them."""

    def __init__(self, problems: Sequence[Problem], what: str = "the question files") -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in {what}:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class SubmissionError(GraderError):
    """Raised when a student's submission cannot be read; the message is for the student."""


class InfrastructureError(GraderError):
    """Raised when this machine lacks what the job needs; the message says how to fix it."""


class UsageError(GraderError):
    """Raised when a command-line option names something that does not exist (a question
    id, ...) and only the loaded exam can tell; the message names the option and what it
    accepts. (Options argparse can check alone are checked by ``grader.cli_args``.)"""
