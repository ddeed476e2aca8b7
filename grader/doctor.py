"""What this machine offers the grader: Python, torch, CUDA, bubblewrap, CPUs, and which
matcher reads free-text answers (the embedding model, or the keyword rubric and why)."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass

__all__ = ["Finding", "diagnose"]


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str


def _bwrap_probe() -> tuple[bool, str]:
    try:
        from grader.sandbox import sandbox_available

        return sandbox_available()
    except ImportError:
        pass
    exe = shutil.which("bwrap")
    if exe is None:
        return False, "bubblewrap is not installed: run `sudo apt-get install bubblewrap`"
    cmd = [
        exe,
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--unshare-all",
        "--die-with-parent",
        "--",
        sys.executable,
        "-c",
        "print('sandboxed')",
    ]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap could not start a sandbox: {exc}"
    if out.returncode == 0 and "sandboxed" in out.stdout:
        return True, f"{exe} started a sandbox (no network, own PID namespace)"
    return False, f"bubblewrap failed to start a sandbox: {out.stderr.strip()[:200]}"


def _text_matcher() -> Finding:
    """The free-text matcher; the keyword rubric is a working fallback, so still ok."""
    from grader.text_model import active_matcher

    return Finding("text matcher", True, active_matcher().describe())


def diagnose() -> list[Finding]:
    """Probe the machine; every finding says what to do when it is not ok."""
    findings = [
        Finding(
            "python",
            sys.version_info >= (3, 11),
            f"{platform.python_version()} at {sys.executable}",
        )
    ]
    try:
        import torch

        findings.append(Finding("torch", True, f"{torch.__version__}"))
        if torch.cuda.is_available():
            names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            findings.append(Finding("cuda", True, f"{len(names)} device(s): {', '.join(names)}"))
        else:
            findings.append(
                Finding(
                    "cuda",
                    True,
                    "no CUDA device: `cuda` questions cannot run here; `auto` falls back to CPU",
                )
            )
    except ImportError:
        findings.append(Finding("torch", False, "torch is not installed: run `make setup`"))
    ok, detail = _bwrap_probe()
    findings.append(Finding("sandbox", ok, detail))
    findings.append(_text_matcher())
    findings.append(
        Finding(
            "cpus",
            True,
            f"{os.cpu_count()} logical CPUs; default --workers {max(1, (os.cpu_count() or 1))}",
        )
    )
    return findings
