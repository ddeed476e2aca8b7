"""The data model of running code: limits, inputs, jobs, per-case outcomes, comparisons.

Everything here is a frozen value. A ``CodeJob`` holds what the sandbox may see (the
student's files, the question's non-secret support files, the inputs); expected outputs
are never part of it. A ``CaseOutcome`` is what came back, already validated. Its
``CaseStatus`` and ``CasePhase`` are defined in ``_protocol``, beside the other names the
sandbox's processes share with the grader.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from grader.errors import InfrastructureError
from grader.sandbox._protocol import NOT_RUN_PHASES, CasePhase, CaseStatus

__all__ = [
    "CaseInput",
    "CaseOutcome",
    "CasePhase",
    "CaseStatus",
    "CodeJob",
    "Comparison",
    "Construct",
    "Device",
    "Limits",
    "NOT_RUN_PHASES",
    "SandboxUnavailable",
]

Device = Literal["cpu", "cuda"]
"""Where a job's cases run. ``auto`` is resolved by the caller with ``resolve_device``."""


class SandboxUnavailable(InfrastructureError):
    """Raised when the sandbox cannot start; the message says what to install or change."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one job (a student's function run on a question's cases).

    Memory is bounded twice: ``RLIMIT_AS`` set in the child to the address space it
    inherited (torch alone maps about 0.6 GB) plus ``memory_mb``, and a watchdog in the
    sandboxed supervisor that reads the child's RSS every few milliseconds (the only
    memory bound on CUDA, where the driver reserves terabytes of address space).
    """

    cpu_seconds: float = 2.0
    """CPU time one case may use (user + system, all threads of the student's process)."""
    job_cpu_seconds: float = 30.0
    """CPU time the whole job may use (import plus every case); the kernel's hard limit."""
    wall_seconds: float = 10.0
    """Wall-clock time of one case (also bounds a student's ``import``)."""
    job_wall_seconds: float = 60.0
    """Wall-clock time of the whole job; cases not reached are reported as timed out."""
    memory_mb: int = 2048
    """Memory the student's process may add on top of the warm interpreter (RSS and address
    space)."""
    max_processes: int = 16
    """Processes plus threads the student's code may create (per sandbox, not per uid)."""
    max_open_files: int = 64
    """Open file descriptors (``RLIMIT_NOFILE``)."""
    max_file_bytes: int = 16 * 1024 * 1024
    """Largest file the code may write (``RLIMIT_FSIZE``); the private /tmp is also capped."""
    max_output_bytes: int = 64 * 1024
    """Bytes of stdout+stderr captured per case; more ends the case with ``output_limit``."""
    max_result_bytes: int = 64 * 1024 * 1024
    """Bytes one case's returned value may take on the wire (arrays included)."""

    def __post_init__(self) -> None:
        for name in ("cpu_seconds", "job_cpu_seconds", "wall_seconds", "job_wall_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)!r}")
        for name in (
            "memory_mb",
            "max_processes",
            "max_open_files",
            "max_file_bytes",
            "max_output_bytes",
            "max_result_bytes",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class Construct:
    """An input built by calling ``module:function`` from the question's support files.

    It is built inside the sandbox for the student and, separately, in the grader (trusted)
    for computing the expected output, e.g. ``Construct("tiny_lm:make_model", [], {"seed": 3})``.
    """

    __wire_construct__: ClassVar[bool] = True

    fn: str
    """``"module:function"``; the module must be one of the job's support files."""
    args: Sequence[Any] = ()
    """Positional arguments (same value kinds as case arguments, Construct included)."""
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments."""


@dataclass(frozen=True)
class CaseInput:
    """The inputs of one case; expected outputs are not here and never enter the sandbox."""

    args: tuple[Any, ...] = ()
    """Positional arguments: None/bool/int/float/str, lists/tuples/dicts of them,
    ``numpy.ndarray``, ``torch.Tensor`` (arrive as tensors of the same dtype on the job's
    device) or ``Construct``."""
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments, same kinds as ``args``."""
    visible: bool = False
    """Visible cases report exception messages and printed output; hidden cases never do."""
    name: str = ""
    """Shown in author reports; students see "case N"."""


@dataclass(frozen=True)
class CodeJob:
    """One student's function run against a list of cases in a fresh process."""

    files: Mapping[str, bytes]
    """The student's files by relative path (``"attention.py"``)."""
    entry: str
    """The student file holding the function (a key of ``files``)."""
    function: str
    """Name of the function to call."""
    cases: Sequence[CaseInput]
    """The cases, run in order."""
    support_files: Mapping[str, bytes] = field(default_factory=dict)
    """Non-secret question code the student also sees (for ``Construct``); student files
    may not shadow these names."""
    limits: Limits = field(default_factory=Limits)
    """Resource limits."""
    device: Device = "cpu"
    """Where tensors are placed and the code runs."""
    forbid: frozenset[str] = frozenset()
    """APIs the code may not use: ``"autograd"`` or dotted names such as
    ``"torch.nn.functional.scaled_dot_product_attention"``."""
    flops: bool = False
    """Count each case's FLOPs (``_flops.CountFlops``: the totals of torch's
    ``FlopCounterMode``)."""
    measure_cpu: bool = False
    """Measure each case's CPU time from outside the student's processes (``CaseOutcome.
    cpu_seconds``, nanosecond resolution); FLOP-counted jobs are measured too."""
    repeat_for_determinism: bool = False
    """Run each case twice in the same process; ``CaseOutcome.repeat_value`` holds the second
    result."""


@dataclass(frozen=True)
class CaseOutcome:
    """What running one case produced, after the grader validated the bytes that came back."""

    name: str
    """The case's name (``CaseInput.name``)."""
    index: int
    """0-based position of the case in the job."""
    status: CaseStatus
    """How the run ended; only ``ok`` outcomes carry a value worth comparing."""
    message: str
    """Student-safe explanation in the grader's words ("exceeded 2 s CPU time on case 3")."""
    value: Any = None
    """The decoded return value: numpy arrays / torch tensors rebuilt from validated bytes,
    Python scalars, strings, and lists/tuples/dicts of these."""
    repeat_value: Any = None
    """The second run's value when ``repeat_for_determinism`` was set."""
    error_type: str | None = None
    """Exception class name for ``exception``."""
    error_line: int | None = None
    """Line in the student's file of the deepest frame in it."""
    error_file: str | None = None
    """The student's file that line is in."""
    stdout: str | None = None
    """Printed output (stdout and stderr), kept only for visible cases."""
    flops: int | None = None
    """FLOPs counted when the job asked for them (counted inside the student's process: a
    claim, checked against ``cpu_seconds``)."""
    cpu_seconds: float | None = None
    """CPU time of the case, measured by the sandbox's supervisor from outside the student's
    processes (their children included), when the job counted FLOPs or asked for it."""
    seconds: float = 0.0
    """Wall-clock time of the call."""
    device: str | None = None
    """Device of a returned tensor (``"cpu"``, ``"cuda:0"``), so a wrong device can be named."""
    phase: CasePhase | None = None
    """Where the run ended when it did not end ``ok`` (see ``CasePhase``)."""

    @property
    def ran(self) -> bool:
        """False when the case was never called (the job's budget was spent before it)."""
        return not (self.status == "timeout" and self.phase in NOT_RUN_PHASES)


@dataclass(frozen=True)
class Comparison:
    """Whether a student's value matches the expected one, with a student-facing reason."""

    passed: bool
    """True when the value is accepted."""
    message: str
    """Empty when passed; otherwise PrairieLearn-style, e.g.
    "does not have correct shape--got: (3,), expected: (3, 1)"."""
