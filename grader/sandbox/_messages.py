"""What the student reads about each case: the sandbox's case message, checked and worded.

``case_outcome`` turns one case message of the sandbox (a header and its buffers, every
byte hostile) into a validated ``CaseOutcome``: the value decoded with the hostile-bytes
decoder of ``_wire``, every field checked for type and range, and a message in the
grader's words. For hidden cases nothing the student's code chose reaches the message:
no printed output, no exception message, no exit status, no line number, and an exception
class only when it is one of Python, torch or numpy.
"""

from __future__ import annotations

import math
import re
import sys
from typing import Any, cast

from grader.sandbox import _wire
from grader.sandbox._protocol import (
    AUTOGRAD_LABELS,
    AUTOGRAD_PREFIXES,
    MAX_BATCH_RESULT_BYTES,
    NOT_RUN_PHASES,
    PHASES,
    RUNNER_STATUSES,
    SKIP_AFTER_LIMITS,
    STATUS_CODES,
    STATUSES,
)
from grader.sandbox._types import CaseOutcome, CasePhase, CaseStatus, CodeJob, Limits
from grader.sandbox._wire import GRADER_RECORD

_RUNNER_KEYS: dict[str, type | None] = {
    "value": None,
    "value2": None,
    "error_type": str,
    "error_module": str,
    "error_file": str,
    "error_line": int,
    "error_message": str,
    "device": str,
    "phase": str,
    "code": str,
    "forbidden": str,
}
"""The fields a runner may set in the rest of its record, and their types (None: any)."""


def record_message(payload: bytes) -> tuple[int, int, dict[str, Any], list[bytes]]:
    """(job, case, message, buffers) of a case record from the sandbox
    (``_wire.GRADER_RECORD``). Raises WireError when the supervisor's own fields are
    malformed (the sandbox broke); the runner's rest is hostile, and a malformed rest is that
    case's ``bad_output``. Only the fields a runner may set are taken from the rest; status
    (one a runner may report), CPU and printed output come from the fixed fields."""
    size = GRADER_RECORD.size
    if len(payload) < size:
        raise _wire.WireError("truncated case record")
    mark, code, i, j, cpu, seconds, flops, n_out = GRADER_RECORD.unpack_from(payload)
    if mark != _wire.RECORD_MARK or code >= len(STATUS_CODES) or size + n_out > len(payload):
        raise _wire.WireError("malformed case record")
    status = STATUS_CODES[code]
    if status not in RUNNER_STATUSES:
        return j, i, {"status": "bad_output", "phase": "protocol"}, []
    try:
        rest, bufs = _wire.unpack(memoryview(payload)[size + n_out :])
    except _wire.WireError:
        return j, i, {"status": "bad_output", "phase": "protocol"}, []
    h: dict[str, Any] = {
        k: v for k, v in rest.items() if k in _RUNNER_KEYS and _RUNNER_KEYS[k] in (None, type(v))
    }
    h.update(status=status, seconds=seconds, flops=flops if flops >= 0 else None)
    if not math.isnan(cpu):
        h["cpu"] = cpu
    if n_out:
        h["stdout"] = payload[size : size + n_out].decode("utf-8", "replace")
    return j, i, h, bufs


_DETAIL_RE = re.compile(r"^(signal SIG[A-Z0-9]{1,10}|exit status \d{1,3})$")


def not_run_reason(phase: str | None, limits: Limits) -> str:
    """Why a case that was never called (``CaseOutcome.ran`` is False) was not run."""
    if phase == "skipped":
        return f"skipped after {SKIP_AFTER_LIMITS} cases in a row exceeded their time limit"
    return f"the job used up its {limits.job_wall_seconds:g} s wall-clock limit"


def case_outcome(job: CodeJob, i: int, h: dict[str, Any], bufs: list[bytes]) -> CaseOutcome:
    """Validate one case message from the worker and word it for the student."""
    case = job.cases[i]
    visible = case.visible
    limits = job.limits
    n = i + 1
    status = h.get("status")
    if status not in STATUSES:
        status = "bad_output"
    value = repeat = None
    device = None
    error_type = error_file = None
    error_line = None
    stdout = None
    if visible and type(h.get("stdout")) is str:
        stdout = h["stdout"][: limits.max_output_bytes]
    if status == "ok":
        decoder = _wire.Decoder(bufs, max_bytes=limits.max_result_bytes)
        try:
            value = decoder.decode(h.get("value"))
            if job.repeat_for_determinism:
                repeat = decoder.decode(h.get("value2"))
            torch = sys.modules.get("torch")  # a tensor came back: torch is imported
            if torch is not None and isinstance(value, torch.Tensor):
                device = str(value.device)
        except _wire.WireError as exc:
            status = "bad_output"
            h = {"error_message": str(exc)}
        except Exception:  # noqa: BLE001 -- bytes the decoder should have refused: still the value's fault
            status = "bad_output"
            h = {}
            value = repeat = None
    if status in ("exception", "memory_limit", "forbidden"):
        error_file = h.get("error_file") if h.get("error_file") in job.files else None
        error_line = _real_line(job, error_file, h.get("error_line")) if visible else None
        error_type = _error_type(h, visible)
    flops = h.get("flops") if type(h.get("flops")) is int and 0 <= h["flops"] < 1 << 63 else None
    raw_seconds: Any = h.get("seconds")
    # the runner's own clock: a number the student could choose, so not for hidden cases
    seconds = (
        float(raw_seconds)
        if visible and type(raw_seconds) in (int, float) and 0 <= raw_seconds < 1e6
        else 0.0
    )
    raw_cpu: Any = h.get("cpu")
    cpu = float(raw_cpu) if type(raw_cpu) in (int, float) and 0 <= raw_cpu < 1e6 else None
    message = _message(job, status, n, h, visible, error_type, error_file, error_line)
    return CaseOutcome(
        name=case.name,
        index=i,
        status=cast(CaseStatus, status),
        message=message,
        value=value,
        repeat_value=repeat,
        error_type=error_type if status == "exception" else None,
        error_line=error_line,
        error_file=error_file,
        stdout=stdout,
        flops=flops,
        cpu_seconds=cpu,
        seconds=seconds,
        device=device,
        phase=cast(CasePhase, h["phase"]) if status != "ok" and h.get("phase") in PHASES else None,
    )


def _real_line(job: CodeJob, file: str | None, line: Any) -> int | None:
    """``line`` when it is a line of the student's ``file`` (a traceback can be forged with
    ``compile(..., filename)`` to name any number), else None."""
    if file is None or type(line) is not int or line < 1:
        return None
    return line if line <= job.files[file].count(b"\n") + 1 else None


def _error_type(h: dict[str, Any], visible: bool) -> str | None:
    """The exception's class name. For hidden cases only the name of a real exception class
    of Python, torch or numpy, as this process knows them (a student's class can take any
    name and claim any module): a choice among a few dozen names, never free text."""
    import builtins
    import sys

    name, module = h.get("error_type"), h.get("error_module")
    if type(name) is not str or not name.isidentifier() or len(name) > 100:
        return None
    if visible:
        return name
    if module == "builtins":
        owner: Any = builtins
    elif type(module) is str and module.split(".")[0] in ("torch", "numpy"):
        owner = sys.modules.get(module)  # never imported on the student's word
    else:
        return None
    cls = getattr(owner, name, None)
    if isinstance(cls, type) and issubclass(cls, BaseException) and cls.__name__ == name:
        return name
    return None


def _message(
    job: CodeJob,
    status: str,
    n: int,
    h: dict[str, Any],
    visible: bool,
    error_type: str | None,
    error_file: str | None,
    error_line: int | None,
) -> str:
    limits = job.limits
    phase = h.get("phase")
    if status == "ok":
        return ""
    if status == "sandbox_error":
        # the detail is the supervisor's, or a runner's from before any student code ran
        detail = h.get("detail")
        why = f": {detail[:500]}" if type(detail) is str and detail else ""
        return (
            f"the sandbox failed during case {n} (a problem on the grader's side{why}); "
            "it will be run again"
        )
    if status == "not_runnable":
        return "this question needs a CUDA GPU; this runner has none"
    if status == "timeout":
        if phase in NOT_RUN_PHASES:
            return f"case {n} was not run: {not_run_reason(phase, limits)}"
        return f"exceeded {limits.wall_seconds:g} s wall-clock time on case {n}"
    if status == "cpu_limit":
        return f"exceeded {limits.cpu_seconds:g} s CPU time on case {n}"
    if status == "memory_limit":
        return f"exceeded {limits.memory_mb} MB of memory on case {n}"
    if status == "output_limit":
        if phase == "result":
            return f"returned more than {limits.max_result_bytes} bytes on case {n}"
        if phase == "file":
            return f"wrote a file larger than {limits.max_file_bytes} bytes on case {n}"
        if phase == "batch":
            return (
                f"returned more than {MAX_BATCH_RESULT_BYTES >> 20} MB across all cases by case {n}"
            )
        return f"printed more than {limits.max_output_bytes} bytes on case {n}"
    if status == "crashed":
        detail = h.get("detail")
        # an exit status or signal is the student's choice: shown for visible cases only
        why = f" ({detail})" if visible and type(detail) is str and _DETAIL_RE.match(detail) else ""
        return f"the process ended during case {n} without returning a result{why}"
    if status == "forbidden":
        name = h.get("forbidden")
        if name in AUTOGRAD_LABELS or (type(name) is str and name.startswith(AUTOGRAD_PREFIXES)):
            return "used autograd, which this question forbids"
        if type(name) is str and name in job.forbid:
            return f"used {name}, which this question forbids"
        return "used an API this question forbids"
    if status == "bad_output":
        if phase == "protocol":
            return f"wrote to the grader's result channel or broke its protocol on case {n}"
        text = h.get("error_message")
        if visible and type(text) is str:
            return f"the value returned on case {n} {text[:300]}"
        hint = _bad_output_hint(h.get("code", text))
        return f"the value returned on case {n} cannot be checked: {hint}"
    # exception
    if phase == "missing":
        return f"{job.entry} does not define a function named {job.function!r}"
    what = (
        f"raised {error_type}"
        if error_type
        else "raised an exception of a class defined in your code"
    )
    where = f" at line {error_line} of {error_file}" if error_line and error_file else ""
    when = " while being imported" if phase == "import" else f" on case {n}"
    text = h.get("error_message")
    detail = f": {text[:1000]}" if visible and type(text) is str and text else ""
    return f"{what}{where}{when}{detail}"


def _bad_output_hint(text: Any) -> str:
    """A fixed phrase for a hidden case (never text the student's code chose)."""
    if type(text) is not str:
        return "return tensors, arrays, numbers, strings or lists of them"
    for prefix, hint in (
        (
            "is a torch.Tensor subclass",
            "it is a torch.Tensor subclass; return a plain torch.Tensor",
        ),
        (
            "is a numpy.ndarray subclass",
            "it is a numpy.ndarray subclass; return a plain numpy.ndarray",
        ),
        ("is a numpy array of dtype", "its dtype is not allowed"),
        ("is a tensor of dtype", "its dtype is not allowed"),
        ("is nested", "it is nested too deeply"),
        ("is larger than", "it is too large"),
    ):
        if text.startswith(prefix):
            return hint
    return "return tensors, arrays, numbers, strings or lists of them"
