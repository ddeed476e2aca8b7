"""Attacks on the sandbox itself: reaching the grader's pipes, stopping the supervisor or
zygote, hanging the class with a return value, undoing a ban, leaving state for the next
student, escaping the CPU limit through a child, covert channels.

Each attack is a real submission run in a real sandbox. Those that need the next student to
land in the same sandbox use their own one-worker runner.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator

import pytest
from sandbox_helpers import FAST, HONEST, HONEST_WRONG, inputs, job, score

from grader.sandbox import CaseInput, Limits, SandboxRunner, SandboxUnavailable

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def one_worker() -> Iterator[SandboxRunner]:
    """A sandbox runner with ONE worker: the next student surely lands where the attacker was."""
    try:
        runner = SandboxRunner(workers=1)
    except SandboxUnavailable as exc:
        pytest.skip(f"the sandbox cannot start here: {exc}")
    yield runner
    runner.close()


def honest_batch_still_grades(runner: SandboxRunner, seconds: float = 20.0) -> None:
    """The next student's batch (visible and hidden cases) grades fully and promptly."""
    cases = [*inputs(2), *inputs(1, visible=True)]
    started = time.monotonic()
    outcomes = runner.run(job(HONEST, cases))
    assert score(outcomes, cases) == len(cases), [o.message for o in outcomes]
    assert time.monotonic() - started < seconds


# ----------------------------------------------------------------- 1. the grader's pipes

OPENS_EVERY_PIPE = b'''
import os, struct, json

def solve(x):
    opened = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        for fd in range(0, 16):
            path = f"/proc/{pid}/fd/{fd}"
            for mode in (os.O_WRONLY, os.O_RDONLY):
                try:
                    f = os.open(path, mode | os.O_NONBLOCK)
                except OSError:
                    continue
                target = os.readlink(f"/proc/self/fd/{f}")
                if mode == os.O_WRONLY:  # a forged frame, in case this is the grader's pipe
                    head = json.dumps({"op": "case", "j": 0, "i": 0, "status": "ok", "bufs": []}).encode()
                    try:
                        os.write(f, struct.pack("<II", 4 + len(head), len(head)) + head)
                    except OSError:
                        pass
                os.close(f)
                if target != "/dev/null":
                    opened.append((path, target))
    return opened
'''


def test_no_process_of_the_sandbox_can_open_another_ones_descriptors(
    one_worker: SandboxRunner,
) -> None:
    (outcome,) = one_worker.run(job(OPENS_EVERY_PIPE, inputs(1, visible=True)))
    assert outcome.status == "ok", outcome.message
    assert outcome.value == []
    honest_batch_still_grades(one_worker)


READS_PID1 = b'''
import os

def solve(x):
    seen = {}
    for pid in (1, os.getppid()):  # the supervisor and the zygote
        for name in ("environ", "cmdline", "cwd", "fd/0", "fd/1", "fd/3", "fd/4", "mem"):
            try:
                if name in ("cwd",) or name.startswith("fd/"):
                    seen[f"{pid}/{name}"] = os.readlink(f"/proc/{pid}/{name}")
                else:
                    data = open(f"/proc/{pid}/{name}", "rb").read(4096)
                    seen[f"{pid}/{name}"] = data.decode(errors="replace")
            except OSError as exc:
                seen[f"{pid}/{name}"] = type(exc).__name__
    seen["zygote"] = os.getppid()
    return seen
'''


def test_the_supervisor_and_zygote_show_no_pipes_environment_or_working_folder(
    sandbox: SandboxRunner,
) -> None:
    (outcome,) = sandbox.run(job(READS_PID1, inputs(1, visible=True)))
    seen = outcome.value
    for pid in (1, seen["zygote"]):
        for name in ("environ", "cwd", "fd/0", "fd/1", "fd/3", "fd/4", "mem"):
            # (a descriptor number that is not open is simply not found)
            denied = ("PermissionError", "FileNotFoundError") if "fd/" in name else ("PermissionError",)
            assert seen[f"{pid}/{name}"] in denied, (pid, name, seen[f"{pid}/{name}"])
        assert "/work" not in seen[f"{pid}/cmdline"] and "grader" not in seen[f"{pid}/cmdline"]


# ------------------------------------------------- 1, 2 and 14. stopping the supervisor/zygote

STOPS_EVERYONE = b'''
import ctypes, os, signal

libc = ctypes.CDLL(None, use_errno=True)

def tgkill(tgid, tid, sig):
    if libc.syscall(234 if os.uname().machine == "x86_64" else 131, tgid, tid, sig) != 0:
        raise OSError(ctypes.get_errno(), "tgkill")

def solve(x):
    errors = {}
    zygote = os.getppid()
    for name, call in {
        "stop supervisor": lambda: os.kill(1, signal.SIGSTOP),
        "kill supervisor": lambda: os.kill(1, signal.SIGKILL),
        "interrupt supervisor": lambda: os.kill(1, signal.SIGINT),
        "stop zygote": lambda: os.kill(zygote, signal.SIGSTOP),
        "stop zygote group": lambda: os.killpg(os.getpgid(zygote), signal.SIGSTOP),
        "stop everyone": lambda: os.kill(-1, signal.SIGSTOP),
        "thread-stop zygote": lambda: tgkill(zygote, zygote, signal.SIGSTOP),
    }.items():
        try:
            call()
            errors[name] = "sent"
        except OSError as exc:
            errors[name] = type(exc).__name__
    if os.fork() == 0:  # a child that leaves the runner's group tries the same
        os.setsid()
        for target in (1, zygote, -1):
            try:
                os.kill(target, signal.SIGSTOP)
            except OSError:
                pass
        os._exit(0)
    os.wait()
    return errors
'''


def test_a_student_cannot_stop_the_supervisor_or_zygote(one_worker: SandboxRunner) -> None:
    (outcome,) = one_worker.run(job(STOPS_EVERYONE, inputs(1, visible=True)))
    assert outcome.status == "ok", outcome.message
    for name in ("stop zygote", "stop zygote group", "stop everyone", "thread-stop zygote"):
        assert outcome.value[name] == "PermissionError", outcome.value
    honest_batch_still_grades(one_worker, seconds=10.0)
    honest_batch_still_grades(one_worker, seconds=10.0)


CHANGES_OTHERS_AND_THE_KERNEL = b'''
import ctypes, os, resource

libc = ctypes.CDLL(None, use_errno=True)
X86 = os.uname().machine == "x86_64"
NR = {  # x86_64, aarch64
    "unshare": (272, 97), "mount": (165, 40), "bpf": (321, 280), "perf_event_open": (298, 241),
    "userfaultfd": (323, 282), "io_uring_setup": (425, 425), "setns": (308, 268),
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "pidfd_open": (434, 434),
}

def syscall(name, *args):
    r = libc.syscall(NR[name][0 if X86 else 1], *args)
    return "ok" if r >= 0 else os.strerror(ctypes.get_errno())

def solve(x):
    zygote = os.getppid()
    out = {}
    try:
        resource.prlimit(zygote, resource.RLIMIT_NPROC, (1, 1))
        out["prlimit zygote"] = "ok"
    except OSError as exc:
        out["prlimit zygote"] = exc.strerror
    try:
        os.setpriority(os.PRIO_PROCESS, zygote, 19)
        out["renice zygote"] = "ok"
    except OSError as exc:
        out["renice zygote"] = exc.strerror
    out["unshare"] = syscall("unshare", 0x20000000)  # CLONE_NEWUTS
    out["mount"] = syscall("mount", b"none", b"/tmp", b"tmpfs", 0, None)
    out["bpf"] = syscall("bpf", 0, None, 0)
    out["perf_event_open"] = syscall("perf_event_open", None, 0, -1, -1, 0)
    out["userfaultfd"] = syscall("userfaultfd", 0)
    out["io_uring_setup"] = syscall("io_uring_setup", 8, None)
    out["setns"] = syscall("setns", 0, 0)
    out["ptrace"] = syscall("ptrace", 16, zygote, None, None)  # PTRACE_ATTACH
    out["pidfd_open"] = syscall("pidfd_open", zygote, 0)
    resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE))
    out["own limits"] = "ok"
    return out
'''


def test_the_kernel_refuses_what_no_answer_needs(sandbox: SandboxRunner) -> None:
    (outcome,) = sandbox.run(job(CHANGES_OTHERS_AND_THE_KERNEL, inputs(1, visible=True)))
    assert outcome.status == "ok", outcome.message
    refused = {k: v for k, v in outcome.value.items() if k != "own limits"}
    assert all(v == "Operation not permitted" for v in refused.values()), refused
    assert outcome.value["own limits"] == "ok", "a process may still set its own limits"


# --------------------------------------------------------------- 3. one return value hangs

RETURNS_BOOL_SCALAR = b"import torch\ndef solve(x):\n    return torch.tensor(True)\n"


def test_a_zero_dim_bool_tensor_is_a_value_and_the_class_goes_on(
    one_worker: SandboxRunner,
) -> None:
    cases = inputs(2)
    outcomes = one_worker.run(job(RETURNS_BOOL_SCALAR, cases))
    assert [o.status for o in outcomes] == ["ok", "ok"]
    assert outcomes[0].value.dtype.is_floating_point is False
    assert score(outcomes, cases) == 0
    honest_batch_still_grades(one_worker)


# --------------------------------------------------------------------- 4. the autograd ban

AUTOGRAD_ATTACKS = {
    "forward mode": b'''
import torch
import torch.autograd.forward_ad as fwAD

def solve(x):
    out = []
    for k in range(x.numel()):
        t = torch.zeros_like(x); t[k] = 1
        with fwAD.dual_level():
            y = (fwAD.make_dual(x, t) ** 2).sum()
            out.append(fwAD.unpack_dual(y).tangent)
    return torch.stack(out) + 1
''',
    "engine class": b'''
import torch
from torch.autograd.variable import ImperativeEngine

def solve(x):
    x = x.clone().requires_grad_(True)
    y = (x ** 2).sum()
    (g,) = ImperativeEngine().run_backward((y,), (torch.ones(()),), False, False, (x,), True, False)
    return g + 1
''',
    "C engine base": b'''
import torch

def solve(x):
    x = x.clone().requires_grad_(True)
    y = (x ** 2).sum()
    engine = next(t for t in object.__subclasses__() if t.__name__ == "_EngineBase")
    (g,) = engine().run_backward((y,), (torch.ones(()),), False, False, (x,), True, False)
    return g + 1
''',
    "grad_fn by hand": b'''
import torch

def solve(x):
    x = x.clone().requires_grad_(True)
    y = x * x
    a, b = y.grad_fn(torch.ones_like(y))
    return a + b + 1
''',
    "in a thread": b'''
import threading, torch

def solve(x):
    box = []
    def work():
        z = x.clone().requires_grad_(True)
        (z ** 2).sum().backward()
        box.append(z.grad)
    t = threading.Thread(target=work); t.start(); t.join()
    return box[0] + 1
''',
    "undo the dispatcher": b'''
import torch, gc

def solve(x):
    C = torch._C
    for f in gc.get_objects():
        if getattr(f, "__name__", "") == "_dispatch_tls_set_dispatch_key_excluded":
            f(C.DispatchKey.AutogradFunctionality, False)
    excluded = C._dispatch_tls_local_exclude_set()
    with C._ForceDispatchKeyGuard(C._dispatch_tls_local_include_set(), excluded - excluded):
        z = x.clone().requires_grad_(True)
        (z ** 2).sum().backward()
    return z.grad + 1
''',
    "torch.func internals": b'''
import torch
from torch._functorch import eager_transforms as et

def solve(x):
    return et.grad_impl(lambda t: (t ** 2).sum(), 0, False, (x,), {}) + 1
''',
    "a fresh python": b'''
import subprocess, sys, json, torch

CODE = "import torch,json,sys; x=torch.tensor(json.loads(sys.argv[1]),requires_grad=True); (x**2).sum().backward(); print(json.dumps(x.grad.tolist()))"

def solve(x):
    out = subprocess.run([sys.executable, "-c", CODE, json.dumps(x.tolist())], capture_output=True, text=True)
    return torch.tensor(json.loads(out.stdout)) + 1
''',
    "os.system": b'''
import os, torch

def solve(x):
    os.system("python3 -c 'print(1)' > /tmp/out")
    return torch.tensor([float(open("/tmp/out").read())]) + 2 * x
''',
}


@pytest.mark.parametrize("name", sorted(AUTOGRAD_ATTACKS))
def test_the_autograd_ban_cannot_be_undone(sandbox: SandboxRunner, name: str) -> None:
    cases = inputs(2)  # d/dx sum(x^2) + 1 = 2x + 1: the toy question's answer
    roomy = Limits(cpu_seconds=10.0, wall_seconds=20.0, job_wall_seconds=60.0, memory_mb=4096)
    outcomes = sandbox.run(
        job(AUTOGRAD_ATTACKS[name], cases, forbid=frozenset({"autograd"}), limits=roomy)
    )
    assert score(outcomes, cases) == 0, [(o.status, o.message) for o in outcomes]
    honest = sandbox.run(job(HONEST, cases, forbid=frozenset({"autograd"})))
    assert score(honest, cases) == 2, "honest code still passes a question that forbids autograd"


@pytest.mark.parametrize("name", sorted(set(AUTOGRAD_ATTACKS) - {"os.system", "a fresh python"}))
def test_the_attacks_get_a_gradient_when_autograd_is_allowed(
    sandbox: SandboxRunner, name: str
) -> None:
    """The attacks above are real: without the ban they score."""
    cases = inputs(2)
    outcomes = sandbox.run(job(AUTOGRAD_ATTACKS[name], cases))
    assert score(outcomes, cases) == 2, (name, [o.message for o in outcomes])


# ---------------------------------------------------------------- 6. children's CPU counted

CHILD_BURNS_CPU = b'''
import os, resource, signal, time

def solve(x):
    if os.fork() == 0:
        os.setsid()
        signal.signal(signal.SIGXCPU, signal.SIG_IGN)
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
        end = time.monotonic() + 4
        while time.monotonic() < end:
            pass
        os._exit(0)
    os.wait()
    return x * 2 + 1
'''


def test_cpu_used_by_a_child_counts_against_the_case(sandbox: SandboxRunner) -> None:
    limits = Limits(cpu_seconds=1.0, wall_seconds=8.0, job_wall_seconds=20.0, memory_mb=512)
    outcomes = sandbox.run(job(CHILD_BURNS_CPU, inputs(1), limits=limits))
    assert outcomes[0].status == "cpu_limit", outcomes[0].message


# ------------------------------------------------------- 8, 14. state and covert channels

LEAVES_KERNEL_STATE = b'''
import ctypes, fcntl, os

libc = ctypes.CDLL(None, use_errno=True)

def attempt(call):
    r = call()
    return "ok" if r not in (-1, None) else os.strerror(ctypes.get_errno())

def solve(x):
    found = {}
    found["shmget"] = attempt(lambda: libc.shmget(0x5EC7E7, 1 << 20, 0o1666))
    found["msgget"] = attempt(lambda: libc.msgget(0x5EC7E7, 0o1666))
    found["semget"] = attempt(lambda: libc.semget(0x5EC7E7, 1, 0o1666))
    found["add_key"] = attempt(lambda: libc.syscall(248 if os.uname().machine == "x86_64" else 217,
                                                  b"user", b"secret", b"answers", 7, -2))
    found["mq_open"] = attempt(lambda: libc.mq_open(b"/secret", os.O_CREAT | os.O_RDWR, 0o600, None))
    with open("/usr/bin/env", "rb") as fh:
        for name, call in (("flock", lambda: fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)),
                           ("lockf", lambda: fcntl.lockf(fh, fcntl.LOCK_SH | fcntl.LOCK_NB))):
            try:
                call()
                found[name] = "ok"
            except OSError as exc:
                found[name] = exc.strerror
    try:
        import select
        found["inotify"] = attempt(lambda: libc.inotify_init())
    except Exception:
        pass
    return found
'''


def test_no_state_outlives_a_student_in_the_kernel_and_no_lock_crosses_sandboxes(
    sandbox: SandboxRunner,
) -> None:
    (outcome,) = sandbox.run(job(LEAVES_KERNEL_STATE, inputs(1, visible=True)))
    assert outcome.status == "ok", outcome.message
    assert "ok" not in outcome.value.values(), outcome.value


# ------------------------------------------------------------------- 13. grader memory

RETURNS_BIG = b"import torch\ndef solve(x):\n    return torch.zeros(60 * 1024 * 1024 // 8, dtype=torch.float64)\n"


def test_one_student_cannot_fill_the_graders_memory(sandbox: SandboxRunner) -> None:
    from grader.sandbox._protocol import MAX_BATCH_RESULT_BYTES

    limits = Limits(cpu_seconds=2.0, wall_seconds=10.0, job_wall_seconds=120.0, memory_mb=512)
    cases = [CaseInput(args=(k,), name=f"c{k}") for k in range(12)]
    outcomes = sandbox.run(job(RETURNS_BIG, cases, limits=limits))
    kept = sum(o.value.numel() * 8 for o in outcomes if o.status == "ok")
    assert kept <= MAX_BATCH_RESULT_BYTES
    assert outcomes[-1].status == "output_limit"
    assert "across all cases" in outcomes[-1].message


def test_attacks_score_no_more_than_an_honest_wrong_answer(sandbox: SandboxRunner) -> None:
    cases = inputs(2)
    wrong = score(sandbox.run(job(HONEST_WRONG, cases)), cases)
    for source in (OPENS_EVERY_PIPE, STOPS_EVERYONE, RETURNS_BOOL_SCALAR, LEAVES_KERNEL_STATE):
        assert score(sandbox.run(job(source, cases, limits=FAST)), cases) <= wrong


# ------------------------------------------------------- 2. a stalled zygote, from outside


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as fh:
            out += [int(c) for c in fh.read().split()]
    return out


def _zygote_host_pid(runner: SandboxRunner) -> int:
    """The zygote as the host sees it: the only child of the supervisor, which is PID 1 of
    the sandbox (bwrap -> supervisor -> zygote -> runners)."""
    worker = runner._idle.queue[0]  # noqa: SLF001 -- the test reaches into its one worker
    assert worker is not None
    todo, seen = [worker.proc.pid], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo += _children(pid)
    for pid in seen:
        with open(f"/proc/{pid}/status") as fh:
            status = fh.read()
        nspid = next(line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:"))
        if len(nspid) == 2 and nspid[1] == "1":  # the supervisor
            (zygote,) = _children(pid)
            return zygote
    raise AssertionError(f"no supervisor among {seen}")


def test_a_stalled_zygote_costs_one_retry_and_nothing_of_the_next_student(
    one_worker: SandboxRunner,
) -> None:
    """Whatever stops the zygote (the kernel now refuses it to students), the supervisor's
    wait has a deadline, the sandbox is replaced, and the batch is run again there."""
    honest_batch_still_grades(one_worker)
    zygote = _zygote_host_pid(one_worker)
    os.kill(zygote, signal.SIGSTOP)
    try:
        started = time.monotonic()
        honest_batch_still_grades(one_worker, seconds=60.0)
        assert time.monotonic() - started < 60.0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(zygote, signal.SIGCONT)
    honest_batch_still_grades(one_worker, seconds=10.0)
