"""The kernel's part of the runner's confinement: a seccomp filter, installed before any
student code runs and inherited by every process the student starts.

Standalone (standard library only) because it is mounted read-only into the sandbox next
to ``_worker.py``. Nothing here relies on the student's good will: once installed, a
seccomp filter cannot be removed or loosened by the process or its children
(``PR_SET_NO_NEW_PRIVS`` is set first, as the kernel requires).

What the filter refuses (``EPERM``), and why:

* ``execve``/``execveat``: no new program, so no Python started without the grader's bans
  (``subprocess.run([sys.executable, ...])``) and no other binary;
* ``ptrace``, ``process_vm_readv/writev``, ``pidfd_*``, ``kcmp``, ``*_pages``: no reaching
  into another process;
* signals (``kill``, ``tgkill``, ``rt_sigqueueinfo``, ``rt_tgsigqueueinfo``) aimed at the
  sandbox's supervisor, its zygote, their process group or "everyone" (``-1``); ``tkill``
  altogether. A runner may signal its own processes;
* SysV shared memory, semaphores and message queues, POSIX message queues and the kernel
  keyrings: state that would outlive the runner in the sandbox's namespaces and reach the
  next student, and memory no limit counts;
* ``flock``, ``fcntl`` record locks, leases and directory notifications, ``inotify`` and
  ``fanotify``: covert channels between concurrent sandboxes through the read-only files
  they share;
* changing the resource limits, affinity or scheduling of the supervisor or zygote, or the
  priority of any process but itself;
* namespaces, mounts, BPF, perf events, userfaultfd, io_uring (which would run system calls
  this filter never sees), modules, reboot and the like.

On x86-64 the x32 system-call numbers are refused too, and a process of another
architecture is killed: a filter keyed on syscall numbers must not be sidestepped by
switching ABIs.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import struct

EPERM = 1

# struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6]
_NR, _ARCH = 0, 4


def _arg(i: int) -> int:
    return 16 + 8 * i  # the low 32 bits of args[i] (little-endian)


_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_X32_BIT = 0x40000000

DENIED = (
    "execve execveat ptrace process_vm_readv process_vm_writev "
    "shmget shmat shmctl shmdt semget semop semctl semtimedop msgget msgsnd msgrcv msgctl "
    "add_key request_key keyctl mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify "
    "mq_getsetattr flock inotify_init inotify_init1 fanotify_init pidfd_open pidfd_getfd "
    "pidfd_send_signal tkill unshare setns mount umount2 pivot_root chroot bpf perf_event_open "
    "userfaultfd io_uring_setup io_uring_enter io_uring_register kcmp migrate_pages move_pages "
    "open_by_handle_at name_to_handle_at fsopen fsmount move_mount open_tree fspick "
    "mount_setattr process_madvise process_mrelease kexec_load init_module finit_module "
    "delete_module acct swapon reboot quotactl personality syslog vhangup"
).split()
"""System calls refused outright."""

SIGNALS = ("kill", "rt_sigqueueinfo", "tgkill", "rt_tgsigqueueinfo")
"""Refused when their first argument (a pid or thread-group id) is a protected process."""

TARGETED = (
    "prlimit64",
    "sched_setaffinity",
    "sched_setscheduler",
    "sched_setparam",
    "sched_setattr",
)
"""Refused when their first argument (which process or thread) is a protected process: a
student's own threads may be pinned or limited (runtimes do), the supervisor and zygote not."""

OWN_ONLY = {"setpriority": 1, "ioprio_set": 1}
"""Refused unless the argument at this position (which process) is 0, i.e. the caller: their
other forms name process groups and users, which include the protected processes."""

FCNTL_LOCKS = (5, 6, 7, 36, 37, 38, 1024, 1025, 1026)
"""``fcntl`` commands refused: F_GETLK/SETLK/SETLKW, the F_OFD_ locks, F_SETLEASE,
F_GETLEASE, F_NOTIFY."""

_SYSCALLS: dict[str, tuple[int, int | None]] = {
    "execve": (59, 221),
    "execveat": (322, 281),
    "ptrace": (101, 117),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "shmget": (29, 194),
    "shmat": (30, 196),
    "shmctl": (31, 195),
    "shmdt": (67, 197),
    "semget": (64, 190),
    "semop": (65, 193),
    "semctl": (66, 191),
    "semtimedop": (220, 192),
    "msgget": (68, 186),
    "msgsnd": (69, 189),
    "msgrcv": (70, 188),
    "msgctl": (71, 187),
    "add_key": (248, 217),
    "request_key": (249, 218),
    "keyctl": (250, 219),
    "mq_open": (240, 180),
    "mq_unlink": (241, 181),
    "mq_timedsend": (242, 182),
    "mq_timedreceive": (243, 183),
    "mq_notify": (244, 184),
    "mq_getsetattr": (245, 185),
    "flock": (73, 32),
    "inotify_init": (253, None),
    "inotify_init1": (294, 26),
    "fanotify_init": (300, 262),
    "pidfd_open": (434, 434),
    "pidfd_getfd": (438, 438),
    "pidfd_send_signal": (424, 424),
    "tkill": (200, 130),
    "unshare": (272, 97),
    "setns": (308, 268),
    "mount": (165, 40),
    "umount2": (166, 39),
    "pivot_root": (155, 41),
    "chroot": (161, 51),
    "bpf": (321, 280),
    "perf_event_open": (298, 241),
    "userfaultfd": (323, 282),
    "io_uring_setup": (425, 425),
    "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427),
    "kcmp": (312, 272),
    "migrate_pages": (256, 238),
    "move_pages": (279, 239),
    "open_by_handle_at": (304, 265),
    "name_to_handle_at": (303, 264),
    "fsopen": (430, 430),
    "fsmount": (432, 432),
    "move_mount": (429, 429),
    "open_tree": (428, 428),
    "fspick": (433, 433),
    "mount_setattr": (442, 442),
    "process_madvise": (440, 440),
    "process_mrelease": (448, 448),
    "kexec_load": (246, 104),
    "init_module": (175, 105),
    "finit_module": (313, 273),
    "delete_module": (176, 106),
    "acct": (163, 89),
    "swapon": (167, 224),
    "reboot": (169, 142),
    "quotactl": (179, 60),
    "personality": (135, 92),
    "syslog": (103, 116),
    "vhangup": (153, 58),
    "kill": (62, 129),
    "rt_sigqueueinfo": (129, 138),
    "tgkill": (234, 131),
    "rt_tgsigqueueinfo": (297, 240),
    "fcntl": (72, 25),
    "prlimit64": (302, 261),
    "setpriority": (141, 140),
    "sched_setaffinity": (203, 122),
    "sched_setscheduler": (144, 119),
    "sched_setparam": (142, 118),
    "sched_setattr": (314, 274),
    "ioprio_set": (251, 30),
}
"""System-call numbers by name: (x86_64, aarch64), from the kernel's unistd headers;
None where the architecture does not have the call."""

_MACHINES = ("x86_64", "aarch64")

_NUMBERS: dict[str, dict[str, int]] = {
    machine: {name: nr for name, nrs in _SYSCALLS.items() if (nr := nrs[i]) is not None}
    for i, machine in enumerate(_MACHINES)
}
"""The same numbers by architecture."""

# classic BPF opcodes
_LD_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RET = 0x06  # BPF_RET | BPF_K
_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_ERRNO = 0x00050000


def _ins(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k & 0xFFFFFFFF)


def _deny_if_arg_in(pos: int, values: list[int]) -> list[bytes]:
    """``return EPERM if args[pos] (low 32 bits) is one of values``; clobbers A."""
    out = [_ins(_LD_ABS, _arg(pos))]
    for v in values:
        out += [_ins(_JEQ, v, 0, 1), _ins(_RET, _ERRNO | EPERM)]
    return out


def _deny_unless_arg_zero(pos: int) -> list[bytes]:
    return [_ins(_LD_ABS, _arg(pos)), _ins(_JEQ, 0, 1, 0), _ins(_RET, _ERRNO | EPERM)]


def _when(nr: int, body: list[bytes]) -> list[bytes]:
    """``if nr == syscall: body`` then reload the syscall number into A."""
    body = [*body, _ins(_LD_ABS, _NR)]
    assert len(body) < 256
    return [_ins(_JEQ, nr, 0, len(body)), *body]


def _prologue(machine: str) -> list[bytes]:
    """Kill a process of another architecture; leave the syscall number in A."""
    return [
        _ins(_LD_ABS, _ARCH),
        _ins(_JEQ, _AUDIT_ARCH[machine], 1, 0),
        _ins(_RET, _KILL_PROCESS),
        _ins(_LD_ABS, _NR),
    ]


def build_filter(machine: str, protected: list[int]) -> bytes:
    """The filter program for ``machine`` (``platform.machine()``) protecting the pids in
    ``protected`` (and their process groups) from signals."""
    numbers = _NUMBERS[machine]
    targets = sorted({v & 0xFFFFFFFF for p in protected for v in (p, -p)} | {0xFFFFFFFF})
    prog = _prologue(machine)
    if machine == "x86_64":
        prog += [_ins(_JGE, _X32_BIT, 0, 1), _ins(_RET, _ERRNO | EPERM)]
    for name in DENIED:
        if name in numbers:
            prog += [_ins(_JEQ, numbers[name], 0, 1), _ins(_RET, _ERRNO | EPERM)]
    for name in SIGNALS:
        prog += _when(numbers[name], _deny_if_arg_in(0, targets))
    own = sorted({p & 0xFFFFFFFF for p in protected})
    for name in TARGETED:
        prog += _when(numbers[name], _deny_if_arg_in(0, own))
    for name, pos in OWN_ONLY.items():
        prog += _when(numbers[name], _deny_unless_arg_zero(pos))
    prog += _when(numbers["fcntl"], _deny_if_arg_in(1, list(FCNTL_LOCKS)))
    prog.append(_ins(_RET, _ALLOW))
    return b"".join(prog)


_CLONE_THREAD = 0x00010000
_ENOSYS = 38
_JSET = 0x45  # BPF_JMP | BPF_JSET | BPF_K


@functools.cache
def build_no_threads_filter(machine: str) -> bytes:
    """A second filter: ``clone`` with ``CLONE_THREAD`` refused (no new thread), ``clone3``
    answered ``ENOSYS`` (its flags live in memory a filter cannot read; the C library then
    falls back to ``clone``). Processes may still fork."""
    clone, clone3 = _CLONES[machine]
    prog = [
        *_prologue(machine),
        _ins(_JEQ, clone3, 0, 1),
        _ins(_RET, _ERRNO | _ENOSYS),
        _ins(_JEQ, clone, 0, 3),
        _ins(_LD_ABS, _arg(0)),
        _ins(_JSET, _CLONE_THREAD, 0, 1),
        _ins(_RET, _ERRNO | EPERM),
        _ins(_RET, _ALLOW),
    ]
    return b"".join(prog)


_CLONES = {"x86_64": (56, 435), "aarch64": (220, 435)}


def install_no_threads() -> None:
    """Install ``build_no_threads_filter`` (on top of the first; filters only add up)."""
    install_program(build_no_threads_filter(platform.machine()))


def supported() -> bool:
    """Whether this machine's architecture has a filter here."""
    return platform.machine() in _NUMBERS


def install(protected: list[int]) -> None:
    """Install ``build_filter`` on the calling process (call it single-threaded, before any
    student code). Raises OSError when the kernel refuses: a runner must not go on without it."""
    install_program(build_filter(platform.machine(), protected))


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_libc = ctypes.CDLL(None, use_errno=True)


def install_program(program: bytes) -> None:
    """Install a filter program built here (a zygote builds it once, before forking)."""
    buf = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if _libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
    if _libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp filter refused: {os.strerror(err)}")
