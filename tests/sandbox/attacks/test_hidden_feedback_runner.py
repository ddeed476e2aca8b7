"""Hidden inputs must not come back through what a hidden case reports about a failure: the
line it failed at, the name of what it raised, the time it took. Each attack encodes a
hidden input in one of them; the report must be the same whatever the input."""

from __future__ import annotations

import pytest
import torch
from sandbox_helpers import job

from grader.sandbox import CaseInput, SandboxRunner

pytestmark = pytest.mark.sandbox

ATTACKS = {
    "a forged traceback line": b'''
def solve(x):
    code = compile("\\n" * int(x[0]) + "raise ValueError()", "solution.py", "exec")
    exec(code)
''',
    "a chosen line of a long file": b"def solve(x):\n" + b"".join(
        f"    if int(x[0]) == {k}: raise ValueError()\n".encode() for k in range(64)
    ),
    "a class named after the input": b'''
def solve(x):
    raise type("Leak%d" % int(x[0]), (Exception,), {"__module__": "torch.nn"})()
''',
    "a builtin's name in torch's clothes": b'''
def solve(x):
    names = ["OverflowError", "KeyError", "IndexError", "ValueError"]
    raise type(names[int(x[0]) % 3] + "Bits", (Exception,), {"__module__": "numpy"})()
''',
    "a chosen exit status": b'''
import os
def solve(x):
    os._exit(int(x[0]))
''',
    "a chosen signal": b'''
import os
def solve(x):
    os.kill(os.getpid(), int(x[0]))
''',
    "a chosen running time": b'''
import time
def solve(x):
    time.perf_counter = lambda: float(x[0]) * 1000.0
    return x * 2
''',
}


def two_secrets() -> list[CaseInput]:
    return [CaseInput(args=(torch.tensor([float(k), 0.0]),), name=f"s{k}") for k in (5, 9)]


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_a_hidden_case_reports_the_same_whatever_its_input(
    sandbox: SandboxRunner, name: str
) -> None:
    first, second = sandbox.run(job(ATTACKS[name], two_secrets()))
    assert first.status == second.status
    assert first.message.replace("case 1", "case N") == second.message.replace("case 2", "case N")
    assert (first.error_type, first.error_line, first.seconds) == (
        second.error_type,
        second.error_line,
        second.seconds,
    )
    assert "5" not in first.message and "9" not in second.message


def test_a_visible_case_still_names_a_real_line(sandbox: SandboxRunner) -> None:
    case = CaseInput(args=(torch.tensor([3.0, 0.0]),), visible=True)
    (outcome,) = sandbox.run(job(ATTACKS["a chosen line of a long file"], [case]))
    assert outcome.error_line == 5
    far = CaseInput(args=(torch.tensor([40.0, 0.0]),), visible=True)
    (forged,) = sandbox.run(job(ATTACKS["a forged traceback line"], [far]))
    assert forged.error_line is None, "line 41 of a 4-line file is not a real line"
