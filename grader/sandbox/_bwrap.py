"""Building the bubblewrap command line and the per-sandbox process limit.

What the sandbox sees (everything read-only unless said otherwise):

* ``/usr`` and the ``/bin``, ``/lib``, ``/lib64``, ``/sbin`` links or directories;
* ``/etc/ld.so.cache`` and ``/etc/ld.so.conf*`` (so the loader finds libgomp and friends);
* the Python interpreter and its standard library (no site folder: any ``site-packages``
  that would show is covered by an empty tmpfs), and under ``/sandbox/site`` the top-level
  folders of numpy, torch and the distributions they require, one by one -- never a whole
  site folder or virtualenv, so neither this grader, nor ``reference_impls``, nor a
  course's references, questions or submissions are in the sandbox, however the grader was
  installed (editable, wheel, system-wide);
* ``/sandbox/_worker.py`` and its siblings ``SANDBOX_FILES``, the only grader files;
* a private ``/proc`` (own PID namespace), a minimal read-only ``/dev``, and two small
  writable tmpfs: ``/tmp`` and ``/dev/shm``; the root itself is remounted read-only;
* with a GPU: the ``/dev/nvidia*`` device nodes and ``/sys`` (read-only), for the driver.

Namespaces: all of them (user, PID, network, IPC, UTS, cgroup), no capabilities, no nested
user namespaces, a new session (no terminal injection), and the sandbox dies with the
grader. The environment is cleared and replaced by a minimal one.

Process limits must hold *per sandbox*. ``RLIMIT_NPROC`` is counted per (user namespace,
uid) on Linux >= 5.14, so with one user namespace per sandbox it is a per-sandbox limit --
except when the grader runs as root: a root-mapped uid is exempt from ``RLIMIT_NPROC``. As
root we therefore put each sandbox in its own ``pids`` cgroup (v1 or v2) with ``pids.max``
set, and refuse to start when no such cgroup can be created.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import glob
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.sandbox._protocol import ONE_THREAD_ENV
from grader.sandbox._types import SandboxUnavailable

INSTALL_HINT = (
    "install bubblewrap: `sudo apt-get install bubblewrap` (Debian/Ubuntu) or "
    "`sudo dnf install bubblewrap` (Fedora)"
)
WORKER_DIR = Path(__file__).resolve().parent
SANDBOX_DIR = "/sandbox"
SANDBOX_FILES = (
    "_worker.py",
    "_supervisor.py",
    "_student_process.py",
    "_protocol.py",
    "_wire.py",
    "_flops.py",
    "_seccomp.py",
)
"""The only grader files inside the sandbox (mounted read-only under ``/sandbox``)."""
TMP_BYTES = 256 * 1024 * 1024
SHM_BYTES = 16 * 1024 * 1024


def find_bwrap() -> str:
    """Path of the bwrap executable; SandboxUnavailable says how to install it."""
    exe = shutil.which("bwrap") or (
        "/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK) else None
    )
    if exe is None:
        raise SandboxUnavailable(
            "bubblewrap (`bwrap`) is not installed, so student code cannot be isolated; "
            f"{INSTALL_HINT}. "
            "To run only your own code without isolation, use --no-sandbox."
        )
    return exe


SITE_DIR = f"{SANDBOX_DIR}/site"
"""Where the packages student code may import are mounted (one entry per top-level name)."""
SANDBOX_PACKAGES = ("numpy", "torch")
"""The distributions student code may import, with everything they require (extras aside)."""


def _interpreter() -> str:
    """The real Python binary behind ``sys.executable`` (a venv's python is a link to it)."""
    return os.path.realpath(sys.executable)


def _required_distributions(names: tuple[str, ...]) -> list[Any]:
    """The installed distributions ``names`` and, transitively, what they require."""
    seen: dict[str, Any] = {}
    todo = list(names)
    while todo:
        name = re.split(r"[\s;<>=!~\[(]", todo.pop(), maxsplit=1)[0].lower().replace("_", "-")
        if not name or name in seen:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # an optional or platform-specific requirement not installed here
        seen[name] = dist
        todo += [r for r in dist.requires or [] if "extra ==" not in r and "extra==" not in r]
    return list(seen.values())


def _top_level_paths(dist: Any) -> set[Path]:
    """The top-level files and folders a distribution installed into its site folder."""
    site = Path(dist.locate_file("")).resolve()
    out: set[Path] = set()
    # RECORD read as text: ``dist.files`` builds a path object per file (torch installs tens
    # of thousands), about a second on the way to starting the first sandbox
    record = dist.read_text("RECORD") or ""
    for row in csv.reader(record.splitlines()):
        first = row[0].replace("\\", "/").split("/", 1)[0] if row else ""
        if not first or first in ("..", "__pycache__") or first.endswith(".pth"):
            continue
        out.add(site / first)
    if not out:  # no RECORD: the packages it names at top level
        top = dist.read_text("top_level.txt") or ""
        out = {site / n for n in top.split() if (site / n).exists()}
    return {p for p in out if p.exists()}


@functools.cache
def package_mounts() -> tuple[tuple[str, str], ...]:
    """``(source, target)`` for each top-level entry of the sandbox's packages: numpy, torch
    and what they need, mounted one by one under ``SITE_DIR``. Never a whole site folder, so
    nothing else installed beside them (this grader, ``reference_impls``, a course's
    references) is in the sandbox, whatever way the grader was installed. Read once per
    process (about 0.5 s of package metadata; the installed packages do not change under a
    running grader) and shared by every worker it starts."""
    mounts: dict[str, str] = {}
    for dist in _required_distributions(SANDBOX_PACKAGES):
        for path in _top_level_paths(dist):
            mounts.setdefault(path.name, str(path))
    return tuple(sorted((src, f"{SITE_DIR}/{name}") for name, src in mounts.items()))


def _python_mounts() -> list[str]:
    """The interpreter binary, its shared library and its standard library."""
    exe = _interpreter()
    paths = [exe, sysconfig.get_paths()["stdlib"]]
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    for name in glob.glob(os.path.join(libdir, "libpython3*.so*")):
        paths.append(name)
    return sorted({os.path.realpath(p) for p in paths if not p.startswith("/usr/")})


def _hidden_site_folders() -> list[str]:
    """Site folders that the mounts above would otherwise show (``/usr`` is mounted whole,
    the standard library may hold the base interpreter's ``site-packages``): each is
    covered by an empty tmpfs."""
    import site

    candidates = {*site.getsitepackages(), site.getusersitepackages() or ""}
    candidates |= set(glob.glob("/usr/lib/python3*/*-packages"))
    candidates |= set(glob.glob("/usr/local/lib/python3*/*-packages"))
    candidates |= set(glob.glob(os.path.join(sysconfig.get_paths()["stdlib"], "*-packages")))
    visible = ["/usr/", *(p + os.sep for p in _python_mounts())]
    return sorted(
        p
        for p in {os.path.realpath(c) for c in candidates if c}
        if os.path.isdir(p) and any((p + os.sep).startswith(v) for v in visible)
    )


def bwrap_argv(bwrap: str, *, gpu: bool, command: list[str]) -> list[str]:
    """The full bwrap command line running ``command`` in a fresh sandbox."""
    argv = [
        bwrap,
        "--unshare-all",
        "--unshare-user",
        # The worker itself is PID 1 of the sandbox: the kernel delivers no signal without a
        # handler (SIGSTOP and SIGKILL included) from inside the namespace to it, and no bwrap
        # process with the grader's pipes or environment is left in the sandbox to reach.
        "--as-pid-1",
        "--uid",
        "1000",
        "--gid",
        "1000",
        "--hostname",
        "sandbox",
        "--cap-drop",
        "ALL",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        # The private /tmp comes first so that a Python or venv that lives under /tmp (a CI
        # checkout, say) is bound on top of it instead of being hidden by it.
        "--size",
        str(TMP_BYTES),
        "--tmpfs",
        "/tmp",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for name in ("bin", "lib", "lib64", "sbin", "lib32", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    for path in ["/etc/ld.so.cache", "/etc/ld.so.conf", *glob.glob("/etc/ld.so.conf.d")]:
        argv += ["--ro-bind-try", path, path]
    for path in _python_mounts():
        argv += ["--ro-bind", path, path]
    for path in _hidden_site_folders():
        argv += ["--tmpfs", path]
    for src, target in package_mounts():
        argv += ["--ro-bind", src, target]
    for name in SANDBOX_FILES:
        argv += ["--ro-bind", str(WORKER_DIR / name), f"{SANDBOX_DIR}/{name}"]
    argv += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(SHM_BYTES),
        "--tmpfs",
        "/dev/shm",
    ]
    if gpu:
        for node in sorted(glob.glob("/dev/nvidia*")):
            if os.path.isdir(node):
                continue
            argv += ["--dev-bind", node, node]
        argv += ["--ro-bind-try", "/sys", "/sys"]
    argv += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp"]
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",
        **ONE_THREAD_ENV,
        "PYTHONDONTWRITEBYTECODE": "1",
        # No passwd entry exists for the sandbox's uid: name the user for getpass.getuser()
        # (torch's compile caches ask for it) and keep torch's caches in the private /tmp.
        "USER": "student",
        "LOGNAME": "student",
        "TORCHINDUCTOR_CACHE_DIR": "/tmp/.torchinductor",
        "TRITON_CACHE_DIR": "/tmp/.triton",
    }
    for key, value in env.items():
        argv += ["--setenv", key, value]
    return argv + ["--", *command]


def worker_command(
    sandboxed: bool, tmp: str, fds: tuple[int, int], *, warm_flops: bool = True
) -> list[str]:
    """The Python command that starts a warm worker reading frames from ``fds[0]`` and
    writing them to ``fds[1]`` (its standard streams are /dev/null); without
    ``warm_flops`` its zygote skips warming up FLOP counting (see ``_worker._warm_up``)."""
    mode = "--sandboxed" if sandboxed else "--plain"
    if sandboxed:  # the real interpreter, no site: only SITE_DIR is added (by _worker)
        exe, flags, script = _interpreter(), ["-I", "-S", "-B"], f"{SANDBOX_DIR}/_worker.py"
    else:
        exe, flags, script = sys.executable, ["-I", "-B"], str(WORKER_DIR / "_worker.py")
    flops = [] if warm_flops else ["--no-flops"]
    return [exe, *flags, script, mode, tmp, str(fds[0]), str(fds[1]), *flops]


# --------------------------------------------------------------------------- pids cgroups


@dataclass
class PidsCgroup:
    """A ``pids`` cgroup holding one sandbox; ``pids.max`` caps its processes plus threads."""

    path: Path

    def set_max(self, count: int) -> None:
        (self.path / "pids.max").write_text(str(count))

    def current(self) -> int:
        return int((self.path / "pids.current").read_text().strip() or 0)

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` run by a shell that first moves itself into this cgroup."""
        procs = str(self.path / "cgroup.procs")
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', procs, *argv]

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            for pid in (self.path / "cgroup.procs").read_text().split():
                with contextlib.suppress(OSError):
                    os.kill(int(pid), 9)
        for _ in range(200):  # killed processes leave the cgroup a moment later
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.01)


def _own_cgroup(controller: str | None) -> str | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if (controller is None and controllers == "") or (
            controller is not None and controller in controllers.split(",")
        ):
            return path
    return None


_counter = 0


def make_pids_cgroup() -> PidsCgroup | None:
    """A fresh pids cgroup for one sandbox, or None when this machine offers none."""
    global _counter
    _counter += 1
    name = f"grader-sandbox-{os.getpid()}-{_counter}"
    candidates: list[Path] = []
    v1 = _own_cgroup("pids")
    if v1 is not None and os.path.isdir("/sys/fs/cgroup/pids"):
        candidates.append(Path("/sys/fs/cgroup/pids") / v1.lstrip("/"))
    v2 = _own_cgroup(None)
    if v2 is not None:
        for mount in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
            if os.path.exists(f"{mount}/cgroup.controllers"):
                own = Path(mount) / v2.lstrip("/")
                # Delegate pids to our own cgroup's children when we may (it fails, harmlessly,
                # while the cgroup itself holds processes and the kernel forbids it).
                with contextlib.suppress(OSError):
                    (own / "cgroup.subtree_control").write_text("+pids")
                candidates.append(own)
                # A root that may manage cgroups can also place sandboxes at the top level
                # (a container or VM whose own cgroup cannot delegate controllers).
                candidates.append(Path(mount))
    for parent in candidates:
        path = parent / name
        try:
            path.mkdir()
        except OSError:
            continue
        if (path / "pids.max").exists():
            return PidsCgroup(path)
        with contextlib.suppress(OSError):
            path.rmdir()
    return None


def process_limit_mechanism() -> str:
    """``"cgroup"`` or ``"rlimit"``; SandboxUnavailable when neither holds per sandbox."""
    if os.geteuid() != 0:
        major, minor = (int(x) for x in os.uname().release.split(".")[:2])
        if (major, minor) >= (5, 14):
            return "rlimit"
    cgroup = make_pids_cgroup()
    if cgroup is not None:
        cgroup.remove()
        return "cgroup"
    raise SandboxUnavailable(
        "cannot limit processes per sandbox here: the grader runs as root (exempt from "
        "RLIMIT_NPROC) or on a kernel older than 5.14, and no pids cgroup can be created. "
        "Run the grader as an unprivileged user on Linux >= 5.14, or give it a writable pids "
        "cgroup (cgroup v2 with the pids controller delegated)."
    )


def probe(bwrap: str) -> tuple[bool, str]:
    """Start a real sandbox with the worker's mounts and check that Python runs in it."""
    code = (
        f"import sys; sys.path.insert(0, {SITE_DIR!r}); import numpy, torch; "
        "print('ok', sys.version.split()[0])"
    )
    argv = bwrap_argv(bwrap, gpu=False, command=[_interpreter(), "-I", "-S", "-B", "-c", code])
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap could not start a sandbox: {exc}"
    if out.returncode != 0 or not out.stdout.startswith("ok"):
        return False, f"bubblewrap failed to start a sandbox: {out.stderr.strip()[:300]}"
    return (
        True,
        f"{bwrap} started a sandbox (Python {out.stdout.split()[-1]}, no network, "
        "own PID namespace)",
    )
