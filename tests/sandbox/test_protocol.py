"""What the grader and the sandbox's processes agree on (``_protocol``) holds on both sides.

The sandbox's processes run from a handful of files mounted into the sandbox, with no
site folder: every sibling they import must be mounted, and every status or phase they
send must be one the grader knows (an unknown status reads as ``bad_output``, an unknown
phase is dropped, either one silently).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from grader.sandbox import _bwrap, _protocol

SANDBOX_DIR = Path(_bwrap.__file__).parent
PROCESS_MODULES = ("_worker.py", "_supervisor.py", "_student_process.py")


def _sent(module: str, key: str) -> set[str]:
    """The string constants a module puts under ``key`` in a dict literal or a keyword."""
    tree = ast.parse((SANDBOX_DIR / module).read_text())
    found = set()
    for node in ast.walk(tree):
        pairs: list[tuple[ast.expr | None, ast.expr]] = []
        if isinstance(node, ast.Dict):
            pairs = list(zip(node.keys, node.values, strict=True))
        elif isinstance(node, ast.Call):
            pairs = [(ast.Constant(k.arg), k.value) for k in node.keywords if k.arg]
        for k, v in pairs:
            if isinstance(k, ast.Constant) and k.value == key and isinstance(v, ast.Constant):
                if isinstance(v.value, str):  # (the zygote's wait status is a number)
                    found.add(v.value)
    return found


def test_every_status_and_phase_the_sandbox_sends_is_one_the_grader_knows() -> None:
    statuses = {m: _sent(m, "status") for m in PROCESS_MODULES}
    phases = set().union(*(_sent(m, "phase") for m in PROCESS_MODULES))
    assert {"timeout", "cpu_limit", "crashed"} <= statuses["_supervisor.py"]
    assert {"exception", "forbidden"} <= statuses["_student_process.py"]
    assert {"job", "skipped", "import", "protocol"} <= phases
    assert set().union(*statuses.values()) <= _protocol.STATUSES
    assert statuses["_student_process.py"] <= _protocol.RUNNER_STATUSES
    assert phases <= _protocol.PHASES


def _imports(module: str) -> set[str]:
    tree = ast.parse((SANDBOX_DIR / module).read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_sandbox_mounts_every_sibling_its_processes_import_and_nothing_else() -> None:
    mounted = {name.removesuffix(".py") for name in _bwrap.SANDBOX_FILES}
    seen = set()
    for module in _bwrap.SANDBOX_FILES:
        for name in _imports(module) - {"__future__"}:
            if (SANDBOX_DIR / f"{name}.py").exists():
                seen.add(name)
                assert name in mounted, f"{module} imports {name}, which is not mounted"
            else:
                allowed = name in sys.stdlib_module_names or name in _bwrap.SANDBOX_PACKAGES
                assert allowed, f"{module} imports {name}, which the sandbox does not have"
    assert {"_protocol", "_supervisor", "_student_process", "_wire"} <= seen


def test_a_sandboxed_worker_outside_its_own_pid_namespace_refuses_to_start() -> None:
    worker = SANDBOX_DIR / "_worker.py"
    argv = [sys.executable, "-I", "-B", str(worker), "--sandboxed", "/nonexistent", "0", "1"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == _protocol.ExitCode.NOT_PID_1
    assert "must run as PID 1 of its own PID namespace" in done.stderr
