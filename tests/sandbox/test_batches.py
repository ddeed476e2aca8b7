"""Batches: every code answer of one student in one fresh process tree.

A batch runs the visible cases of every job first (the jobs of a student share one fresh
runner, like cells of one notebook kernel, each job importing from its own folder) and sends
the hidden cases into the sandbox only after every visible case has been reported. These
tests pin what that must never change: the same outcomes as one job at a time, no hidden
input in anything shown to the student, one job's modules, bans and failures never another's,
and runners that die while waiting replaced.
"""

from __future__ import annotations

import pytest
import torch
from sandbox_helpers import FAST, HONEST, HONEST_WRONG, inputs, job, score

from grader.sandbox import CaseInput, CaseOutcome, CodeJob, InProcessRunner, Limits, SandboxRunner

pytestmark = pytest.mark.sandbox

MARKER = 7123581.0  # a hidden input value no honest output contains
STOLEN = "/tmp/stolen-hidden-inputs.txt"
"""Where the thief below writes what it steals. The reader looks for this name only, and
only in the sandbox's own writable folders: a recursive search of /tmp would also walk a
Python or virtualenv bound there (a CI checkout under /tmp) and find its files."""

CRASHES = b"import os\ndef solve(x):\n    os._exit(3)\n"
LEAKS_HIDDEN = b"""
import threading, time

def _report_later():
    for _ in range(20):  # keeps printing the stolen inputs while its runner waits
        time.sleep(0.05)
        try:
            print(open(STOLEN).read())
        except OSError:
            pass

def solve(x):
    if x.numel() == 1:  # the visible case: start the late reporter
        threading.Thread(target=_report_later, daemon=True).start()
    with open(STOLEN, "a") as fh:
        fh.write(repr(x.tolist()))
    print(repr(x.tolist()))
    return x * 2 + 1
""".replace(b"STOLEN", repr(STOLEN).encode())
READS_LEAK = b"""
import glob, os, time

def solve(x):
    time.sleep(0.3)
    name = os.path.basename(STOLEN)
    found = [open(p).read() for d in ("/tmp", "/dev/shm") for p in glob.glob(f"{d}/{name}")]
    print("found:", found)
    return x * 2 + 1
""".replace(b"STOLEN", repr(STOLEN).encode())
DIES_WHILE_WAITING = b"""
import os, threading, time

if not os.path.exists("/tmp/died-once"):  # only the first runner of this job
    open("/tmp/died-once", "w").close()
    threading.Thread(target=lambda: (time.sleep(0.2), os._exit(0)), daemon=True).start()

def solve(x):
    return x * 2 + 1
"""
SLOW_VISIBLE = b"import time\ndef solve(x):\n    time.sleep(0.5)\n    return x * 2 + 1\n"
USES_HELPER = b"""
import os
import helper

def solve(x):
    print("pid", os.getpid())
    import helper as again  # looked up when the case runs, after the other job's import
    assert again is helper
    return helper.f(x)
"""
USES_EXP = b"""
import os, torch

def solve(x):
    print("pid", os.getpid())
    return torch.exp(x) * 0 + x * 2 + 1
"""
HOGS_THE_INTERPRETER_LATER = b"""
import threading, time

def _hog():
    time.sleep(0.2)
    sum(range(10**12))  # one long C call: no other Python code of this process runs again

def solve(x):
    if x.numel() > 1:  # a hidden case: answer right, and stall whatever runs next
        threading.Thread(target=_hog, daemon=True).start()
    return x * 2 + 1
"""
CHANGES_SETTINGS = b"""
import numpy as np, torch

torch.set_default_dtype(torch.float64)  # at import: a setting of the whole process
torch.set_grad_enabled(False)
np.seterr(all="raise")

def solve(x):
    return x * 2 + 1
"""
RELIES_ON_SETTINGS = b"""
import numpy as np, torch

def solve(x):
    made = torch.tensor([1.0, 2.0])  # the default dtype
    grad = torch.is_grad_enabled()
    quiet = np.float64(1.0) / np.float64(0.0)  # inf, not an exception, by default
    flags = [torch.tensor(float(grad)), torch.tensor(float(np.isinf(quiet)))]
    return torch.stack([made.sum().to(x.dtype), *flags]).to(made.dtype)
"""
NO_EXP = b"import os\ndef solve(x):\n    print('pid', os.getpid())\n    return x * 2 + 1\n"


def _cases(hidden_values: list[float]) -> list[CaseInput]:
    visible = [CaseInput(args=(torch.tensor([1.0]),), visible=True, name="shown")]
    return visible + [CaseInput(args=(torch.tensor([v, v]),), visible=False) for v in hidden_values]


def test_a_batch_gives_the_same_outcomes_as_one_job_at_a_time(sandbox: SandboxRunner) -> None:
    cases = inputs(3) + inputs(2, visible=True)
    jobs = [
        job(HONEST, cases),
        job(HONEST_WRONG, cases),
        job(CRASHES, cases),
        job(HONEST, inputs(2)),
    ]
    batched = sandbox.run_batch(jobs)
    alone = [sandbox.run(j) for j in jobs]
    assert [[o.status for o in r] for r in batched] == [[o.status for o in r] for r in alone]
    assert [score(r, j.cases) for r, j in zip(batched, jobs, strict=True)] == [5, 0, 0, 2]
    assert [o.message for o in batched[2]] == [o.message for o in alone[2]]
    assert [o.stdout for o in batched[0]] == [o.stdout for o in alone[0]]


def test_an_empty_batch_and_jobs_without_cases_need_no_sandbox(sandbox: SandboxRunner) -> None:
    assert sandbox.run_batch([]) == []
    assert sandbox.run_batch([job(HONEST, [])]) == [[]]


def test_no_hidden_input_reaches_printed_output_or_messages(sandbox: SandboxRunner) -> None:
    """Question 1's code steals its hidden inputs (file, late printing thread); question 2's
    visible case looks for them. Nothing shown to the student may contain them."""
    steal = job(LEAKS_HIDDEN, _cases([MARKER, MARKER + 1]))
    look = job(READS_LEAK, _cases([3.0]))
    for runner_result in (sandbox.run_batch([steal, look]), sandbox.run_batch([look, steal])):
        shown = [o for r in runner_result for o in r if o.stdout is not None or o.message]
        assert shown, "the visible cases print something"
        for outcome in shown:
            assert str(MARKER)[:7] not in (outcome.stdout or "") + outcome.message
        hidden = [o for r in runner_result for o in r[1:]]
        assert all(o.stdout is None for o in hidden)
        assert all(o.status == "ok" for r in runner_result for o in r)
    # the looking question ran its visible case before any hidden input existed, and found
    # what the thief's visible case had written by then (so it looks where the thief writes)
    assert "found: ['[1.0]']" in (sandbox.run_batch([steal, look])[1][0].stdout or "")


def test_a_runner_that_dies_while_waiting_is_replaced_for_its_hidden_cases(
    sandbox: SandboxRunner,
) -> None:
    dies = job(DIES_WHILE_WAITING, _cases([1.0, 2.0, 3.0]))
    slow = job(SLOW_VISIBLE, _cases([4.0]))  # keeps the first runner waiting past its death
    first, second = sandbox.run_batch([dies, slow])
    assert [o.status for o in first] == ["ok"] * 4, [o.message for o in first]
    assert score(first, dies.cases) == 4
    assert score(second, slow.cases) == 2


def test_a_crash_in_one_job_does_not_touch_the_others(sandbox: SandboxRunner) -> None:
    crash, honest = job(CRASHES, _cases([1.0])), job(HONEST, _cases([2.0, 3.0]))
    a, b = sandbox.run_batch([crash, honest])
    assert {o.status for o in a} == {"crashed"}
    assert "exit status 3" in a[0].message
    assert score(b, honest.cases) == 3


def _pids(outcomes: list[CaseOutcome]) -> set[str]:
    return {
        line for o in outcomes for line in (o.stdout or "").splitlines() if line.startswith("pid")
    }


def test_jobs_share_a_process_but_each_imports_its_own_modules(sandbox: SandboxRunner) -> None:
    """Two answers with the same file names (solution.py importing helper.py), different
    helpers: each job gets its own modules, in its visible and in its hidden cases."""
    right = CodeJob(
        files={"solution.py": USES_HELPER, "helper.py": b"def f(x):\n    return x * 2 + 1\n"},
        entry="solution.py",
        function="solve",
        cases=_cases([1.0, 2.0]),
        limits=FAST,
    )
    wrong = CodeJob(
        files={"solution.py": USES_HELPER, "helper.py": b"def f(x):\n    return x * 2\n"},
        entry="solution.py",
        function="solve",
        cases=_cases([3.0]),
        limits=FAST,
    )
    a, b = sandbox.run_batch([right, wrong])
    assert [o.status for o in a + b] == ["ok"] * 5, [o.message for o in a + b]
    assert score(a, right.cases) == 3
    assert score(b, wrong.cases) == 0
    assert [o.value.tolist() for o in b] == [[2.0], [6.0, 6.0]]
    assert len(_pids(a) | _pids(b)) == 1  # one runner for the student's batch


def test_jobs_with_different_bans_never_share_a_process(sandbox: SandboxRunner) -> None:
    banned = job(USES_EXP, _cases([1.0]), forbid=frozenset({"torch.exp"}))
    free = job(USES_EXP, _cases([2.0]))
    a, b = sandbox.run_batch([banned, free])
    assert {o.status for o in a} == {"forbidden"}
    assert score(b, free.cases) == 2
    assert _pids(b) and not _pids(a) & _pids(b)


def test_a_forbidden_call_is_charged_to_its_own_job_only(sandbox: SandboxRunner) -> None:
    ban = frozenset({"torch.exp"})
    calls, clean = (
        job(USES_EXP, _cases([1.0]), forbid=ban),
        job(NO_EXP, _cases([2.0, 3.0]), forbid=ban),
    )
    for batch in ([calls, clean], [clean, calls]):
        outcomes = dict(
            zip(
                ("calls", "clean"),
                sandbox.run_batch(batch)
                if batch[0] is calls
                else reversed(sandbox.run_batch(batch)),
                strict=True,
            )
        )
        assert {o.status for o in outcomes["calls"]} == {"forbidden"}
        assert score(outcomes["clean"], clean.cases) == 3


@pytest.mark.slow
def test_a_limit_hit_because_of_another_job_is_not_charged(sandbox: SandboxRunner) -> None:
    """One job leaves a thread that stalls the whole process while the next job's hidden
    case runs in it: that case times out there, runs again alone and passes."""
    quick = Limits(cpu_seconds=0.5, wall_seconds=1.5, job_wall_seconds=8.0, memory_mb=512)
    hog = job(HOGS_THE_INTERPRETER_LATER, _cases([1.0]), limits=quick)
    slow = job(SLOW_VISIBLE, _cases([2.0]), limits=quick)  # sleeps 0.5 s per case
    a, b = sandbox.run_batch([hog, slow])
    assert score(a, hog.cases) == 2
    assert [o.status for o in b] == ["ok"] * 2, [o.message for o in b]
    assert score(b, slow.cases) == 2


def test_a_jobs_process_wide_settings_do_not_reach_the_next_job(sandbox: SandboxRunner) -> None:
    changes = job(CHANGES_SETTINGS, _cases([1.0]))
    relies = job(RELIES_ON_SETTINGS, _cases([2.0]))
    alone = sandbox.run(relies)
    for batch in ([changes, relies], [relies, changes]):
        outcomes = sandbox.run_batch(batch)[batch.index(relies)]
        assert [o.status for o in outcomes] == ["ok"] * 2, [o.message for o in outcomes]
        for got, want in zip(outcomes, alone, strict=True):
            assert got.value.dtype == want.value.dtype == torch.float32
            assert got.value.tolist() == want.value.tolist() == [3.0, 1.0, 1.0]


def test_cuda_jobs_in_a_batch_without_cuda_are_not_runnable(unsandboxed: InProcessRunner) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    gpu, cpu = job(HONEST, inputs(2), device="cuda"), job(HONEST, inputs(2))
    a, b = unsandboxed.run_batch([gpu, cpu])
    assert {o.status for o in a} == {"not_runnable"}
    assert score(b, cpu.cases) == 2


def test_the_next_batch_starts_clean(sandbox: SandboxRunner) -> None:
    sandbox.run_batch([job(LEAKS_HIDDEN, _cases([MARKER])), job(HONEST, inputs(1))])
    for _ in range(2):  # whichever warm sandbox the next student lands in
        (outcomes,) = sandbox.run_batch([job(READS_LEAK, _cases([]))])
        assert outcomes[0].stdout is not None and "found: []" in outcomes[0].stdout
