"""The warm worker that runs INSIDE the sandbox: a supervisor and a zygote.

Standalone on purpose: it imports the standard library, numpy, torch and the siblings
``_wire.py`` and ``_flops.py`` only, and is mounted read-only at ``/sandbox/_worker.py``. No process here
ever receives expected outputs.

Life cycle:

1. start once: import numpy and torch, pin every thread pool to one thread before the
   first torch op (a forked child of a process that used the intra-op pool can hang in
   libgomp), warm up, freeze the garbage collector's view of every object and back the
   heap with 2 MB pages (cheap forks), make itself non-dumpable (no ptrace, no
   /proc/<pid>/mem from the students' processes), then fork the **zygote**
   (``ForkServer``) and go on as the **supervisor** (``Supervisor``) and say ``ready``;
2. the zygote never reads a batch, a file name or a result: it forks **runners** from its
   clean image (ahead of need, while idle), hands the parent ends of their pipes to the
   supervisor over a Unix socket (SCM_RIGHTS) and reports how runners ended (wait status,
   CPU); orphans of the students' processes are reparented to it (child subreaper);
3. per batch (every code job of ONE student): the supervisor writes the files into fresh
   ``/tmp/job-N-J`` folders and takes ONE fresh runner for the student (jobs with different
   bans get one each), which applies the rlimits, closes every inherited descriptor, and
   then, job after job like cells of one notebook kernel, imports the job's module from its
   own folder (each job keeps its own modules, path and working folder) and runs its
   VISIBLE cases, sending each result on a dedicated pipe (stdout/stderr go to a separate
   bounded capture, so printing cannot forge frames); then it waits. Only after every
   visible case of every job has been reported does the supervisor ask the grader for the
   hidden cases and hand them to the waiting runner; a process whose printed output or
   messages are shown never had a hidden input in its memory;
4. the supervisor watches the runner: per-case wall clock, per-case CPU time and RSS read
   from /proc, bounded stdout and result sizes; when a runner dies or is stopped mid-case,
   a fresh runner continues with the next case. A case that fails so in a runner that also
   held another job's code runs again in a fresh runner alone, and only a failure there is
   reported: one job never costs another its marks;
5. after the batch, ``done``, then: SIGKILL every other process of the sandbox's PID
   namespace, the zygote reaps them, /tmp, /dev/shm and new /dev entries are wiped, and
   ``clean``; the grader gives this sandbox the next student only after ``clean`` (within
   a deadline; otherwise the sandbox is replaced), so the next batch starts from the same
   clean state. Every wait of the supervisor on the zygote has a deadline too.

The supervisor is PID 1 of the sandbox (bwrap ``--as-pid-1``) and handles no signal, so no
process of the sandbox can stop or kill it; it and the zygote are not dumpable (no ptrace,
no /proc/<pid>/fd, mem or environ), and the grader's frame pipes are descriptors that only
the supervisor holds. Each runner installs a seccomp filter (``_seccomp``) before any
student code: no exec, no signal to the supervisor or zygote, no SysV IPC, keyrings, POSIX
message queues or file locks.

Usage: ``python -I -B _worker.py --sandboxed|--plain TMPDIR``.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import gc
import importlib
import io
import json
import math
import os
import platform
import resource
import select
import shutil
import signal
import socket
import sys
import time
import traceback
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
if "--sandboxed" in sys.argv:  # started with -S: numpy, torch and their needs only
    sys.path.insert(1, "/sandbox/site")
import _flops  # noqa: E402
import _seccomp  # noqa: E402
import _wire  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional  # noqa: E402, F401

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
POLL = 0.01
ZYGOTE_SECONDS = 10.0  # the longest the supervisor waits for any answer of the zygote
SKIP_AFTER_LIMITS = 3  # same value as grader.sandbox._pool.SKIP_AFTER_LIMITS
_libc = ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int) -> None:
    _libc.prctl(option, value, 0, 0, 0)


# =========================================================================== the child


class _ForbiddenCall(BaseException):
    """Raised by a forbidden API; a BaseException so ``except Exception`` does not hide it."""


def _install_forbid(names: list[str], hits: list[str], device: str) -> None:
    def stub(label: str) -> Any:
        def forbidden(*args: Any, **kwargs: Any) -> Any:
            hits.append(label)
            raise _ForbiddenCall(f"{label} is forbidden in this question")

        return forbidden

    for name in names:
        if name == "autograd":
            _forbid_autograd(stub, hits)
            if device == "cpu" and _seccomp.supported():  # (CUDA's driver needs threads)
                _seccomp.install_no_threads()
            continue
        module_name, _, attr = name.rpartition(".")
        owner: Any = None
        parts = module_name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                owner = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for part in parts[cut:]:
                owner = getattr(owner, part)
            break
        if owner is not None and hasattr(owner, attr):
            setattr(owner, attr, stub(name))


def _forbid_autograd(stub: Any, hits: list[str]) -> None:
    """Make autograd unusable in this runner, in layers (see SECURITY.md for what holds):

    1. every Python entry point (backward, grad, the functional and ``torch.func``
       transforms, forward mode, the engine classes) raises ``_ForbiddenCall``;
    2. below Python, the dispatcher skips autograd in this thread (the ``Autograd`` keys are
       excluded from its thread-local dispatch set): no operation records a graph or a
       forward-mode tangent, whichever API asked for it;
    3. the functions that would undo (2) are replaced wherever a module holds them;
    4. the kernel refuses new threads (whose dispatch state would be fresh) and new
       programs (seccomp, installed by the caller).
    Only code that rewrites torch's memory (ctypes) can still get around it."""
    import torch.autograd.forward_ad as forward_ad
    import torch.autograd.functional as functional
    import torch.autograd.graph as graph
    import torch.autograd.variable as variable

    class _NoEngine:
        """Stands in for the C++ engine: every backward pass ends up here."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def run_backward(self, *args: Any, **kwargs: Any) -> Any:
            hits.append("autograd")
            raise _ForbiddenCall("autograd is forbidden in this question")

        def queue_callback(self, *args: Any, **kwargs: Any) -> Any:
            return self.run_backward()

        def is_checkpoint_valid(self) -> bool:
            return True

    variable.Variable._execution_engine = _NoEngine()  # type: ignore[assignment]
    graph.Variable._execution_engine = variable.Variable._execution_engine  # type: ignore[attr-defined]
    variable.ImperativeEngine = _NoEngine  # type: ignore[attr-defined,assignment]
    torch._C._ImperativeEngine = _NoEngine  # type: ignore[assignment,misc]
    torch.Tensor.backward = stub("torch.Tensor.backward")  # type: ignore[method-assign]
    torch.autograd.backward = stub("torch.autograd.backward")
    torch.autograd.grad = stub("torch.autograd.grad")
    graph._engine_run_backward = stub("autograd")
    for fn in ("vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"):
        setattr(functional, fn, stub(f"torch.autograd.functional.{fn}"))
    for fn in ("make_dual", "unpack_dual", "enter_dual_level"):
        setattr(forward_ad, fn, stub(f"torch.autograd.forward_ad.{fn}"))
    import torch.func as func

    for fn in ("grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "linearize"):
        if hasattr(func, fn):
            setattr(func, fn, stub(f"torch.func.{fn}"))
    try:
        import torch._functorch.eager_transforms as eager

        for fn in ("grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd"):
            if hasattr(eager, fn):
                setattr(eager, fn, stub(f"torch.func.{fn}"))
    except ImportError:
        pass
    # (2) below Python: no graph is recorded in this thread, whatever the API
    C = torch._C
    try:
        C._dispatch_tls_set_dispatch_key_excluded(C.DispatchKey.AutogradFunctionality, True)
    except (AttributeError, RuntimeError):  # a torch without this key: layers 1, 3, 4 remain
        pass
    # (3) what would turn it back on, replaced in every module that holds it (found once,
    # in the zygote: walking every module here would copy thousands of shared pages)
    for module, name in _AUTOGRAD_SWITCHES or _autograd_switches():
        try:
            setattr(module, name, stub("autograd"))
        except (TypeError, AttributeError):  # a read-only module
            continue
    # (the engine's own C type cannot be patched; with no graph recorded it has nothing to run)
    for cls_name in (
        "_ForceDispatchKeyGuard",
        "_SetExcludeDispatchKeyGuard",
        "_RestorePythonTLSSnapshot",
    ):
        cls = getattr(C, cls_name, None)
        for method in ("__init__", "__enter__", "run_backward"):
            if cls is not None and hasattr(cls, method):
                try:
                    setattr(cls, method, stub("autograd"))
                except (TypeError, AttributeError):  # a static C type: nothing to undo there
                    pass


def _autograd_switches() -> list[tuple[Any, str]]:
    """(module, name) of every place an already imported module holds a function that
    switches autograd back on below Python (the dispatcher's thread-local key set, forward
    mode, functorch's levels)."""
    C = torch._C
    undo = [
        getattr(C, "_dispatch_tls_set_dispatch_key_excluded", None),
        getattr(C, "_set_fwd_grad_enabled", None),
        *(
            getattr(getattr(C, "_functorch", None), name, None)
            for name in (
                "_grad_increment_nesting",
                "_jvp_increment_nesting",
                "_wrap_for_grad",
                "_maybe_unsafe_set_level",
                "set_inplace_requires_grad_allowed",
            )
        ),
    ]
    undo_ids = {id(f) for f in undo if f is not None}
    found = []
    for module in list(sys.modules.values()):
        try:
            found += [(module, k) for k, v in list(vars(module).items()) if id(v) in undo_ids]
        except TypeError:  # not a real module
            continue
    return found


_AUTOGRAD_SWITCHES: list[tuple[Any, str]] = []  # filled in the zygote, before any fork


def _student_frame(tb: Any, src: str) -> tuple[str | None, int | None]:
    where: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(tb):
        path = os.path.abspath(frame.filename)
        if path.startswith(src + os.sep):
            where = (os.path.relpath(path, src), frame.lineno)
    return where


def _exception_fields(exc: BaseException, src: str) -> dict[str, Any]:
    file, line = _student_frame(exc.__traceback__, src)
    cls = type(exc)
    try:
        text = str(exc)[:2000]
    except BaseException:  # noqa: BLE001 -- a hostile __str__
        text = "<the exception's message could not be shown>"
    return {
        "error_type": cls.__name__[:200],
        "error_module": str(cls.__module__)[:200],
        "error_file": file,
        "error_line": line,
        "error_message": text,
    }


def _is_memory_error(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    text = str(exc) if isinstance(exc, RuntimeError) else ""
    return "can't allocate memory" in text or "out of memory" in text.lower()


class _Sender:
    """Frames to the supervisor. A hidden case's result is held back and written together
    with the next frame (the next case's ``start``, or ``end``): one write and one wake-up
    of the supervisor per case instead of two. Nothing is held across a case's run."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.held = b""

    def send(
        self, header: dict[str, Any], buffers: list[bytes] | None = None, hold: bool = False
    ) -> None:
        data = self.held + _wire.pack(header, buffers)
        if hold:
            self.held = data
            return
        self.held = b""
        _wire.write_all(self.fd, data)


def _runner(
    cmd_r: int, res_w: int, out_w: int, ack_r: int, sandboxed: bool, seccomp_filter: bytes
) -> None:
    """Runs in a forked runner; never returns."""
    try:
        _runner_main(cmd_r, res_w, out_w, ack_r, sandboxed, seccomp_filter)
    except BaseException:  # noqa: BLE001
        pass
    os._exit(0)


def _runner_main(
    cmd_r: int, res_w: int, out_w: int, ack_r: int, sandboxed: bool, seccomp_filter: bytes
) -> None:
    """A runner serves the jobs of one student's batch that the supervisor gives it, one
    after the other in the same process (a notebook's kernel, not one process per cell):
    per job a ``setup`` frame (which module; the first one also the process's limits),
    then ``cases`` frames naming the job, each answered case by case and closed by ``end``.
    Each job's module is imported from its own folder and keeps its own modules: switching
    jobs swaps the student's modules in ``sys.modules``, ``sys.path`` and the working
    folder. It may be forked before any job is known (its memory then holds no job's data
    at all), and it waits between the visible and the hidden cases."""
    os.setpgid(0, 0)
    # descriptors: 0 <- /dev/null, 1 and 2 -> capture pipe, 3 -> results, 4 <- acks,
    # 5 <- commands; everything else inherited (the grader's pipes included) is closed
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in (out_w, res_w, ack_r, cmd_r)]
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for target, fd in zip((1, 3, 4, 5), high, strict=True):
        os.dup2(fd, target)
    os.dup2(1, 2)
    os.closerange(6, 65536)
    # The kernel's rules from here on, for this process and every one it starts (see
    # _seccomp): no exec, no signals to the supervisor or zygote, no state that outlives it.
    if seccomp_filter:
        try:
            _seccomp.install_program(seccomp_filter)
        except OSError:
            if sandboxed:  # (checked at start-up: _check_seccomp)
                raise
            # --no-sandbox: a self-check isolates nothing anyway; run without the filter
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = io.TextIOWrapper(open(1, "wb", closefd=False), line_buffering=True)  # noqa: SIM115
    sys.stderr = io.TextIOWrapper(open(2, "wb", closefd=False), line_buffering=True)  # noqa: SIM115
    out = _Sender(3)
    hits: list[str] = []  # forbidden calls of the job being run (the stubs append here)
    jobs: dict[int, _RunnerJob] = {}
    switch = _JobSwitch(hits)
    cpu_hard = 0
    forbid: list[str] | None = None

    while True:
        frame = _wire.read_frame(5, 1 << 31)
        if frame is None:
            return
        header, bufs = frame
        op, j = header.get("op"), header.get("j")
        if op == "setup" and type(j) is int and j not in jobs:
            if forbid is None:
                cpu_hard = _apply_process_limits(header["process"], sandboxed)
                forbid = sorted(header["forbid"])
                if forbid:
                    _install_forbid(forbid, hits, header["device"])
            elif sorted(header["forbid"]) != forbid:
                return  # jobs with different bans never share a runner
            job = jobs[j] = _RunnerJob(header)
            switch.to(job)
            job.load(hits)
        elif op == "cases" and j in jobs:
            job = jobs[j]
            switch.to(job)
            for case in header["cases"]:
                i = case["i"]
                out.send({"op": "start", "i": i})
                if job.failed is not None:
                    out.send({"op": "case", "i": i, **job.failed}, hold=not case.get("visible"))
                    continue
                _run_one(job, case, bufs, i, cpu_hard, hits, out)
                if case.get("visible"):  # wait until the supervisor has taken this case's output
                    os.read(4, 1)
            out.send({"op": "end"})
        else:
            return


def _apply_process_limits(process: dict[str, Any], sandboxed: bool) -> int:
    """The rlimits of a runner, for every job it may serve (the supervisor adds them up);
    returns the hard CPU limit."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu_hard: int = math.ceil(used.ru_utime + used.ru_stime + float(process["job_cpu_seconds"])) + 2
    tasks = _count_tasks() if sandboxed else 0
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (process["max_open_files"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (process["max_file_bytes"],) * 2)
    if sandboxed:  # counted per user namespace, i.e. per sandbox (ignored for a root-mapped uid)
        resource.setrlimit(resource.RLIMIT_NPROC, (tasks + process["max_processes"],) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_hard, cpu_hard))
    if process["memory_mb"] is not None:
        # the inputs still to come (hidden cases) arrive after the cap is set: room for them
        vm = _vm_bytes(os.getpid())
        cap = vm + process["memory_mb"] * 1024 * 1024 + 3 * int(process["input_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # (torch runs one thread: set at import, before the zygote forked)
    return cpu_hard


class _RunnerJob:
    """One job as a runner holds it: the student's function (or why there is none), the
    modules imported from its folder, the forbidden calls it made."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        self.limits: dict[str, Any] = job["limits"]
        self.device: str = job["device"]
        self.jobdir: str = job["jobdir"]
        self.src = os.path.join(self.jobdir, "src")
        self.support = os.path.join(self.jobdir, "support")
        self.support_modules = set(job["support_modules"])
        self.modules: dict[str, Any] = {}  # its own modules while another job runs
        self.hits: list[str] = []
        self.fn: Any = None
        self.failed: dict[str, Any] | None = None  # what every case reports without a function

    def construct(self, fn: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        module_name, _, attr = fn.partition(":")
        if module_name not in self.support_modules or not attr.isidentifier():
            raise ValueError(f"Construct {fn!r} does not name a function of a support module")
        return getattr(importlib.import_module(module_name), attr)(*args, **kwargs)

    def load(self, hits: list[str]) -> None:
        """Import the student's module (the job must be the current one)."""
        if self.device == "cuda" and not torch.cuda.is_available():
            self.failed = {"status": "not_runnable"}
            return
        module_name = self.job["entry"].removesuffix(".py").replace("/", ".")
        try:
            module = importlib.import_module(module_name)
            self.fn = getattr(module, self.job["function"], None)
            if not callable(self.fn):
                self.failed = {"status": "exception", "phase": "missing"}
        except BaseException as exc:  # noqa: BLE001 -- anything the student's import raises
            status = (
                "forbidden" if hits else ("memory_limit" if _is_memory_error(exc) else "exception")
            )
            self.failed = {"status": status, "phase": "import", **_exception_fields(exc, self.src)}


class _ImportLog:
    """First on ``sys.meta_path`` of a runner: notes the name of every module imported from
    then on and finds none itself. Walking all of ``sys.modules`` instead would touch (and so
    copy, page by page) thousands of the zygote's objects in every runner."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        self.names.add(name)


class _JobSwitch:
    """Makes one job of a runner the current one: its modules in ``sys.modules`` (another
    job's, loaded from its own folder, are set aside), its folders first on ``sys.path``,
    its ``src`` folder the working directory, its record of forbidden calls, and the
    zygote's process-wide settings (``_SETTINGS``) back where the previous job changed them."""

    def __init__(self, hits: list[str]) -> None:
        self.hits = hits
        self.current: _RunnerJob | None = None
        self.base_path = list(sys.path)
        self.log = _ImportLog()
        sys.meta_path.insert(0, self.log)
        self.defaults = _ZYGOTE_SETTINGS or _process_settings()

    def to(self, job: _RunnerJob) -> None:
        prev = self.current
        if prev is job:
            return
        if prev is not None:
            prev.hits = list(self.hits)
            inside = prev.jobdir + os.sep
            for name in list(self.log.names):
                path = getattr(sys.modules.get(name), "__file__", None)
                if isinstance(path, str) and path.startswith(inside):
                    prev.modules[name] = sys.modules.pop(name)
            _restore_settings(self.defaults)
        self.hits[:] = job.hits
        sys.modules.update(job.modules)
        job.modules = {}
        sys.path[:] = [job.support, job.src, *self.base_path]
        sys.argv = [job.job["entry"]]
        os.chdir(job.src)
        self.current = job


_SETTINGS: list[tuple[str, Any, Any]] = [
    # process-wide settings a job's code is likely to change and the next job's results
    # depend on: (name, getter, setter)
    ("default dtype", torch.get_default_dtype, torch.set_default_dtype),
    ("grad mode", torch.is_grad_enabled, torch.set_grad_enabled),
    (
        "deterministic algorithms",
        torch.are_deterministic_algorithms_enabled,
        torch.use_deterministic_algorithms,
    ),
    ("threads", torch.get_num_threads, torch.set_num_threads),
    ("numpy errors", np.geterr, lambda saved: np.seterr(**saved)),
]


def _process_settings() -> list[Any]:
    """The current values of ``_SETTINGS`` (read in the zygote: nothing to copy per runner)."""
    return [get() for _, get, _ in _SETTINGS]


def _restore_settings(saved: list[Any]) -> None:
    """Put back what ``_process_settings`` saw, calling only the setters of what changed (a
    first call in a fresh runner copies pages); a setter the student broke is skipped."""
    for (_, get, put), value in zip(_SETTINGS, saved, strict=True):
        try:
            if get() != value:
                put(value)
        except Exception:  # noqa: BLE001, S110 -- a getter or setter the student replaced
            pass


_ZYGOTE_SETTINGS: list[Any] | None = None


def _run_one(
    job: _RunnerJob,
    case: dict[str, Any],
    bufs: list[bytes],
    i: int,
    cpu_hard: int,
    hits: list[str],
    out: _Sender,
) -> None:
    """Run the student's function on one case and send its result frame."""

    def build() -> tuple[list[Any], dict[str, Any]]:
        dec = _wire.Decoder(bufs, device=job.device, construct=job.construct)
        args = dec.build(case["args"])
        dec.used.clear()
        kwargs = dec.build(case["kwargs"])
        return list(args), dict(kwargs)

    limits = job.limits
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = min(cpu_hard, math.ceil(used.ru_utime + used.ru_stime + limits["cpu_seconds"]) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
    header: dict[str, Any] = {"op": "case", "i": i}
    buffers: list[bytes] = []
    try:
        header.update(_run_case(job.fn, build, job.job, buffers))
    except _wire.WireError as exc:
        header.update(status="bad_output", error_message=str(exc), code=exc.args[0][:60])
        buffers = []
    except BaseException as exc:  # noqa: BLE001 -- the student's exception, reported
        header.update(_exception_fields(exc, job.src))
        header["status"] = "memory_limit" if _is_memory_error(exc) else "exception"
        buffers = []
    if hits:
        header = {"op": "case", "i": i, "status": "forbidden", "forbidden": hits[0][:200]}
        buffers = []
    if sum(len(b) for b in buffers) > limits["max_result_bytes"]:
        header = {"op": "case", "i": i, "status": "output_limit", "phase": "result"}
        buffers = []
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001
        pass
    out.send(header, buffers, hold=not case.get("visible"))


def _run_case(fn: Any, build: Any, job: dict[str, Any], buffers: list[bytes]) -> dict[str, Any]:
    args, kwargs = build()
    flops = None
    t0 = time.perf_counter()
    if job["flops"]:
        with _flops.CountFlops() as counter:
            value = fn(*args, **kwargs)
        flops = int(counter.total)
    else:
        value = fn(*args, **kwargs)
    seconds = time.perf_counter() - t0
    if job["device"] == "cuda":
        torch.cuda.synchronize()
    header: dict[str, Any] = {"status": "ok", "seconds": seconds, "flops": flops}
    header["value"] = _wire.encode(value, buffers)
    if isinstance(value, torch.Tensor):
        header["device"] = str(value.device)
    if job["repeat"]:
        args, kwargs = build()
        header["value2"] = _wire.encode(fn(*args, **kwargs), buffers)
    return header


def _count_tasks() -> int:
    total = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                total += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                pass
    return total


def _vm_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[0]) * PAGE


# =========================================================================== the zygote


def _cpu_ticks(pid: int) -> tuple[int, int]:
    """(own, reaped children's) CPU clock ticks of a process, user + system; (0, 0) when gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rpartition(")")[2].split()
        return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
    except (OSError, IndexError, ValueError):
        return 0, 0


def _cpu_seconds(pid: int) -> float:
    """CPU seconds of one process and the children it has reaped."""
    own, children = _cpu_ticks(pid)
    return (own + children) / CLK_TCK


def _sandbox_cpu_ns(zygote: int, precise: bool = False) -> int:
    """CPU nanoseconds used by every process of the sandbox but the supervisor (PID 1),
    living or dead: a process's own time plus what it has reaped, and for the zygote only
    what it has reaped (dead runners, orphans). A student's child that leaves the runner's
    process group, raises its soft CPU limit or ignores SIGXCPU is counted all the same.
    ``precise``: living threads' own time from their schedstat (the scheduler's nanoseconds)
    instead of clock ticks."""
    total = 0
    tick_ns = 1_000_000_000 // CLK_TCK
    for name in os.listdir("/proc"):
        if not name.isdigit() or name == "1":
            continue
        own, children = _cpu_ticks(int(name))
        total += children * tick_ns
        if int(name) == zygote:
            continue
        total += _schedstat_ns(name) if precise else own * tick_ns
    return total


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _schedstat_ns(pid: str) -> int:
    """Nanoseconds on CPU of every living thread of a process."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as fh:
                total += int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


_CHILD_KEYS = {
    "status": str,
    "value": object,
    "value2": object,
    "error_type": str,
    "error_module": str,
    "error_file": str,
    "error_line": int,
    "error_message": str,
    "flops": int,
    "seconds": float,
    "device": str,
    "phase": str,
    "code": str,
    "forbidden": str,
}
_CHILD_STATUSES = {
    "ok",
    "exception",
    "forbidden",
    "bad_output",
    "memory_limit",
    "output_limit",
    "not_runnable",
}


PARK_MAX_RSS = 256 * 1024 * 1024
"""A runner that holds more than this (above the zygote) is not kept waiting for its hidden
cases; a fresh one is forked for them instead."""


class _RunnerProc:
    """The supervisor's end of one runner: its pid and the pipes to it."""

    def __init__(self, pid: int, fds: list[int], zygote: int | None) -> None:
        self.pid = pid
        self.res_r, self.out_r, self.ack_w, self.cmd_w = fds
        self.zygote = zygote  # in a sandbox: count the CPU of every process but the supervisor
        self.jobs: set[int] = set()  # the jobs it has been sent the setup frame of
        self.cpu_seen, self.cpu_read_at = 0.0, -math.inf

    def cpu(self, max_age: float = 0.0) -> float:
        """CPU seconds used by it and every process it started (in a sandbox: every student
        process there, see ``_sandbox_cpu_ns``; without one: itself and the children it
        reaped), read from /proc unless a reading ``max_age`` seconds old or newer is at hand
        (a case started within a poll period of the last reading then counts the CPU used
        since that reading too: never less than its own)."""
        now = time.monotonic()
        if now - self.cpu_read_at > max_age:
            self.cpu_seen = (
                _sandbox_cpu_ns(self.zygote) / 1e9
                if self.zygote is not None
                else _cpu_seconds(self.pid)
            )
            self.cpu_read_at = now
        return self.cpu_seen

    def cpu_ns(self) -> int:
        """CPU nanoseconds, read now, at the scheduler's resolution (for measured cases)."""
        if self.zygote is not None:
            return _sandbox_cpu_ns(self.zygote, precise=True)
        return int(_cpu_seconds(self.pid) * 1e9)

    def close(self) -> None:
        for fd in (self.res_r, self.out_r, self.ack_w, self.cmd_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def kill(self) -> None:
        _kill_group(self.pid)


class _JobState:
    """One job of a batch, as the supervisor tracks it."""

    def __init__(self, j: int, header: dict[str, Any], bufs: list[bytes], jobdir: str) -> None:
        self.j, self.header, self.jobdir = j, header, jobdir
        self.bufs = {"visible": bufs, "hidden": []}
        self.cases: dict[int, dict[str, Any]] = {c["i"]: c for c in header["cases"]}
        # jobs with the same bans (usually all of a batch) share a runner
        self.group: tuple[str, ...] = tuple(sorted(header["forbid"]))
        self.spent = 0.0  # wall-clock seconds its cases have used so far


def _process_limits(states: list[_JobState]) -> dict[tuple[str, ...], dict[str, Any]]:
    """Per group of jobs that share a runner, the rlimits of that runner: CPU and inputs
    added up, the largest of the other limits; no address-space cap when a job needs CUDA."""
    groups: dict[tuple[str, ...], list[_JobState]] = {}
    for state in states:
        groups.setdefault(state.group, []).append(state)
    out = {}
    for group, members in groups.items():
        limits = [m.header["limits"] for m in members]
        out[group] = {
            "job_cpu_seconds": sum(lim["job_cpu_seconds"] for lim in limits),
            "max_open_files": max(lim["max_open_files"] for lim in limits),
            "max_file_bytes": max(lim["max_file_bytes"] for lim in limits),
            "max_processes": max(lim["max_processes"] for lim in limits),
            "memory_mb": None
            if any(m.header["device"] != "cpu" for m in members)
            else max(lim["memory_mb"] for lim in limits),
            "input_bytes": sum(int(m.header["input_bytes"]) for m in members),
        }
    return out


class Supervisor:
    """Talks to the grader, holds the inputs of the batch at hand, watches the runners.

    Long-lived and never forked: it asks the zygote (``ForkServer``) for runners and gets
    their pipes over a Unix socket; no student code ever runs in a process that had
    another batch's data, and no process that had any data is ever forked.
    """

    def __init__(
        self, inp: int, out: int, tmp: str, sandboxed: bool, ctl: socket.socket, zygote: int
    ) -> None:
        self.inp, self.out, self.tmp, self.sandboxed = inp, out, tmp, sandboxed
        self.ctl, self.zygote = ctl, zygote
        self.dev_entries = set(os.listdir("/dev")) if sandboxed else set()
        self.handed: list[int] = []  # runners of the batch at hand (plain mode cleans them up)
        self.shared: dict[tuple[str, ...], _RunnerProc] = {}  # a group's runner in this batch
        self.process: dict[tuple[str, ...], dict[str, Any]] = {}  # a group's process limits
        self.last_groups = 1  # runners a batch is likely to need: its groups of jobs

    def send(self, header: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        _wire.write_all(self.out, _wire.pack(header, buffers))

    def ask(self, request: dict[str, Any], reply: bool = True) -> dict[str, Any]:
        """One request to the zygote (and its answer, within ``ZYGOTE_SECONDS``)."""
        try:
            self.ctl.send(json.dumps(request).encode())
            if not reply:
                return {}
            data = self.ctl.recv(1 << 16)
        except OSError as exc:  # a timeout included: a stopped zygote never answers
            raise _ZygoteLost(f"the zygote did not answer: {exc}") from exc
        if not data:
            raise _ZygoteLost("the zygote stopped")
        answer: dict[str, Any] = json.loads(data)
        return answer

    def serve(self) -> None:
        """One batch after the other; after each, nothing of it survives (processes, files)."""
        self.send(
            {"op": "ready", "pid": os.getpid(), "torch": torch.__version__, "numpy": np.__version__}
        )
        while True:
            try:
                code = self.hold_batch()
            except BaseException:  # noqa: BLE001
                code = 2
            if code == 3:
                return  # the grader closed the pipe
            if code != 0:  # something broke mid-batch: the grader restarts this sandbox
                self.send({"op": "done", "failed": True})
                return
            try:
                self._cleanup_processes()
                self._cleanup_files()
                self.ask({"op": "want", "n": self.last_groups}, reply=False)
            except BaseException:  # noqa: BLE001 -- no "clean": the grader replaces this sandbox
                return
            self.send({"op": "clean"})  # the grader waits for this before the next student

    # ----------------------------------------------------------------- one batch

    def hold_batch(self) -> int:
        """Run one batch (one student's code jobs) and report every case.

        The supervisor is the only process that holds this batch's inputs. It reads the
        visible cases of every job first and runs them on one fresh runner (per group of
        jobs with the same bans), which then waits. Only after every visible case has been
        reported does it ask for the hidden cases and hands them to the waiting runner: no
        process whose printed output or messages are shown ever had a hidden input in its
        memory.
        Returns 0 when ``done`` was sent, 3 when the grader closed the pipe.
        """
        frame = _wire.read_frame(self.inp, 1 << 20)
        if frame is None:
            return 3
        batch = frame[0]
        if int(batch["jobs"]) > 0:  # forked while the files are written
            self.ask({"op": "want", "n": self.last_groups}, reply=False)
        states = []
        for j in range(int(batch["jobs"])):
            frame = _wire.read_frame(self.inp, 1 << 31)
            if frame is None:
                return 3
            header, bufs = frame
            jobdir = os.path.join(self.tmp, f"job-{int(batch['id'])}-{j}")
            self._write_files(header, bufs, jobdir)
            states.append(_JobState(j, header, bufs, jobdir))
        n_hidden = sum(int(s.header["hidden"]) for s in states)
        self.process = _process_limits(states)
        self.last_groups = max(1, min(len(self.process), 16))
        for state in states:
            self._run_cases(state, "visible", sorted(state.cases))
        for group, runner in list(self.shared.items()):
            hidden = any(s.header["hidden"] for s in states if s.group == group)
            if not hidden or _rss_bytes(runner.pid) > self.base_rss + PARK_MAX_RSS:
                self._retire(group)
        if n_hidden:
            self.send({"op": "visible_done"})
            for state in states:
                frame = _wire.read_frame(self.inp, 1 << 31)
                if frame is None:
                    return 3
                header, bufs = frame
                state.bufs["hidden"] = bufs
                state.cases = {c["i"]: c for c in header["cases"]}
            for state in states:
                self._run_cases(state, "hidden", sorted(state.cases))
        self.send({"op": "done"})
        for group in list(self.shared):
            self._retire(group)
        return 0

    def _retire(self, group: tuple[str, ...]) -> None:
        """Stop a group's runner without waiting for it (the zygote reaps it later)."""
        runner = self.shared.pop(group, None)
        if runner is not None:
            runner.kill()
            runner.close()

    def _take_runner(self) -> _RunnerProc:
        """A fresh runner from the zygote (forked from the clean image; no data in it)."""
        try:
            self.ctl.send(b'{"op": "take"}')
            data, fds, _, _ = socket.recv_fds(self.ctl, 1 << 16, 4)
        except OSError as exc:  # a timeout included
            raise _ZygoteLost(f"the zygote did not hand over a runner: {exc}") from exc
        if not data or len(fds) != 4:
            for fd in fds:
                os.close(fd)
            raise _ZygoteLost("the zygote did not hand over a runner")
        pid = int(json.loads(data)["pid"])
        self.handed.append(pid)
        return _RunnerProc(pid, fds, self.zygote if self.sandboxed else None)

    def _wait_runner(self, pid: int) -> tuple[int, float]:
        """The wait status and CPU seconds of a runner that was killed or ended."""
        answer = self.ask({"op": "wait", "pid": pid})
        status = answer.get("status")
        if type(status) is not int:
            return 9, 0.0  # as if killed: reported as a crash of the sandbox
        return status, float(answer.get("cpu", 0.0))

    def _write_files(self, job: dict[str, Any], bufs: list[bytes], jobdir: str) -> None:
        for sub, key in (("src", "files"), ("support", "support")):
            root = os.path.join(jobdir, sub)
            os.makedirs(root, exist_ok=True)
            for rel, idx in job[key]:
                path = os.path.normpath(os.path.join(root, rel))
                if not path.startswith(root + os.sep):
                    continue
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as fh:
                    fh.write(bufs[idx])

    def _setup_frame(self, state: _JobState) -> bytes:
        h = state.header
        keys = ("entry", "function", "limits", "device", "forbid", "flops", "repeat")
        frame: bytes = _wire.pack(
            {
                "op": "setup",
                "j": state.j,
                "process": self.process[state.group],
                **{k: h[k] for k in keys},
                "support_modules": h["support_modules"],
                "input_bytes": h["input_bytes"],
                "jobdir": state.jobdir,
            }
        )
        return frame

    def _run_cases(self, state: _JobState, phase: str, todo: list[int]) -> None:
        """Run the cases ``todo`` of one job on its runner, replacing runners that die."""
        limits = state.header["limits"]
        in_a_row = 0  # consecutive cases stopped by a time limit
        retried = False  # a waiting runner that died before starting gets one replacement
        while todo:
            if state.spent >= limits["job_wall_seconds"]:
                for k in todo:
                    self.send(
                        {"op": "case", "j": state.j, "i": k, "status": "timeout", "phase": "job"}
                    )
                return
            if in_a_row >= SKIP_AFTER_LIMITS:
                for k in todo:
                    self.send(
                        {
                            "op": "case",
                            "j": state.j,
                            "i": k,
                            "status": "timeout",
                            "phase": "skipped",
                        }
                    )
                return
            runner = self.shared.get(state.group)
            if runner is None:
                runner = self.shared[state.group] = self._take_runner()
            waiting = state.j in runner.jobs  # set up for this job before (and parked)
            deadline = time.monotonic() + limits["job_wall_seconds"] - state.spent
            frames = b"" if waiting else self._setup_frame(state)
            cases = [{**state.cases[k], "visible": phase == "visible"} for k in todo]
            frames += _wire.pack({"op": "cases", "j": state.j, "cases": cases}, state.bufs[phase])
            runner.jobs.add(state.j)
            started = time.monotonic()
            reported, failure = self._supervise(state, runner, frames, todo, deadline, phase)
            state.spent += time.monotonic() - started
            todo = todo[reported:]
            if failure is None:
                return  # every case answered; the runner waits for more (or is retired)
            self.shared.pop(state.group, None)  # gone: _supervise has reaped it
            if len(runner.jobs) > 1:
                # The process also held other jobs' code (a thread of theirs, memory they
                # kept): this case runs again in a fresh runner, alone, and only a failure
                # there is its own. One job never costs another a mark.
                continue
            if reported == 0 and waiting and not retried and failure.get("status") == "crashed":
                retried = True  # it died while waiting: not this case's fault
                continue
            self.send({"op": "case", "j": state.j, "i": todo[0], **failure})
            todo = todo[1:]
            if failure.get("status") in ("cpu_limit", "timeout"):
                in_a_row = in_a_row + 1 if reported == 0 else 1
            else:
                in_a_row = 0

    def _supervise(
        self,
        state: _JobState,
        runner: _RunnerProc,
        frames: bytes,
        todo: list[int],
        job_deadline: float,
        phase: str,
    ) -> tuple[int, dict[str, Any] | None]:
        """Send ``frames`` to the runner and watch it answer the cases ``todo`` in order.

        Returns how many cases were reported and, when the runner failed on the next one
        (it died, or was stopped for a limit), why; the runner is then already gone.
        """
        limits = state.header["limits"]
        visible = phase == "visible"
        measure = bool(state.header.get("measure_cpu"))
        measured_from = 0
        pid = runner.pid
        reader = _wire.FrameReader(limits["max_result_bytes"] + (1 << 20))
        captured = bytearray()
        current: int | None = None  # case started, result not yet received
        reported = 0
        deadline = min(job_deadline, time.monotonic() + limits["wall_seconds"])
        cpu_base = runner.cpu(POLL)
        rss_max = (
            limits["memory_mb"] * 1024 * 1024 + self.base_rss + 2 * int(state.header["input_bytes"])
        )
        failure: dict[str, Any] | None = None
        pending = memoryview(frames)
        try:  # usually the whole request fits the pipe at once
            pending = pending[os.write(runner.cmd_w, pending) :]
        except BlockingIOError:
            pass
        except OSError:  # the runner is gone: its death says why
            pending = memoryview(b"")
        next_poll = 0.0
        finished = False
        out_open = True
        while True:
            rlist = [runner.res_r, runner.out_r] if out_open else [runner.res_r]
            wlist = [runner.cmd_w] if pending else []
            ready, writable, _ = select.select(rlist, wlist, [], POLL)
            if writable:
                try:
                    pending = pending[os.write(runner.cmd_w, pending) :]
                except BlockingIOError:
                    pass
                except OSError:  # the runner is gone: its death says why
                    pending = memoryview(b"")
            if out_open and runner.out_r in ready:
                data = _read_some(runner.out_r)
                if data is None:
                    out_open = False
                elif data:
                    captured += data
                    if len(captured) > limits["max_output_bytes"]:
                        failure = {"status": "output_limit", "phase": "stdout"}
                        break
            if runner.res_r in ready:
                data = _read_some(runner.res_r)
                if data is None:
                    break  # the runner ended
                try:
                    frames_in = reader.feed(data)
                except _wire.WireError:
                    failure = {"status": "output_limit", "phase": "result"}
                    break
                for header, fbufs in frames_in:
                    op = header.get("op")
                    expect = todo[reported] if reported < len(todo) else None
                    if op == "start" and current is None and header.get("i") == expect:
                        current = expect
                        cpu_base = runner.cpu(POLL)
                        if measure:
                            measured_from = runner.cpu_ns()
                        deadline = min(job_deadline, time.monotonic() + limits["wall_seconds"])
                    elif op == "case" and current is not None and header.get("i") == current:
                        while (more := _read_some(runner.out_r)) and len(captured) <= limits[
                            "max_output_bytes"
                        ]:
                            captured += more
                        # the cost of a FLOP-counted case, measured here, outside the
                        # student's processes (the count itself is made inside them)
                        cpu = (runner.cpu_ns() - measured_from) / 1e9 if measure else None
                        self._forward(header, fbufs, state.j, current, visible, captured, cpu)
                        if visible:
                            try:
                                os.write(runner.ack_w, b"k")
                            except OSError:
                                pass
                        current = None
                        reported += 1
                        captured.clear()
                    elif op == "end" and current is None and reported == len(todo):
                        finished = True
                    else:
                        failure = {"status": "bad_output", "phase": "protocol"}
                        break
                if failure or finished:
                    break
            now = time.monotonic()
            if now >= deadline:
                failure = {"status": "timeout", "phase": "job" if now >= job_deadline else "case"}
                break
            if now >= next_poll:
                next_poll = now + POLL
                cpu = runner.cpu() - cpu_base
                if cpu > limits["cpu_seconds"] + 0.05:
                    failure = {"status": "cpu_limit"}
                    break
                if _rss_bytes(pid) > rss_max:
                    failure = {"status": "memory_limit"}
                    break
        if finished:
            return reported, None
        runner.kill()
        wait_status, cpu_used = self._wait_runner(pid)
        if runner.zygote is not None:  # reaped now: its CPU and its children's are counted
            cpu_used = runner.cpu()
        runner.close()
        if reported >= len(todo):
            return reported, None
        if failure is None:  # it ended during the case (or before starting it)
            failure = _death_reason(wait_status, cpu_used - cpu_base, limits["cpu_seconds"])
        return reported, failure

    base_rss = 0

    def _forward(
        self,
        header: dict[str, Any],
        bufs: list[bytes],
        j: int,
        i: int,
        visible: bool,
        captured: bytearray,
        cpu: float | None = None,
    ) -> None:
        clean: dict[str, Any] = {"op": "case", "j": j, "i": i, "from": "child"}
        for key, kind in _CHILD_KEYS.items():
            if key in header and (
                kind is object
                or type(header[key]) is kind
                or (kind is float and type(header[key]) is int)
            ):
                clean[key] = header[key]
        if clean.get("status") not in _CHILD_STATUSES:
            clean = {"op": "case", "j": j, "i": i, "status": "bad_output", "phase": "protocol"}
            bufs = []
        if visible:
            clean["stdout"] = captured.decode("utf-8", "replace")
        else:
            clean.pop("error_message", None)
        if cpu is not None:
            clean["cpu"] = round(cpu, 4)  # the supervisor's reading, not the runner's
        self.send(clean, bufs)

    # ----------------------------------------------------------------- cleanup

    def _cleanup_processes(self) -> None:
        handed, self.handed = self.handed, []
        if not self.sandboxed:  # without a PID namespace only the runners' groups can be found
            for pid in handed:
                _kill_group(pid)
            self.ask({"op": "reap"})
            return
        self.ask({"op": "quiesce"})  # the zygote stops forking and kills its idle runners
        keep = {1, os.getpid(), self.zygote}
        for _ in range(200):  # every other process of this PID namespace, until none is left
            alive = [
                pid for pid in _pids() if pid not in keep and _state(pid) not in ("Z", "X", "")
            ]
            if not alive:
                break
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.0002)  # killed processes take a moment to become zombies: do not spin
        self.ask({"op": "reap"})

    def _cleanup_files(self) -> None:
        roots = ("/tmp", "/dev/shm") if self.sandboxed else (self.tmp,)
        for root in roots:
            try:
                names = os.listdir(root)
            except OSError:
                continue
            for name in names:
                _wipe(os.path.join(root, name))
        for name in (set(os.listdir("/dev")) - self.dev_entries) if self.sandboxed else ():
            path = os.path.join("/dev", name)
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
            except OSError:
                pass


class _ZygoteLost(Exception):
    pass


class ForkServer:
    """The zygote: the clean image (numpy and torch imported, warmed up) that forks runners.

    It never reads a batch, a file name or a result; it only forks, hands the parent ends
    of a new runner's pipes to the supervisor (SCM_RIGHTS), and reports how runners ended.
    It keeps up to ``want`` runners forked ahead, between requests.
    """

    def __init__(self, ctl: socket.socket, sandboxed: bool, supervisor: int) -> None:
        self.ctl, self.sandboxed = ctl, sandboxed
        # every runner's seccomp filter, built once: no runner may signal these two
        self.filter = (
            _seccomp.build_filter(platform.machine(), [supervisor, os.getpid()])
            if sandboxed or _seccomp.supported()
            else b""  # --no-sandbox on another architecture: nothing is isolated anyway
        )
        self.idle: list[tuple[int, list[int]]] = []
        self.want = 0

    def serve(self) -> None:
        while True:
            ahead = len(self.idle) < self.want
            ready, _, _ = select.select([self.ctl], [], [], 0 if ahead else None)
            if not ready:
                self.idle.append(self._fork())
                continue
            try:
                data = self.ctl.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                return  # the supervisor is gone
            request = json.loads(data)
            op = request.get("op")
            if op == "want":
                self.want = max(0, min(int(request["n"]), 16))
            elif op == "take":
                pid, fds = self.idle.pop(0) if self.idle else self._fork()
                self.want = max(0, self.want - 1)
                socket.send_fds(self.ctl, [json.dumps({"pid": pid}).encode()], fds)
                for fd in fds:
                    os.close(fd)
            elif op == "wait":
                self._answer_wait(int(request["pid"]))
            elif op == "quiesce":
                self.want = 0
                for pid, fds in self.idle:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    for fd in fds:
                        os.close(fd)
                self.idle = []
                self.ctl.send(b'{"op": "quiet"}')
            elif op == "reap":
                _reap_all(wait=self.sandboxed)
                self.ctl.send(b'{"op": "reaped"}')

    def _answer_wait(self, pid: int) -> None:
        try:
            _, status, usage = os.wait4(pid, 0)
            answer: dict[str, Any] = {"status": status, "cpu": usage.ru_utime + usage.ru_stime}
        except ChildProcessError:
            answer = {"status": None}
        self.ctl.send(json.dumps(answer).encode())

    def _fork(self) -> tuple[int, list[int]]:
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        ack_r, ack_w = os.pipe()
        cmd_r, cmd_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            _runner(cmd_r, res_w, out_w, ack_r, self.sandboxed, self.filter)
        for fd in (res_w, out_w, ack_r, cmd_r):
            os.close(fd)
        for fd in (res_r, out_r, cmd_w):
            os.set_blocking(fd, False)
        return pid, [res_r, out_r, ack_w, cmd_w]


def _kill_group(pid: int) -> None:
    """SIGKILL a runner's process group, then the runner itself (it may have left it)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _state(pid: int) -> str:
    """A process's state letter from /proc (``Z`` zombie), or "" when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return ""


def _death_reason(status: int, cpu: float, cpu_limit: float) -> dict[str, Any]:
    """Why a child ended without a result, from its wait status and the CPU it used."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= cpu_limit):
            return {"status": "cpu_limit"}
        if sig == signal.SIGXFSZ:
            return {"status": "output_limit", "phase": "file"}
        return {"status": "crashed", "detail": f"signal {signal.Signals(sig).name}"}
    return {"status": "crashed", "detail": f"exit status {os.WEXITSTATUS(status)}"}


def _read_some(fd: int) -> bytes | None:
    try:
        data = os.read(fd, 1 << 16)
    except BlockingIOError:
        return b""
    return data if data else None


def _wipe(path: str) -> None:
    """Remove ``path`` and what it holds, never entering a mount point: a Python or venv
    bound read-only under /tmp (a CI checkout) stays, everything the student wrote goes."""
    if os.path.ismount(path):
        return
    if os.path.isdir(path) and not os.path.islink(path):
        try:
            entries = os.listdir(path)
        except OSError:
            entries = []
        for name in entries:
            _wipe(os.path.join(path, name))
        try:
            os.rmdir(path)
        except OSError:
            pass
    else:
        try:
            os.unlink(path)
        except OSError:
            pass


def _reap_all(wait: bool) -> None:
    deadline = time.monotonic() + 5.0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if not wait or time.monotonic() > deadline:
                return
            time.sleep(0.002)


def _warm_up() -> None:
    """The first call of common ops (both float dtypes, plain and FLOP-counted), the wire
    round trip, JSON: what torch builds lazily on a first call is built once, here."""
    for dtype in (torch.float32, torch.float64):
        for counting in (False, True):
            with _flops.CountFlops() if counting else contextlib.nullcontext():
                _common_ops(dtype)
        buffers: list[bytes] = []
        z = torch.randn(3, 4, dtype=dtype)
        tree = _wire.encode((z, z.numpy(), torch.arange(3), 1.5, [1, 2], "s"), buffers)
        _wire.Decoder(buffers).decode(json.loads(json.dumps(tree)))


def _common_ops(dtype: torch.dtype) -> None:
    """Attention, a tiny language model's step, losses: the ops the course's questions use."""
    F = torch.nn.functional
    a = torch.randn(4, 8, 8, dtype=dtype)
    b = a.transpose(-2, -1)
    mask = torch.ones(8, 8, dtype=torch.bool).tril()
    scores = (a @ b / math.sqrt(8)).masked_fill(~mask, float("-inf"))
    w = scores.softmax(-1)
    x = torch.exp(a - a.max(dim=-1, keepdim=True).values)
    y = x / x.sum(dim=-1, keepdim=True)
    z = torch.einsum("bij,bjk->bik", w, a) + torch.bmm(w, y) + torch.matmul(w, y)
    z = torch.where(z > 0, z, torch.zeros_like(z)).mean(0).tanh().relu()
    z = F.layer_norm(z, z.shape[-1:]) + F.gelu(z) + torch.sigmoid(z) * z.sqrt().abs()
    h = F.linear(z, torch.randn(8, 8, dtype=dtype)).reshape(-1)
    ids = torch.arange(4)
    emb = torch.randn(10, 8, dtype=dtype)[ids]
    seq = torch.cat([emb, emb[-1:]], dim=0).unsqueeze(0).permute(0, 2, 1).contiguous()
    logits = seq.squeeze(0).T @ torch.randn(8, 10, dtype=dtype)
    nxt = logits[-1].argmax().item()
    lp = F.log_softmax(logits, -1)
    loss = F.cross_entropy(logits, torch.tensor([nxt] * logits.shape[0])) - F.logsigmoid(h).mean()
    (
        loss + lp.gather(1, ids[: lp.shape[0]].unsqueeze(1) % 10).sum() + torch.stack([h, h]).var()
    ).item()


def _collapse_huge_pages() -> None:
    """Back the zygote's anonymous memory (torch's heap: about 150 MB) with 2 MB pages where
    it is mostly resident, so each fork copies a few hundred page-table entries instead of
    tens of thousands (and each exit frees them as fast). Best effort: MADV_COLLAPSE needs
    Linux 6.1; elsewhere nothing changes."""
    madvise = _libc.madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    huge = 1 << 21
    regions: list[list[Any]] = []
    try:
        with open("/proc/self/smaps") as fh:
            for line in fh:
                fields = line.split()
                if not fields[0].endswith(":"):
                    lo, hi = (int(x, 16) for x in fields[0].split("-"))
                    regions.append([lo, hi, fields[1], fields[5] if len(fields) > 5 else "", 0])
                elif fields[0] == "Anonymous:" and regions:
                    regions[-1][4] = int(fields[1]) * 1024
    except (OSError, ValueError, IndexError):
        return
    for lo, hi, perms, name, anon in regions:
        start, end = (lo + huge - 1) & ~(huge - 1), hi & ~(huge - 1)
        if (
            perms.startswith("rw")
            and name in ("", "[heap]")
            and end > start
            and anon * 2 >= hi - lo
        ):
            madvise(start, end - start, 14)  # MADV_HUGEPAGE
            madvise(start, end - start, 25)  # MADV_COLLAPSE


def _check_seccomp() -> None:
    """Install the runners' filter in a throw-away child and check that it holds: a kernel
    that refuses it must stop this sandbox from starting (with a reason), never make every
    runner die at its first case, which would read as every student's crash."""
    pid = os.fork()
    if pid == 0:
        try:
            _seccomp.install([1])
            try:
                os.kill(1, 0)
            except PermissionError:
                os._exit(0)
            os._exit(4)  # the filter did not hold
        except BaseException:  # noqa: BLE001
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return
    sys.stderr.write(
        "this kernel refuses the sandbox's seccomp filter (needed so that student code cannot "
        "exec, signal the supervisor or keep state); run the grader on Linux with seccomp "
        "filters allowed (CONFIG_SECCOMP_FILTER)\n"
    )
    sys.exit(2)


def main() -> None:
    mode, tmp, inp, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    sandboxed = mode == "--sandboxed"
    if sandboxed and os.getpid() != 1:
        sys.exit("the sandboxed worker must run as PID 1 of its own PID namespace")
    # As PID 1 it gets only the signals it handles: handle none (Python's SIGINT handler
    # would let any process of the sandbox raise KeyboardInterrupt in the supervisor).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.set_inheritable(inp, False)
    os.set_inheritable(out, False)
    # Warm up, with one thread, the code paths every runner uses: whatever torch builds
    # lazily on a first call is then built once here, not again in every runner.
    _warm_up()
    _prctl(4, 0)  # PR_SET_DUMPABLE: no ptrace or /proc/<pid>/mem from students' processes
    global _ZYGOTE_SETTINGS
    _ZYGOTE_SETTINGS = _process_settings()  # what every job of a runner starts from
    _AUTOGRAD_SWITCHES[:] = _autograd_switches()
    # Every object made so far is shared by all forks: keep the collector from touching
    # (and so copying) them in every runner.
    gc.collect()
    gc.freeze()
    base_rss = _rss_bytes(os.getpid())
    if sandboxed:
        _check_seccomp()
    ctl_supervisor, ctl_zygote = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    supervisor_pid = os.getpid()
    zygote = os.fork()
    if zygote == 0:  # the zygote: forked before any input exists, and it never reads one
        os.close(inp)
        os.close(out)
        ctl_supervisor.close()
        _prctl(36, 1)  # PR_SET_CHILD_SUBREAPER: orphans of the students' processes come here
        _collapse_huge_pages()
        try:
            ForkServer(ctl_zygote, sandboxed, supervisor_pid).serve()
        finally:
            os._exit(0)
    ctl_zygote.close()
    ctl_supervisor.settimeout(ZYGOTE_SECONDS)
    supervisor = Supervisor(inp, out, tmp, sandboxed, ctl_supervisor, zygote)
    supervisor.base_rss = base_rss
    supervisor.serve()


if __name__ == "__main__":
    main()
