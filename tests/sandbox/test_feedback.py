"""What students see: hidden cases never echo messages or printed output; visible cases do."""

from __future__ import annotations

import pytest
from sandbox_helpers import inputs, job

from grader.sandbox import SandboxRunner

pytestmark = pytest.mark.sandbox

RAISES = b"""
def solve(x):
    print("the hidden input is", x.tolist())
    raise ValueError(f"secret {x.tolist()}")
"""

OWN_CLASS = b"""
def solve(x):
    raise type("Leak_" + str(int(x[0])), (Exception,), {})()
"""


def test_hidden_case_exception_names_the_type_only(sandbox: SandboxRunner) -> None:
    """No line either: the student chooses which line raises, so a line number would carry
    up to log2(lines of the file) bits of a hidden input per case."""
    (outcome,) = sandbox.run(job(RAISES, inputs(1)))
    assert outcome.status == "exception"
    assert outcome.message == "raised ValueError on case 1"
    assert outcome.stdout is None
    assert (outcome.error_type, outcome.error_line) == ("ValueError", None)


def test_visible_case_exception_shows_message_and_output(sandbox: SandboxRunner) -> None:
    (outcome,) = sandbox.run(job(RAISES, inputs(1, visible=True)))
    assert (
        outcome.message
        == "raised ValueError at line 4 of solution.py on case 1: secret [0.0, 1.0, 2.0, 3.0]"
    )
    assert outcome.stdout == "the hidden input is [0.0, 1.0, 2.0, 3.0]\n"


def test_hidden_case_hides_exception_class_names_the_student_chose(sandbox: SandboxRunner) -> None:
    (outcome,) = sandbox.run(job(OWN_CLASS, inputs(1)))
    assert "Leak" not in outcome.message
    assert outcome.message == "raised an exception of a class defined in your code on case 1"


def test_output_of_hidden_cases_never_reaches_visible_feedback(sandbox: SandboxRunner) -> None:
    cases = [inputs(1)[0], inputs(1, visible=True)[0]]
    src = b"""
import sys
seen = []
def solve(x):
    seen.append(x.tolist())
    print("seen so far", seen)
    return x * 2 + 1
"""
    hidden, visible = sandbox.run(job(src, cases))
    assert hidden.stdout is None
    assert visible.stdout == "seen so far [[0.0, 1.0, 2.0, 3.0]]\n"


def test_missing_function_is_named(sandbox: SandboxRunner) -> None:
    (outcome,) = sandbox.run(job(b"def other(x):\n    return x\n", inputs(1)))
    assert outcome.message == "solution.py does not define a function named 'solve'"


def test_every_case_after_a_failing_one_still_runs(sandbox: SandboxRunner) -> None:
    src = b"""
import os
def solve(x):
    if x[0] == 1:
        os._exit(3)
    if x[0] == 2:
        while True:
            pass
    return x * 2 + 1
"""
    outcomes = sandbox.run(job(src, inputs(4)))
    assert [o.status for o in outcomes] == ["ok", "crashed", "cpu_limit", "ok"]
    assert outcomes[1].message == "the process ended during case 2 without returning a result"
    assert outcomes[2].message == "exceeded 1 s CPU time on case 3"


def test_a_crash_names_its_exit_status_on_visible_cases_only(sandbox: SandboxRunner) -> None:
    src = b"import os\ndef solve(x):\n    os._exit(3)\n"
    shown, hidden = sandbox.run(job(src, inputs(1, visible=True) + inputs(1)))
    assert shown.message.endswith("without returning a result (exit status 3)")
    assert hidden.message == "the process ended during case 2 without returning a result"
