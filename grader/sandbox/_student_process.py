"""The runner: the process that runs the student's code, INSIDE the sandbox.

The zygote (``_worker.ForkServer``) forks it from its clean image and calls ``serve``,
which never returns. Everything here runs in that process (and, for the student's code,
in whatever it starts): the limits it sets on itself (rlimits, the seccomp filter the
zygote built), the bans of a question (``forbid``: named APIs, autograd), the switch from
one job of a batch to the next (each job's modules, path and working folder), the case
loop (inputs decoded, FLOPs counted, the value encoded) and the capture of what it prints.
It only ever talks to the supervisor (``_supervisor``), over the pipes the zygote gave it.

Standalone like ``_worker.py``: the standard library, numpy, torch and the siblings
``_wire``, ``_flops``, ``_seccomp`` and ``_protocol``, imported the way ``_worker`` imports
them (their folder first on ``sys.path``).
"""

from __future__ import annotations

import fcntl
import importlib
import io
import math
import os
import resource
import signal
import sys
import time
import traceback
from typing import Any, NoReturn

import _flops
import _protocol
import _seccomp
import _wire
import numpy as np
import torch

PAGE = os.sysconf("SC_PAGE_SIZE")


class _ForbiddenCall(BaseException):
    """Raised by a forbidden API; a BaseException so ``except Exception`` does not hide it."""


def _install_forbid(names: list[str], hits: list[str], device: str) -> None:
    def stub(label: str) -> Any:
        def forbidden(*args: Any, **kwargs: Any) -> Any:
            hits.append(label)
            raise _ForbiddenCall(f"{label} is forbidden in this question")

        return forbidden

    for name in names:
        if name == _protocol.AUTOGRAD:
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
            hits.append(_protocol.AUTOGRAD)
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
    graph._engine_run_backward = stub(_protocol.AUTOGRAD)
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
            setattr(module, name, stub(_protocol.AUTOGRAD))
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
                    setattr(cls, method, stub(_protocol.AUTOGRAD))
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


_AUTOGRAD_SWITCHES: list[tuple[Any, str]] = []  # see remember_clean_state


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


_STATUS_CODE = {status: n for n, status in enumerate(_protocol.STATUS_CODES)}


class _Sender:
    """Frames to the supervisor. A case's result is a record (``_wire.RUNNER_RECORD``),
    written as soon as the case ends: its arrival tells the supervisor that the next case
    has started, so no ``start`` frame is needed but for a job's first case."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, header: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        _wire.write_all(self.fd, _wire.pack(header, buffers))

    def send_result(self, header: dict[str, Any], buffers: list[bytes]) -> None:
        """The record of a case: status, index, seconds and FLOPs in fixed fields, the rest
        (value, exception) in a frame behind them."""
        rest = dict(header)
        del rest["op"]
        i = rest.pop("i")
        seconds = rest.pop("seconds", None)
        flops = rest.pop("flops", None)
        record = _wire.pack_record(
            _STATUS_CODE[rest.pop("status")],
            i,
            seconds if type(seconds) is float else 0.0,
            min(flops, (1 << 63) - 1) if type(flops) is int and flops >= 0 else -1,
            rest,
            buffers,
        )
        _wire.write_all(self.fd, record)


def serve(
    cmd_r: int, res_w: int, out_w: int, ack_r: int, sandboxed: bool, seccomp_filter: bytes
) -> NoReturn:
    """Runs in a forked runner; never returns."""
    try:
        _serve(cmd_r, res_w, out_w, ack_r, sandboxed, seccomp_filter)
    except BaseException:  # noqa: BLE001
        pass
    os._exit(_protocol.ExitCode.OK)


def _serve(
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
            if sandboxed:  # (checked at start-up: _worker._check_seccomp)
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
        frame = _wire.read_frame(5, _protocol.INPUT_FRAME_BYTES)
        if frame is None:
            return
        header, bufs = frame
        op, j = header.get("op"), header.get("j")
        if op == "setup" and type(j) is int and j not in jobs:
            if forbid is None:
                # Until ``armed`` no student code has run in this process: a failure here is
                # the sandbox's (a limit it cannot set, memory it cannot get), never the
                # student's, and the supervisor reports it so.
                try:
                    cpu_hard = _apply_process_limits(header["process"], sandboxed)
                    _canary()  # before the bans: known-good code may use what they ban
                    forbid = sorted(header["forbid"])
                    if forbid:
                        _install_forbid(forbid, hits, header["device"])
                except BaseException as exc:  # noqa: BLE001 -- reported, then the runner ends
                    out.send({"op": "unfit", "why": _unfit_reason(exc)})
                    return
                out.send({"op": "armed"})
            elif sorted(header["forbid"]) != forbid:
                return  # jobs with different bans never share a runner
            job = jobs[j] = _RunnerJob(header)
            switch.to(job)
            job.load(hits)
        elif op == "cases" and j in jobs:
            job = jobs[j]
            switch.to(job)
            if header["cases"]:  # each later case starts as the previous one's record is sent
                out.send({"op": "start", "i": header["cases"][0]["i"]})
            for case in header["cases"]:
                i = case["i"]
                if job.failed is not None:
                    out.send_result({"op": "case", "i": i, **job.failed}, [])
                else:
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
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY and hard < cap:
            raise _Unfit(
                f"the grader runs under an address-space limit (ulimit -v) of {hard >> 20} MB, "
                f"below the {cap >> 20} MB a student's process needs here (the sandbox's "
                f"{process['memory_mb']} MB on top of {vm >> 20} MB mapped at start); raise "
                "or remove that limit"
            )
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # (torch runs one thread: set at import, before the zygote forked)
    return cpu_hard


class _Unfit(Exception):
    """This runner cannot give a student's code the conditions the question promises."""


def _unfit_reason(exc: BaseException) -> str:
    """One line for the TA on why a runner could not be set up (no student code has run)."""
    if isinstance(exc, _Unfit):
        return str(exc)[:500]
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001
        text = ""
    return f"setting up the student's process failed: {type(exc).__name__}: {text}"[:500]


def _canary() -> None:
    """Known-good code run under the limits just set, before any student code: numpy and
    torch allocate and compute. A runner in which this fails (the grader's machine is out of
    memory or address space) would fail any student's code, so it is reported as the
    sandbox's failure instead of running theirs."""
    a = np.ones((256, 1024))  # 2 MB
    t = torch.ones(128, 128)
    value = float(a.sum()) + float((t @ t).sum())
    if value != 256 * 1024 + 128**3:
        raise _Unfit("the sandbox's known-good check computed a wrong value")


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


_ZYGOTE_SETTINGS: list[Any] | None = None  # see remember_clean_state


def remember_clean_state() -> None:
    """Called once in the clean image, before any runner is forked: the process-wide
    settings every job starts from, and every place a module holds a function that would
    switch autograd back on (walking every module in each runner instead would copy
    thousands of shared pages)."""
    global _ZYGOTE_SETTINGS
    _ZYGOTE_SETTINGS = _process_settings()
    _AUTOGRAD_SWITCHES[:] = _autograd_switches()


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
    used = time.process_time()  # this process's user + system time, as RLIMIT_CPU counts it
    soft = min(cpu_hard, math.ceil(used + limits["cpu_seconds"]) + 1)
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
    out.send_result(header, buffers)


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
