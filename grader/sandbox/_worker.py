"""The warm worker that runs INSIDE the sandbox: its start-up, and the zygote.

Standalone on purpose: it imports the standard library, numpy, torch and its siblings
(``_bwrap.SANDBOX_FILES``) only, from its own folder, and is mounted read-only at
``/sandbox/_worker.py``. Its three kinds of process have a module each: this one starts
the worker and holds the zygote (``ForkServer``); ``_supervisor`` holds the supervisor;
``_student_process`` holds the runner, which runs the student's code. No process here ever
receives expected outputs.

Life cycle:

1. start once: import numpy and torch, pin every thread pool to one thread before the
   first torch op (a forked child of a process that used the intra-op pool can hang in
   libgomp), warm up, freeze the garbage collector's view of every object and back the
   heap with 2 MB pages (cheap forks), make itself non-dumpable (no ptrace, no
   /proc/<pid>/mem from the students' processes), then fork the **zygote**
   (``ForkServer``) and go on as the **supervisor** (``_supervisor.Supervisor``) and say
   ``ready``;
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

Usage: ``python -I [-S] -B _worker.py --sandboxed|--plain TMPDIR IN_FD OUT_FD`` (see
``_bwrap.worker_command``).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import math
import os
import platform
import select
import signal
import socket
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
if "--sandboxed" in sys.argv:  # started with -S: numpy, torch and their needs only
    sys.path.insert(1, "/sandbox/site")
import _protocol  # noqa: E402

for _name, _value in _protocol.ONE_THREAD_ENV.items():  # before numpy and torch are imported
    os.environ.setdefault(_name, _value)

import _flops  # noqa: E402
import _seccomp  # noqa: E402
import _student_process  # noqa: E402
import _supervisor  # noqa: E402
import _wire  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional  # noqa: E402, F401
from _protocol import ExitCode  # noqa: E402

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass

_libc = ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int) -> None:
    _libc.prctl(option, value, 0, 0, 0)


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
                data = self.ctl.recv(_protocol.ZYGOTE_MESSAGE_BYTES)
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
            _student_process.serve(cmd_r, res_w, out_w, ack_r, self.sandboxed, self.filter)
        for fd in (res_w, out_w, ack_r, cmd_r):
            os.close(fd)
        for fd in (res_r, out_r, cmd_w):
            os.set_blocking(fd, False)
        return pid, [res_r, out_r, ack_w, cmd_w]


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


def _warm_up(flops: bool) -> None:
    """The first call of common ops (both float dtypes, plain and, with ``flops``,
    FLOP-counted), the wire round trip, JSON: what torch builds lazily on a first call is
    built once, here. FLOP counting's first call alone takes about 2 s (torch's dispatch
    machinery): a pool for questions that count no FLOPs leaves it out."""
    for dtype in (torch.float32, torch.float64):
        for counting in (False, True) if flops else (False,):
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
                os._exit(ExitCode.OK)
            os._exit(ExitCode.SECCOMP_DID_NOT_HOLD)
        except BaseException:  # noqa: BLE001
            os._exit(ExitCode.SECCOMP_NOT_INSTALLED)
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == ExitCode.OK:
        return
    sys.stderr.write(
        "this kernel refuses the sandbox's seccomp filter (needed so that student code cannot "
        "exec, signal the supervisor or keep state); run the grader on Linux with seccomp "
        "filters allowed (CONFIG_SECCOMP_FILTER)\n"
    )
    sys.exit(ExitCode.SECCOMP_REFUSED)


def main() -> None:
    mode, tmp, inp, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    warm_flops = sys.argv[5:6] != ["--no-flops"]
    sandboxed = mode == "--sandboxed"
    if sandboxed and os.getpid() != 1:
        sys.stderr.write("the sandboxed worker must run as PID 1 of its own PID namespace\n")
        sys.exit(ExitCode.NOT_PID_1)
    # As PID 1 it gets only the signals it handles: handle none (Python's SIGINT handler
    # would let any process of the sandbox raise KeyboardInterrupt in the supervisor).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.set_inheritable(inp, False)
    os.set_inheritable(out, False)
    # Warm up, with one thread, the code paths every runner uses: whatever torch builds
    # lazily on a first call is then built once here, not again in every runner.
    _warm_up(warm_flops)
    _prctl(4, 0)  # PR_SET_DUMPABLE: no ptrace or /proc/<pid>/mem from students' processes
    _student_process.remember_clean_state()  # what every job of a runner starts from
    # Every object made so far is shared by all forks: keep the collector from touching
    # (and so copying) them in every runner.
    gc.collect()
    gc.freeze()
    base_rss = _supervisor.rss_bytes(os.getpid())
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
            os._exit(ExitCode.OK)
    ctl_zygote.close()
    _supervisor.Supervisor(inp, out, tmp, sandboxed, ctl_supervisor, zygote, base_rss).serve()


if __name__ == "__main__":
    main()
