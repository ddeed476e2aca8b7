"""Warm workers and the two runners: ``SandboxRunner`` (bubblewrap) and ``InProcessRunner``.

A worker is one bubblewrap sandbox running ``_worker.py``: a supervisor and a zygote that
have imported numpy and torch once; the zygote forks a fresh runner per batch, i.e. per
student (see ``_worker``'s docstring for the life cycle). The grader talks to the
supervisor over two pipes with length-prefixed frames, reads with hard size bounds and
deadlines, and turns every case message into a checked, student-worded ``CaseOutcome``
(``_messages``). A worker that stops answering, dies, or breaks the protocol is killed and
replaced; the unanswered cases of its job are reported, and the batch goes on.
"""

from __future__ import annotations

import abc
import dataclasses
import glob
import logging
import os
import platform
import queue
import re
import select
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from grader.sandbox import _bwrap, _seccomp, _wire
from grader.sandbox._messages import case_outcome, record_message
from grader.sandbox._protocol import CONTROL_FRAME_BYTES, MAX_BATCH_RESULT_BYTES, ONE_THREAD_ENV
from grader.sandbox._types import CaseInput, CaseOutcome, CodeJob, Construct, SandboxUnavailable

NO_SANDBOX_WARNING = (
    "NO SANDBOX: student code runs as you, with your files, your network and your "
    "environment; limits are best effort and a hostile submission can read or change "
    "anything you can. Use this only to check your own code."
)
log = logging.getLogger(__name__)

_STARTUP_SECONDS = 120.0
_GRACE_SECONDS = 15.0
_CLEAN_SECONDS = 30.0
"""How long the next batch waits for a sandbox to confirm the previous student's cleanup."""


class Runner(Protocol):
    """Runs code jobs; ``SandboxRunner`` is the real one, ``InProcessRunner`` its test twin."""

    def run(self, job: CodeJob) -> list[CaseOutcome]:
        """Run every case of ``job``; one outcome per case, in order. Never raises for
        anything the student's code does."""
        ...

    def run_batch(self, jobs: Sequence[CodeJob]) -> list[list[CaseOutcome]]:
        """Run several jobs of one student together (one fresh process tree); outcomes
        per job, in order."""
        ...

    def close(self) -> None:
        """Stop the workers."""
        ...


# --------------------------------------------------------------------------- one worker


class _Worker:
    """One warm sandbox (its supervisor and zygote) and the pipes to it.

    The frame pipes are the sandbox's descriptors 3 and up, held by its supervisor alone;
    its standard input and output are /dev/null, and standard error (start-up diagnostics
    only) is closed once it is ready.
    """

    def __init__(
        self,
        make_argv: Callable[[tuple[int, int]], list[str]],
        cgroup: _bwrap.PidsCgroup | None,
        *,
        hide_args: bool = False,
    ) -> None:
        self.cgroup = cgroup
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        argv = make_argv((to_r, from_w))
        pass_fds: tuple[int, ...] = (to_r, from_w)
        if hide_args:  # bwrap reads its arguments from a pipe: /proc/1/cmdline shows nothing
            r, w = os.pipe()
            cut = argv.index("--")  # bwrap wants the command itself on its command line
            os.write(w, b"".join(a.encode() + b"\0" for a in argv[1:cut]))
            os.close(w)
            argv, pass_fds = [argv[0], "--args", str(r), *argv[cut:]], (*pass_fds, r)
        try:
            self.proc = subprocess.Popen(
                cgroup.wrap(argv) if cgroup else argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                close_fds=True,
                start_new_session=True,
                pass_fds=pass_fds,
                cwd="/",
                env={
                    "PATH": "/usr/bin:/bin",
                    "LANG": "C.UTF-8",
                    **ONE_THREAD_ENV,
                },
            )
        except BaseException:
            os.close(to_w)
            os.close(from_r)
            raise
        finally:
            for fd in pass_fds:
                os.close(fd)
        self.wfd = to_w
        self.rfd = from_r
        os.set_blocking(self.rfd, False)
        self.reader = _wire.FrameReader(CONTROL_FRAME_BYTES)
        self.pending: list[tuple[dict[str, Any], list[bytes]]] = []
        self.baseline = 0
        self.unclean = False  # a batch ended; its cleanup is not yet confirmed

    def wait_ready(self) -> None:
        try:
            header, _ = self.next_frame(time.monotonic() + _STARTUP_SECONDS, CONTROL_FRAME_BYTES)
        except (_WorkerLost, _wire.WireError) as exc:
            err = b""
            if self.proc.stderr is not None:
                os.set_blocking(self.proc.stderr.fileno(), False)
                try:
                    err = self.proc.stderr.read(4000) or b""
                except OSError:
                    pass
            self.kill()
            raise SandboxUnavailable(
                f"the sandboxed worker did not start ({exc}): "
                f"{err.decode(errors='replace').strip()[-1500:]}"
            ) from exc
        if header.get("op") != "ready":
            self.kill()
            raise SandboxUnavailable("the sandboxed worker did not start: unexpected first message")
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        if self.cgroup is not None:
            self.baseline = self.cgroup.current()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, data: bytes) -> None:
        try:
            _wire.write_all(self.wfd, data)
        except OSError as exc:
            raise _WorkerLost("the worker stopped") from exc

    def next_frame(self, deadline: float, max_bytes: int) -> tuple[dict[str, Any], list[bytes]]:
        self.reader.max_bytes = max_bytes
        while not self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _WorkerTimeout("no answer before the deadline")
            ready, _, _ = select.select([self.rfd], [], [], min(left, 1.0))
            if not ready:
                continue
            try:
                data = os.read(self.rfd, 1 << 20)
            except BlockingIOError:
                continue
            if not data:
                raise _WorkerLost("the worker ended")
            self.pending.extend(self.reader.feed(data))
        return self.pending.pop(0)

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.kill()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for fd in (self.wfd, self.rfd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.wfd = self.rfd = -1
        if self.proc.stderr is not None:
            try:
                self.proc.stderr.close()
            except OSError:
                pass
        if self.cgroup is not None:
            self.cgroup.remove()


class _WorkerLost(Exception):
    pass


class _WorkerTimeout(_WorkerLost):
    pass


# --------------------------------------------------------------------------- runners


class _PoolRunner(abc.ABC):
    """Shared machinery: a pool of warm workers, job encoding, outcome decoding."""

    sandboxed: bool

    def __init__(self, workers: int, *, warm_flops: bool = True) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers!r}")
        self.workers = workers
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False
        self._job_ids = 0
        self._failing = False  # the last batch failed in the sandbox on two workers
        self._tmp = "/tmp"
        # False: no job here counts FLOPs, so the zygotes skip warming that up (_worker)
        self._warm_flops = warm_flops
        self._starting: _Worker | None = None  # the worker being started in the background
        # Every worker is started from this one thread, alive as long as the pool: bubblewrap
        # runs with --die-with-parent, and Linux kills a child when the *thread* that started
        # it ends. Started from a short-lived thread (the background start of ``grader
        # grade``, a grading thread), a worker died with it, and the next batch waited for a
        # fresh sandbox (seconds) every time.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-spawner")
        try:
            self._idle.put(self._fresh_worker())  # the proof that this machine can start one
        except BaseException:
            self._spawner.shutdown(wait=False)
            raise
        self._adder: threading.Thread | None = None
        if workers > 1:
            self._adder = threading.Thread(
                target=self._add_workers, args=(workers - 1,), name="sandbox-pool-add", daemon=True
            )
            self._adder.start()

    def _add_workers(self, count: int) -> None:
        """Start the pool's other workers one after another, each joining as it is ready.

        Grading begins on the first: a small class is done before a second sandbox would
        be up (each one imports torch: seconds of CPU that the first worker and the grader
        need), and a big class gains a worker every few seconds. A worker that cannot start
        is left out, with a warning; the pool goes on with those it has."""
        for _ in range(count):
            with self._lock:
                if self._closed:
                    return
                try:
                    worker = self._starting = self._spawn_in_spawner()
                except Exception as exc:  # noqa: BLE001 - the pool runs with fewer workers
                    log.warning("a sandbox worker could not start: %s", exc)
                    return
            try:
                worker.wait_ready()
            except Exception as exc:  # noqa: BLE001 - as above; wait_ready killed it
                if not self._closed:  # else ``close`` killed it on purpose
                    log.warning("a sandbox worker could not start: %s", exc)
                return
            finally:
                with self._lock:
                    self._starting = None
            with self._lock:
                if self._closed:
                    worker.kill()
                    return
                self._idle.put(worker)

    def wait_for_all_workers(self) -> None:
        """Block until the workers started in the background are up (or failed to start):
        for benchmarks that time a full pool, not its first worker."""
        if self._adder is not None:
            self._adder.join()

    @abc.abstractmethod
    def _spawn(self) -> _Worker:
        """Start one warm worker: sandboxed (``SandboxRunner``) or plain (``InProcessRunner``)."""

    def _spawn_in_spawner(self) -> _Worker:
        """``_spawn`` run in the pool's own long-lived thread (see ``__init__``)."""
        return self._spawner.submit(self._spawn).result()

    def _fresh_worker(self) -> _Worker:
        worker = self._spawn_in_spawner()
        worker.wait_ready()
        return worker

    # -------------------------------------------------------------- public API

    def run(self, job: CodeJob) -> list[CaseOutcome]:
        """Run every case of ``job`` on a warm worker; see ``Runner.run``."""
        return self.run_batch([job])[0]

    def run_batch(self, jobs: Sequence[CodeJob]) -> list[list[CaseOutcome]]:
        """Run several jobs of ONE student (say every code question of a submission) as one
        batch in one sandbox: one fresh runner (a fork of the clean zygote) for all of them,
        like one notebook kernel, each job importing from its own folder with its own
        modules (jobs with different bans get a runner each). A case that crashes or hits a
        limit in a runner that held another job's code is run again alone; only that
        verdict counts.

        Visible cases of every job run first; the hidden cases are sent into the sandbox
        only after every visible case has been reported (see
        ``_supervisor.Supervisor.hold_batch``). Never mix students in one batch: their jobs
        would share a process and a /tmp until the batch ends.
        """
        for job in jobs:
            _check_job(job)
            if job.flops and not self._warm_flops:
                # its first counted case would spend FLOP counting's set-up (seconds of CPU)
                # against the student's limit: a grader mistake, never the student's
                raise ValueError(
                    "this pool was started with warm_flops=False: it cannot run a job that "
                    "counts FLOPs (make it with warm_flops=True)"
                )
        results: list[list[CaseOutcome] | None] = [None] * len(jobs)
        todo: list[int] = []
        for j, job in enumerate(jobs):
            if job.device == "cuda" and not _torch_sees_cuda():
                results[j] = [
                    case_outcome(job, i, {"status": "not_runnable"}, [])
                    for i in range(len(job.cases))
                ]
            elif not job.cases:
                results[j] = []
            else:
                todo.append(j)
        if todo:
            with self._lock:
                if self._closed:
                    raise RuntimeError("this runner is closed")
                self._job_ids += 1
                batch_id = self._job_ids
            batch = [jobs[j] for j in todo]
            for j, outcomes in zip(todo, self._run_on_worker(batch, batch_id), strict=True):
                results[j] = outcomes
        return [r if r is not None else [] for r in results]

    def _run_on_worker(self, jobs: list[CodeJob], batch_id: int) -> list[list[CaseOutcome]]:
        """Run a batch on an idle worker; a batch the sandbox failed (not the student's code:
        the supervisor stopped answering or broke the protocol) runs once more on a fresh
        worker, and what still fails is reported as ``sandbox_error``, never as the
        student's mistake. The worker always goes back to the pool or is replaced."""
        visible_frames, hidden_frames = _encode_batch(jobs, batch_id)
        outcomes: list[list[CaseOutcome]] = []
        # once a batch has failed on a fresh worker too, the machine is the likely cause (an
        # address-space limit, say): later batches get one try each until one goes through
        for _ in range(1 if self._failing else 2):
            worker = self._take_worker()
            healthy = False
            try:
                outcomes, healthy = self._drive(worker, jobs, visible_frames, hidden_frames)
            finally:
                self._give_back(worker, healthy)
            failed = any(o.status == "sandbox_error" for out in outcomes for o in out)
            if not failed:
                break
        self._failing = failed
        return outcomes

    def _take_worker(self) -> _Worker:
        """An idle worker that has confirmed the previous student's cleanup (``clean``
        within ``_CLEAN_SECONDS``); one that did not is killed and replaced."""
        worker = self._idle.get()
        try:
            if worker is not None and worker.alive() and worker.unclean:
                try:
                    header, _ = worker.next_frame(
                        time.monotonic() + _CLEAN_SECONDS, CONTROL_FRAME_BYTES
                    )
                    worker.unclean = header.get("op") != "clean"
                except (_WorkerLost, _wire.WireError, OSError):
                    pass
            if worker is None or not worker.alive() or worker.unclean:
                if worker is not None:
                    worker.kill()
                worker = self._fresh_worker()
        except BaseException:
            self._idle.put(None)  # keep the slot; the next job tries again
            raise
        return worker

    def _give_back(self, worker: _Worker, healthy: bool) -> None:
        """Return ``worker`` to the pool (it owes a ``clean``), or a fresh one in its place."""
        if healthy:
            worker.unclean = True
            self._idle.put(worker)
            return
        worker.kill()
        try:
            self._idle.put(self._fresh_worker())
        except BaseException:  # noqa: BLE001 -- the next job tries to start one again
            self._idle.put(None)

    def run_many(self, jobs: Iterable[CodeJob]) -> list[list[CaseOutcome]]:
        """Run several jobs on all workers at once; results in the order of ``jobs``."""
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(self.run, jobs))

    def close(self) -> None:
        """Stop every worker (idempotent), one still starting included."""
        with self._lock:
            self._closed = True
            if self._starting is not None:
                self._starting.kill()
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            if worker is not None:
                worker.kill()
        self._spawner.shutdown(wait=False)

    def __enter__(self) -> _PoolRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- driving a job

    def _drive(
        self,
        worker: _Worker,
        jobs: list[CodeJob],
        visible_frames: bytes,
        hidden_frames: bytes | None,
    ) -> tuple[list[list[CaseOutcome]], bool]:
        got: dict[tuple[int, int], CaseOutcome] = {}
        if worker.cgroup is not None:
            most = max(job.limits.max_processes for job in jobs)
            worker.cgroup.set_max(worker.baseline + most + len(jobs) + 4)
        budget = sum(job.limits.job_wall_seconds + len(job.cases) * 0.5 for job in jobs)
        deadline = time.monotonic() + budget + _GRACE_SECONDS
        max_frame = max(j.limits.max_result_bytes + j.limits.max_output_bytes * 4 for j in jobs) + (
            4 << 20
        )
        healthy = True
        phase_visible = True
        budget_bytes = MAX_BATCH_RESULT_BYTES
        try:
            worker.send(visible_frames)
            while True:
                header, bufs = worker.next_frame(deadline, max_frame)
                op = header.get("op")
                if op == "done":
                    if header.get("failed") is True:
                        healthy = False
                    break
                if op == "visible_done" and phase_visible and hidden_frames is not None:
                    phase_visible = False
                    worker.send(hidden_frames)
                    continue
                j: Any
                i: Any
                if op == _wire.RECORD:  # a case's result, as the runner sent it
                    j, i, header, bufs = record_message(bufs[0])
                    op = "case"
                else:  # the supervisor's own verdict (a limit, a crash, a case not run)
                    j, i = header.get("j"), header.get("i")
                if (
                    op != "case"
                    or type(j) is not int
                    or type(i) is not int
                    or not 0 <= j < len(jobs)
                    or not 0 <= i < len(jobs[j].cases)
                    or (j, i) in got
                    or jobs[j].cases[i].visible != phase_visible
                ):
                    raise _wire.WireError("unexpected message from the worker")
                if not jobs[j].cases[i].visible:  # (the supervisor dropped them already)
                    header.pop("stdout", None)
                    header.pop("error_message", None)
                size = sum(len(b) for b in bufs)
                if header.get("status") == "ok" and size > budget_bytes:
                    header, bufs = {"status": "output_limit", "phase": "batch"}, []
                budget_bytes -= size
                got[j, i] = case_outcome(jobs[j], i, header, bufs)
                del bufs
        except (_WorkerLost, _wire.WireError, OSError):
            healthy = False  # a timeout included: the supervisor enforces every case's limits
        if healthy and len(got) < sum(len(job.cases) for job in jobs):
            healthy = False  # a supervisor that ends early is not trusted with the next batch
        results = []
        for j, job in enumerate(jobs):
            outcomes = []
            for i in range(len(job.cases)):
                if (j, i) in got:
                    outcomes.append(got[j, i])
                else:
                    outcomes.append(case_outcome(job, i, {"status": "sandbox_error"}, []))
            results.append(outcomes)
        return results, healthy


class SandboxRunner(_PoolRunner):
    """Runs student code in bubblewrap sandboxes kept warm (numpy and torch imported once).

    Each of ``workers`` sandboxes is a separate bwrap with its own namespaces and its own
    process limit; each job gets a freshly forked runner from the clean zygote. ``gpu``
    exposes the NVIDIA device nodes (default: when torch sees CUDA here). Raises
    ``SandboxUnavailable`` when bubblewrap is missing or cannot start.
    """

    sandboxed = True

    def __init__(
        self, workers: int = 2, *, gpu: bool | None = None, warm_flops: bool = True
    ) -> None:
        self._bwrap = _bwrap.find_bwrap()
        if not _seccomp.supported():
            raise SandboxUnavailable(
                f"the sandbox's seccomp filter has no system-call table for {platform.machine()!r} "
                "(x86_64 and aarch64 have one); grade on one of those"
            )
        self._mechanism = _bwrap.process_limit_mechanism()
        self._gpu = _torch_sees_cuda() if gpu is None else gpu
        super().__init__(workers, warm_flops=warm_flops)

    def _spawn(self) -> _Worker:
        cgroup = _bwrap.make_pids_cgroup() if self._mechanism == "cgroup" else None
        if self._mechanism == "cgroup" and cgroup is None:
            raise SandboxUnavailable("could not create a pids cgroup for a new sandbox")
        return _Worker(
            lambda fds: _bwrap.bwrap_argv(
                self._bwrap,
                gpu=self._gpu,
                command=_bwrap.worker_command(True, "/tmp", fds, warm_flops=self._warm_flops),
            ),
            cgroup,
            hide_args=True,
        )


class InProcessRunner(_PoolRunner):
    """The test twin and ``--no-sandbox`` self-check: same worker, same protocol, NO isolation.

    The worker runs as a plain subprocess of the grader (no bubblewrap): the student's code
    sees your files, environment and network; CPU, memory, file-size and output limits
    still apply per case, but process limits are per user and leftovers are only cleaned
    up by process group. Warns with ``NO_SANDBOX_WARNING`` when created.
    """

    sandboxed = False

    def __init__(self, workers: int = 1, *, warm_flops: bool = True) -> None:
        warnings.warn(NO_SANDBOX_WARNING, RuntimeWarning, stacklevel=2)
        self._tmpdir = tempfile.TemporaryDirectory(prefix="grader-nosandbox-")
        super().__init__(workers, warm_flops=warm_flops)

    def _spawn(self) -> _Worker:
        # a folder per worker: a worker wipes its folder after each batch, and must not wipe
        # the files of a batch running on another worker at the same time
        tmp = tempfile.mkdtemp(prefix="worker-", dir=self._tmpdir.name)
        return _Worker(
            lambda fds: _bwrap.worker_command(False, tmp, fds, warm_flops=self._warm_flops), None
        )

    def close(self) -> None:
        super().close()
        self._tmpdir.cleanup()


def _torch_sees_cuda() -> bool:
    """Whether torch can use a CUDA device here. Where there are no NVIDIA device nodes
    there is none, and torch is not imported: starting the sandboxes does not wait for it."""
    if not glob.glob("/dev/nvidia[0-9]*"):
        return False
    import torch

    return bool(torch.cuda.is_available())


def sandbox_available() -> tuple[bool, str]:
    """Start a real sandbox; ``(True, what works)`` or ``(False, what to install or change)``."""
    try:
        exe = _bwrap.find_bwrap()
        mechanism = _bwrap.process_limit_mechanism()
    except SandboxUnavailable as exc:
        return False, str(exc)
    ok, detail = _bwrap.probe(exe)
    if ok:
        how = "pids cgroup" if mechanism == "cgroup" else "RLIMIT_NPROC per user namespace"
        detail += f"; processes limited per sandbox by {how}"
    return ok, detail


# --------------------------------------------------------------------------- jobs in


_ENTRY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*\.py$")


def _check_job(job: CodeJob) -> None:
    for path in list(job.files) + list(job.support_files):
        parts = path.split("/")
        if path.startswith("/") or ".." in parts or "" in parts or "\\" in path or "\0" in path:
            raise ValueError(f"file paths must be relative without '..', got {path!r}")
    if job.entry not in job.files or not _ENTRY_RE.match(job.entry):
        raise ValueError(f"entry must name one of the student's .py files, got {job.entry!r}")
    if not job.function.isidentifier():
        raise ValueError(f"function must be a Python identifier, got {job.function!r}")
    support = {_module_name(p).split(".")[0] for p in job.support_files}
    clash = sorted(p for p in job.files if _module_name(p).split(".")[0] in support)
    if clash:
        raise ValueError(f"student files {clash!r} would shadow the question's support modules")


def _module_name(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


@dataclasses.dataclass(frozen=True)
class _EncodedCases:
    """A job's cases on the wire: visible and hidden entries with their own buffers."""

    cases: tuple[CaseInput, ...]  # kept alive so that their ids stay theirs while cached
    visible: list[dict[str, Any]]
    visible_buffers: list[bytes]
    hidden: list[dict[str, Any]]
    hidden_buffers: list[bytes]


_encoded: dict[tuple[Any, ...], _EncodedCases] = {}
_encoded_lock = threading.Lock()


def _encode_cases(job: CodeJob) -> _EncodedCases:
    """Encode a job's cases once per case list: every student of a question variant gets
    the same case objects (the grader memoizes them), so the bytes are reused."""
    key = (tuple(id(c) for c in job.cases), tuple(sorted(job.support_files)))
    with _encoded_lock:
        hit = _encoded.get(key)
    if hit is not None and all(a is b for a, b in zip(hit.cases, job.cases, strict=True)):
        return hit
    lists: dict[bool, tuple[list[dict[str, Any]], list[bytes]]] = {True: ([], []), False: ([], [])}
    for i, case in enumerate(job.cases):
        for value in [*case.args, *case.kwargs.values()]:
            _check_constructs(value, job)
        entries, bufs = lists[case.visible]
        entries.append(
            {
                "i": i,
                "args": _wire.encode(tuple(case.args), bufs),
                "kwargs": _wire.encode(dict(case.kwargs), bufs),
                "visible": case.visible,
            }
        )
    enc = _EncodedCases(tuple(job.cases), *lists[True], *lists[False])
    with _encoded_lock:
        if len(_encoded) >= 256:
            _encoded.clear()
        _encoded[key] = enc
    return enc


def _encode_batch(jobs: list[CodeJob], batch_id: int) -> tuple[bytes, bytes | None]:
    """The frames of a batch: a header and, per job, its files and visible cases; then (sent
    only when the worker asks for them) per job its hidden cases. None when nothing is hidden."""
    visible = [_wire.pack({"op": "batch", "id": batch_id, "jobs": len(jobs)})]
    hidden = []
    for job in jobs:
        enc = _encode_cases(job)
        buffers = list(enc.visible_buffers)  # case buffers first: their indices stay valid
        files = []
        for path, data in job.files.items():
            buffers.append(bytes(data))
            files.append([path, len(buffers) - 1])
        support = []
        for path, data in job.support_files.items():
            buffers.append(bytes(data))
            support.append([path, len(buffers) - 1])
        header = {
            "op": "job",
            "entry": job.entry,
            "function": job.function,
            "files": files,
            "support": support,
            "cases": enc.visible,
            "hidden": len(enc.hidden),
            "input_bytes": sum(len(b) for b in buffers) + sum(len(b) for b in enc.hidden_buffers),
            "support_modules": sorted({_module_name(p) for p in job.support_files}),
            "limits": dataclasses.asdict(job.limits),
            "device": job.device,
            "forbid": sorted(job.forbid),
            "flops": job.flops,
            "measure_cpu": job.measure_cpu or job.flops,
            "repeat": job.repeat_for_determinism,
        }
        visible.append(_wire.pack(header, buffers))
        hidden.append(_wire.pack({"op": "hidden", "cases": enc.hidden}, enc.hidden_buffers))
    any_hidden = any(not c.visible for job in jobs for c in job.cases)
    return b"".join(visible), (b"".join(hidden) if any_hidden else None)


def _check_constructs(value: Any, job: CodeJob) -> None:
    if isinstance(value, Construct):
        module = value.fn.partition(":")[0]
        if module not in {_module_name(p) for p in job.support_files}:
            raise ValueError(f"Construct {value.fn!r} names no support module of this job")
        for v in [*value.args, *value.kwargs.values()]:
            _check_constructs(v, job)
    elif isinstance(value, list | tuple):
        for v in value:
            _check_constructs(v, job)
    elif isinstance(value, dict):
        for v in value.values():
            _check_constructs(v, job)
