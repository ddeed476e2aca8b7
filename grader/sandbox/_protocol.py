"""What the grader and the sandbox's processes agree on: names, bounds and exit codes.

Both sides import this one file: the grader as ``grader.sandbox._protocol``, the sandbox's
processes as ``_protocol`` (it is mounted read-only next to ``_worker.py``, see
``_bwrap.SANDBOX_FILES``). So it imports the standard library only.
"""

from __future__ import annotations

import enum
from typing import Literal, get_args

CaseStatus = Literal[
    "ok",
    "exception",
    "timeout",
    "cpu_limit",
    "memory_limit",
    "output_limit",
    "crashed",
    "forbidden",
    "bad_output",
    "not_runnable",
    "sandbox_error",
]
"""How running one case ended.

``ok``: the function returned a value that passed the wire checks (it may still be wrong);
``exception``: it raised; ``timeout``: wall-clock limit; ``cpu_limit``: CPU-time limit;
``memory_limit``: memory limit; ``output_limit``: printed or returned too many bytes;
``crashed``: the process ended without a result (``os._exit``, a signal); ``forbidden``:
used an API the question forbids; ``bad_output``: returned something that cannot be
checked (a tensor subclass, an object array, a lambda); ``not_runnable``: this runner
cannot run the case (a CUDA question without a GPU); ``sandbox_error``: the sandbox itself
failed (it stopped answering or broke the protocol, twice): a problem on the grader's side,
never counted against the student (the question is reported as an ``error`` and graded again
on the next run).
"""

CasePhase = Literal[
    "import", "missing", "case", "job", "skipped", "result", "stdout", "file", "batch", "protocol"
]
"""Where in a job a case's run ended, when it did not end ``ok``.

``import``: importing the student's file failed; ``missing``: it does not define the
function; ``case``: the case itself hit a limit; ``job``: the case was not run because the
job's wall-clock budget was used up; ``skipped``: not run after ``SKIP_AFTER_LIMITS`` cases
in a row hit a time limit; ``result`` / ``stdout`` / ``file`` / ``batch``: which output was
too large; ``protocol``: the result channel was written to or broken."""

STATUSES: frozenset[str] = frozenset(get_args(CaseStatus))
"""Every ``CaseStatus``; a case message with another status is ``bad_output``."""
PHASES: frozenset[str] = frozenset(get_args(CasePhase))
"""Every ``CasePhase``; a case message with another phase has none."""
STATUS_CODES: tuple[str, ...] = get_args(CaseStatus)
"""A status's number in a case record (``_wire.RUNNER_RECORD``): its position here."""
RUNNER_STATUSES: frozenset[str] = frozenset(
    {"ok", "exception", "forbidden", "bad_output", "memory_limit", "output_limit", "not_runnable"}
)
"""The statuses a runner may report about its own case (the others are verdicts of the
supervisor or the grader); a runner's frame with any other is a broken protocol."""
NOT_RUN_PHASES: frozenset[str] = frozenset({"job", "skipped"})
"""Phases of a case that was never called (``CaseOutcome.ran`` is False)."""

SKIP_AFTER_LIMITS = 3
"""After this many consecutive cases hit a CPU or wall-time limit, the rest of the job is
skipped (and fails): a submission that hangs on every case costs seconds, not minutes."""
MAX_BATCH_RESULT_BYTES = 512 * 1024 * 1024
"""Bytes of returned values one batch (one student) may bring into the grader in all; the
values of later cases then count as ``output_limit``. Bounds the grader's memory per student."""

CONTROL_FRAME_BYTES = 1 << 20
"""The largest frame that carries no inputs, files or values (``ready``, ``batch``,
``clean``, ``done``)."""
INPUT_FRAME_BYTES = 1 << 31
"""The largest frame that carries a job's files or a case's inputs (``job``, ``hidden``, and
the supervisor's ``setup`` and ``cases`` to a runner)."""
ZYGOTE_MESSAGE_BYTES = 1 << 16
"""The largest message on the socket between the supervisor and the zygote."""

AUTOGRAD = "autograd"
"""The name of the autograd ban in a job's ``forbid``, and the label its stubs report when
no more precise one applies."""
AUTOGRAD_LABELS = frozenset(
    {AUTOGRAD, "torch.Tensor.backward", "torch.autograd.backward", "torch.autograd.grad"}
)
AUTOGRAD_PREFIXES = ("torch.func.", "torch.autograd.")
"""A forbidden call reported under one of ``AUTOGRAD_LABELS`` or these prefixes is told to
the student as a use of autograd."""

ONE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTORCH_NVML_BASED_CUDA_CHECK": "1",
}
"""The environment a worker starts numpy and torch in: one thread per pool (a forked child
of a process that used a thread pool can hang), and CUDA found without initialising it."""


class ExitCode(enum.IntEnum):
    """How the sandbox's own processes end (a student's process ends as it likes)."""

    OK = 0
    """The worker, zygote or runner ended normally (the grader closed the pipe)."""
    NOT_PID_1 = 1
    """The worker did not start: started sandboxed, it is not PID 1 of its PID namespace."""
    SECCOMP_REFUSED = 2
    """The worker did not start: this kernel refuses the runners' seccomp filter."""
    SECCOMP_NOT_INSTALLED = 3
    """The start-up check's child could not install the seccomp filter."""
    SECCOMP_DID_NOT_HOLD = 4
    """The start-up check's child installed the filter, and it let a forbidden call through."""


class BatchEnd(enum.IntEnum):
    """How the supervisor's hold of one batch ended, which decides what it does next."""

    DONE = 0
    """``done`` was sent: clean up and wait for the next batch."""
    BROKEN = 2
    """Something broke mid-batch: say ``done`` with ``failed`` and stop (the grader restarts
    this sandbox)."""
    GRADER_GONE = 3
    """The grader closed the pipe: stop."""
