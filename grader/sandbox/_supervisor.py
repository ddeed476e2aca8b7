"""The supervisor: PID 1 of the sandbox, the only process that talks to the grader.

It reads one batch (one student's code jobs) at a time, writes the files, takes fresh
runners from the zygote (``_worker.ForkServer``) over a Unix socket, sends them their jobs
and cases, and watches them: per-case wall clock, CPU time and RSS read from /proc, bounded
printed output and results. It forwards each case's result to the grader (keys and types
checked, printed output and messages of hidden cases dropped) and, after the batch, kills
every other process of the sandbox and wipes what the student wrote. See ``_worker``'s
docstring for the life cycle of the three processes.

Standalone like ``_worker.py``: the standard library, numpy, torch and the siblings
``_wire`` and ``_protocol``, imported the way ``_worker`` imports them.
"""

from __future__ import annotations

import json
import math
import os
import select
import shutil
import signal
import socket
import struct
import time
from typing import Any

import _protocol
import _wire
import numpy as np
import torch
from _protocol import BatchEnd

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
POLL = 0.01
ZYGOTE_SECONDS = 10.0
"""The longest the supervisor waits for any answer of the zygote."""


def _cpu_ticks(pid: int) -> tuple[int, int]:
    """(own, reaped children's) CPU clock ticks of a process, user + system; (0, 0) when gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rpartition(")")[2].split()
        return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
    except (OSError, IndexError, ValueError):
        return 0, 0


def _cpu_seconds(pid: int) -> float:
    """CPU seconds of one process and the children it has reaped."""
    own, children = _cpu_ticks(pid)
    return (own + children) / CLK_TCK


def _sandbox_cpu_ns(zygote: int, precise: bool = False) -> int:
    """CPU nanoseconds used by every process of the sandbox but the supervisor (PID 1),
    living or dead: a process's own time plus what it has reaped, and for the zygote only
    what it has reaped (dead runners, orphans). A student's child that leaves the runner's
    process group, raises its soft CPU limit or ignores SIGXCPU is counted all the same.
    ``precise``: living threads' own time from their schedstat (the scheduler's nanoseconds)
    instead of clock ticks."""
    total = 0
    tick_ns = 1_000_000_000 // CLK_TCK
    for name in os.listdir("/proc"):
        if not name.isdigit() or name == "1":
            continue
        own, children = _cpu_ticks(int(name))
        total += children * tick_ns
        if int(name) == zygote:
            continue
        total += _schedstat_ns(name) if precise else own * tick_ns
    return total


def rss_bytes(pid: int) -> int:
    """Resident bytes of a process; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _schedstat_ns(pid: str) -> int:
    """Nanoseconds on CPU of every living thread of a process."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as fh:
                total += int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


COALESCE_SECONDS = 0.002
"""How long the supervisor lets the records of short hidden cases gather before reading them
(a case's wall-clock limit then counts from before the pause: never in the student's favour)."""
_OK = _protocol.STATUS_CODES.index("ok")


def _protocol_error(j: int, i: int) -> bytes:
    """The message for the grader of a case whose record broke the protocol."""
    frame: bytes = _wire.pack(
        {"op": "case", "j": j, "i": i, "status": "bad_output", "phase": "protocol"}
    )
    return frame


def _runner_record(record: bytes) -> tuple[int, int, float, int] | None:
    """(status code, case, seconds, FLOPs) of a runner's record; None when it is malformed."""
    if len(record) < _wire.RUNNER_RECORD.size:
        return None
    _, code, i, seconds, flops = _wire.RUNNER_RECORD.unpack_from(record)
    if code >= len(_protocol.STATUS_CODES):
        return None
    return code, i, seconds, flops


PARK_MAX_RSS = 256 * 1024 * 1024
"""A runner that holds more than this (above the zygote) is not kept waiting for its hidden
cases; a fresh one is forked for them instead."""


class _RunnerProc:
    """The supervisor's end of one runner: its pid and the pipes to it."""

    def __init__(self, pid: int, fds: list[int], zygote: int | None) -> None:
        self.pid = pid
        self.res_r, self.out_r, self.ack_w, self.cmd_w = fds
        self.zygote = zygote  # in a sandbox: count the CPU of every process but the supervisor
        self.jobs: set[int] = set()  # the jobs it has been sent the setup frame of
        self.armed = False  # it said its limits hold; student code may have run since
        self.cpu_seen, self.cpu_read_at = 0.0, -math.inf

    def cpu(self, max_age: float = 0.0) -> float:
        """CPU seconds used by it and every process it started (in a sandbox: every student
        process there, see ``_sandbox_cpu_ns``; without one: itself and the children it
        reaped), read from /proc unless a reading ``max_age`` seconds old or newer is at hand
        (a case started within a poll period of the last reading then counts the CPU used
        since that reading too: never less than its own)."""
        now = time.monotonic()
        if now - self.cpu_read_at > max_age:
            self.cpu_seen = (
                _sandbox_cpu_ns(self.zygote) / 1e9
                if self.zygote is not None
                else _cpu_seconds(self.pid)
            )
            self.cpu_read_at = now
        return self.cpu_seen

    def cpu_ns(self) -> int:
        """CPU nanoseconds, read now, at the scheduler's resolution (for measured cases)."""
        if self.zygote is not None:
            return _sandbox_cpu_ns(self.zygote, precise=True)
        return int(_cpu_seconds(self.pid) * 1e9)

    def close(self) -> None:
        for fd in (self.res_r, self.out_r, self.ack_w, self.cmd_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def kill(self) -> None:
        _kill_group(self.pid)


class _JobState:
    """One job of a batch, as the supervisor tracks it."""

    def __init__(self, j: int, header: dict[str, Any], bufs: list[bytes], jobdir: str) -> None:
        self.j, self.header, self.jobdir = j, header, jobdir
        self.bufs = {"visible": bufs, "hidden": []}
        self.cases: dict[int, dict[str, Any]] = {c["i"]: c for c in header["cases"]}
        # jobs with the same bans (usually all of a batch) share a runner
        self.group: tuple[str, ...] = tuple(sorted(header["forbid"]))
        self.spent = 0.0  # wall-clock seconds its cases have used so far


def _process_limits(states: list[_JobState]) -> dict[tuple[str, ...], dict[str, Any]]:
    """Per group of jobs that share a runner, the rlimits of that runner: CPU and inputs
    added up, the largest of the other limits; no address-space cap when a job needs CUDA."""
    groups: dict[tuple[str, ...], list[_JobState]] = {}
    for state in states:
        groups.setdefault(state.group, []).append(state)
    out = {}
    for group, members in groups.items():
        limits = [m.header["limits"] for m in members]
        out[group] = {
            "job_cpu_seconds": sum(lim["job_cpu_seconds"] for lim in limits),
            "max_open_files": max(lim["max_open_files"] for lim in limits),
            "max_file_bytes": max(lim["max_file_bytes"] for lim in limits),
            "max_processes": max(lim["max_processes"] for lim in limits),
            "memory_mb": None
            if any(m.header["device"] != "cpu" for m in members)
            else max(lim["memory_mb"] for lim in limits),
            "input_bytes": sum(int(m.header["input_bytes"]) for m in members),
        }
    return out


class Supervisor:
    """Talks to the grader, holds the inputs of the batch at hand, watches the runners.

    Long-lived and never forked: it asks the zygote (``ForkServer``) for runners and gets
    their pipes over a Unix socket; no student code ever runs in a process that had
    another batch's data, and no process that had any data is ever forked.
    """

    def __init__(
        self,
        inp: int,
        out: int,
        tmp: str,
        sandboxed: bool,
        ctl: socket.socket,
        zygote: int,
        base_rss: int,
    ) -> None:
        self.inp, self.out, self.tmp, self.sandboxed = inp, out, tmp, sandboxed
        self.ctl, self.zygote = ctl, zygote
        self.ctl.settimeout(ZYGOTE_SECONDS)
        self.base_rss = base_rss  # the clean image's RSS: runners are measured above it
        self.dev_entries = set(os.listdir("/dev")) if sandboxed else set()
        self.handed: list[int] = []  # runners of the batch at hand (plain mode cleans them up)
        self.armed_any = False  # a runner of the batch at hand has run the student's code
        self.shared: dict[tuple[str, ...], _RunnerProc] = {}  # a group's runner in this batch
        self.process: dict[tuple[str, ...], dict[str, Any]] = {}  # a group's process limits
        self.last_groups = 1  # runners a batch is likely to need: its groups of jobs

    def send(self, header: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        _wire.write_all(self.out, _wire.pack(header, buffers))

    def ask(self, request: dict[str, Any], reply: bool = True) -> dict[str, Any]:
        """One request to the zygote (and its answer, within ``ZYGOTE_SECONDS``)."""
        try:
            self.ctl.send(json.dumps(request).encode())
            if not reply:
                return {}
            data = self.ctl.recv(_protocol.ZYGOTE_MESSAGE_BYTES)
        except OSError as exc:  # a timeout included: a stopped zygote never answers
            raise _ZygoteLost(f"the zygote did not answer: {exc}") from exc
        if not data:
            raise _ZygoteLost("the zygote stopped")
        answer: dict[str, Any] = json.loads(data)
        return answer

    def serve(self) -> None:
        """One batch after the other; after each, nothing of it survives (processes, files)."""
        self.send(
            {"op": "ready", "pid": os.getpid(), "torch": torch.__version__, "numpy": np.__version__}
        )
        while True:
            try:
                code = self.hold_batch()
            except BaseException:  # noqa: BLE001
                code = BatchEnd.BROKEN
            if code == BatchEnd.GRADER_GONE:
                return
            if code != BatchEnd.DONE:  # broke mid-batch: the grader restarts this sandbox
                self.send({"op": "done", "failed": True})
                return
            try:
                self._cleanup_processes()
                self._cleanup_files()
                self.ask({"op": "want", "n": self.last_groups}, reply=False)
            except BaseException:  # noqa: BLE001 -- no "clean": the grader replaces this sandbox
                return
            self.send({"op": "clean"})  # the grader waits for this before the next student

    # ----------------------------------------------------------------- one batch

    def hold_batch(self) -> BatchEnd:
        """Run one batch (one student's code jobs) and report every case.

        The supervisor is the only process that holds this batch's inputs. It reads the
        visible cases of every job first and runs them on one fresh runner (per group of
        jobs with the same bans), which then waits. Only after every visible case has been
        reported does it ask for the hidden cases and hands them to the waiting runner: no
        process whose printed output or messages are shown ever had a hidden input in its
        memory.
        Returns ``DONE`` when ``done`` was sent, ``GRADER_GONE`` when the grader closed the pipe.
        """
        frame = _wire.read_frame(self.inp, _protocol.CONTROL_FRAME_BYTES)
        if frame is None:
            return BatchEnd.GRADER_GONE
        batch = frame[0]
        self.armed_any = False
        if int(batch["jobs"]) > 0:  # forked while the files are written
            self.ask({"op": "want", "n": self.last_groups}, reply=False)
        states = []
        for j in range(int(batch["jobs"])):
            frame = _wire.read_frame(self.inp, _protocol.INPUT_FRAME_BYTES)
            if frame is None:
                return BatchEnd.GRADER_GONE
            header, bufs = frame
            jobdir = os.path.join(self.tmp, f"job-{int(batch['id'])}-{j}")
            self._write_files(header, bufs, jobdir)
            states.append(_JobState(j, header, bufs, jobdir))
        n_hidden = sum(int(s.header["hidden"]) for s in states)
        self.process = _process_limits(states)
        self.last_groups = max(1, min(len(self.process), 16))
        for state in states:
            self._run_cases(state, "visible", sorted(state.cases))
        for group, runner in list(self.shared.items()):
            hidden = any(s.header["hidden"] for s in states if s.group == group)
            if not hidden or rss_bytes(runner.pid) > self.base_rss + PARK_MAX_RSS:
                self._retire(group)
        if n_hidden:
            self.send({"op": "visible_done"})
            for state in states:
                frame = _wire.read_frame(self.inp, _protocol.INPUT_FRAME_BYTES)
                if frame is None:
                    return BatchEnd.GRADER_GONE
                header, bufs = frame
                state.bufs["hidden"] = bufs
                state.cases = {c["i"]: c for c in header["cases"]}
            for state in states:
                self._run_cases(state, "hidden", sorted(state.cases))
        self.send({"op": "done"})
        for group in list(self.shared):
            self._retire(group)
        return BatchEnd.DONE

    def _retire(self, group: tuple[str, ...]) -> None:
        """Stop a group's runner without waiting for it (the zygote reaps it later)."""
        runner = self.shared.pop(group, None)
        if runner is not None:
            runner.kill()
            runner.close()

    def _take_runner(self) -> _RunnerProc:
        """A fresh runner from the zygote (forked from the clean image; no data in it)."""
        try:
            self.ctl.send(b'{"op": "take"}')
            data, fds, _, _ = socket.recv_fds(self.ctl, _protocol.ZYGOTE_MESSAGE_BYTES, 4)
        except OSError as exc:  # a timeout included
            raise _ZygoteLost(f"the zygote did not hand over a runner: {exc}") from exc
        if not data or len(fds) != 4:
            for fd in fds:
                os.close(fd)
            raise _ZygoteLost("the zygote did not hand over a runner")
        pid = int(json.loads(data)["pid"])
        self.handed.append(pid)
        return _RunnerProc(pid, fds, self.zygote if self.sandboxed else None)

    def _wait_runner(self, pid: int) -> tuple[int, float]:
        """The wait status and CPU seconds of a runner that was killed or ended."""
        answer = self.ask({"op": "wait", "pid": pid})
        status = answer.get("status")
        if type(status) is not int:
            return int(signal.SIGKILL), 0.0  # the wait status of a killed process: a crash
        return status, float(answer.get("cpu", 0.0))

    def _write_files(self, job: dict[str, Any], bufs: list[bytes], jobdir: str) -> None:
        for sub, key in (("src", "files"), ("support", "support")):
            root = os.path.join(jobdir, sub)
            os.makedirs(root, exist_ok=True)
            for rel, idx in job[key]:
                path = os.path.normpath(os.path.join(root, rel))
                if not path.startswith(root + os.sep):
                    continue
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as fh:
                    fh.write(bufs[idx])

    def _setup_frame(self, state: _JobState) -> bytes:
        h = state.header
        keys = ("entry", "function", "limits", "device", "forbid", "flops", "repeat")
        frame: bytes = _wire.pack(
            {
                "op": "setup",
                "j": state.j,
                "process": self.process[state.group],
                **{k: h[k] for k in keys},
                "support_modules": h["support_modules"],
                "input_bytes": h["input_bytes"],
                "jobdir": state.jobdir,
            }
        )
        return frame

    def _run_cases(self, state: _JobState, phase: str, todo: list[int]) -> None:
        """Run the cases ``todo`` of one job on its runner, replacing runners that die."""
        limits = state.header["limits"]
        in_a_row = 0  # consecutive cases stopped by a time limit
        retried = False  # a waiting runner that died before starting gets one replacement
        while todo:
            if state.spent >= limits["job_wall_seconds"]:
                for k in todo:
                    self.send(
                        {"op": "case", "j": state.j, "i": k, "status": "timeout", "phase": "job"}
                    )
                return
            if in_a_row >= _protocol.SKIP_AFTER_LIMITS:
                for k in todo:
                    self.send(
                        {
                            "op": "case",
                            "j": state.j,
                            "i": k,
                            "status": "timeout",
                            "phase": "skipped",
                        }
                    )
                return
            runner = self.shared.get(state.group)
            if runner is None:
                runner = self.shared[state.group] = self._take_runner()
            waiting = state.j in runner.jobs  # set up for this job before (and parked)
            deadline = time.monotonic() + limits["job_wall_seconds"] - state.spent
            frames = b"" if waiting else self._setup_frame(state)
            cases = [{**state.cases[k], "visible": phase == "visible"} for k in todo]
            frames += _wire.pack({"op": "cases", "j": state.j, "cases": cases}, state.bufs[phase])
            runner.jobs.add(state.j)
            started = time.monotonic()
            reported, failure = self._supervise(state, runner, frames, todo, deadline, phase)
            state.spent += time.monotonic() - started
            todo = todo[reported:]
            if failure is None:
                return  # every case answered; the runner waits for more (or is retired)
            self.shared.pop(state.group, None)  # gone: _supervise has reaped it
            if failure.get("status") == "sandbox_error":
                # a runner could not be set up: fresh ones from the same zygote, in the same
                # sandbox, fare no better; the grader retries the batch on a fresh sandbox
                for k in todo:
                    self.send({"op": "case", "j": state.j, "i": k, **failure})
                return
            if len(runner.jobs) > 1:
                # The process also held other jobs' code (a thread of theirs, memory they
                # kept): this case runs again in a fresh runner, alone, and only a failure
                # there is its own. One job never costs another a mark.
                continue
            if reported == 0 and waiting and not retried and failure.get("status") == "crashed":
                retried = True  # it died while waiting: not this case's fault
                continue
            self.send({"op": "case", "j": state.j, "i": todo[0], **failure})
            todo = todo[1:]
            if failure.get("status") in ("cpu_limit", "timeout"):
                in_a_row = in_a_row + 1 if reported == 0 else 1
            else:
                in_a_row = 0

    def _supervise(
        self,
        state: _JobState,
        runner: _RunnerProc,
        frames: bytes,
        todo: list[int],
        job_deadline: float,
        phase: str,
    ) -> tuple[int, dict[str, Any] | None]:
        """Send ``frames`` to the runner and watch it answer the cases ``todo`` in order.

        Returns how many cases were reported and, when the runner failed on the next one
        (it died, or was stopped for a limit), why; the runner is then already gone.
        """
        limits = state.header["limits"]
        visible = phase == "visible"
        measure = bool(state.header.get("measure_cpu"))
        measured_from = 0
        pid = runner.pid
        reader = _wire.FrameReader(limits["max_result_bytes"] + (1 << 20))
        captured = bytearray()
        current: int | None = None  # case started, result not yet received
        reported = 0
        deadline = min(job_deadline, time.monotonic() + limits["wall_seconds"])
        cpu_base = runner.cpu(POLL)
        rss_max = (
            limits["memory_mb"] * 1024 * 1024 + self.base_rss + 2 * int(state.header["input_bytes"])
        )
        failure: dict[str, Any] | None = None
        outbox: list[bytes] = []  # results forwarded, not yet written to the grader
        pending = memoryview(frames)
        try:  # usually the whole request fits the pipe at once
            pending = pending[os.write(runner.cmd_w, pending) :]
        except BlockingIOError:
            pass
        except OSError:  # the runner is gone: its death says why
            pending = memoryview(b"")
        next_poll = 0.0
        finished = False
        out_open = True
        printed = False  # the student's code printed in this job: no coalescing (see below)
        waiting_since = time.monotonic()  # a record read in an iteration arrived after this
        while True:
            rlist = [runner.res_r, runner.out_r] if out_open else [runner.res_r]
            wlist = [runner.cmd_w] if pending else []
            ready, writable, _ = select.select(rlist, wlist, [], POLL)
            if writable:
                try:
                    pending = pending[os.write(runner.cmd_w, pending) :]
                except BlockingIOError:
                    pass
                except OSError:  # the runner is gone: its death says why
                    pending = memoryview(b"")
            if out_open and runner.out_r in ready:
                data = _read_some(runner.out_r)
                if data is None:
                    out_open = False
                elif data:
                    printed = True
                    captured += data
                    if len(captured) > limits["max_output_bytes"]:
                        failure = {"status": "output_limit", "phase": "stdout"}
                        break
            if runner.res_r in ready:
                data = _read_some(runner.res_r)
                if data is None:
                    break  # the runner ended
                try:
                    frames_in = reader.feed(data)
                except _wire.WireError:
                    failure = {"status": "output_limit", "phase": "result"}
                    break
                for header, fbufs in frames_in:
                    op = header.get("op")
                    expect = todo[reported] if reported < len(todo) else None
                    if not runner.armed:  # no student code has run in it yet: trusted
                        if op == "armed":
                            runner.armed = self.armed_any = True
                            continue
                        failure = _unfit(header.get("why") if op == "unfit" else None)
                        break
                    if (
                        op == "start"
                        and current is None
                        and reported == 0
                        and header.get("i") == expect
                    ):
                        current = expect
                        cpu_base = runner.cpu(POLL)
                        if measure:
                            measured_from = runner.cpu_ns()
                        deadline = min(job_deadline, time.monotonic() + limits["wall_seconds"])
                    elif op == _wire.RECORD and current is not None:
                        fields = _runner_record(fbufs[0])
                        if fields is None or fields[1] != current:
                            failure = {"status": "bad_output", "phase": "protocol"}
                            break
                        while (more := _read_some(runner.out_r)) and len(captured) <= limits[
                            "max_output_bytes"
                        ]:
                            captured += more
                        # the cost of a FLOP-counted case, measured here, outside the
                        # student's processes (the count itself is made inside them)
                        cpu = (runner.cpu_ns() - measured_from) / 1e9 if measure else None
                        outbox.append(
                            self._forward(fbufs[0], fields, state.j, visible, captured, cpu)
                        )
                        if visible:
                            self._send_all(outbox)  # the grader has it before the runner goes on
                            try:
                                os.write(runner.ack_w, b"k")
                            except OSError:
                                pass
                            waiting_since = time.monotonic()  # the next case starts after this
                        reported += 1
                        captured.clear()
                        # the runner went on to the next case as it sent this record: that
                        # case's limits count from before the record was seen
                        current = todo[reported] if reported < len(todo) else None
                        if current is not None:
                            cpu_base = runner.cpu(POLL)
                            if measure:
                                measured_from = runner.cpu_ns()
                            deadline = min(job_deadline, waiting_since + limits["wall_seconds"])
                    elif op == "end" and current is None and reported == len(todo):
                        finished = True
                    else:
                        failure = {"status": "bad_output", "phase": "protocol"}
                        break
                self._send_all(outbox)  # one write per read of the runner, not one per case
                if failure or finished:
                    break
            now = time.monotonic()
            if now >= deadline:
                failure = {"status": "timeout", "phase": "job" if now >= job_deadline else "case"}
                break
            if now >= next_poll:
                next_poll = now + POLL
                cpu = runner.cpu() - cpu_base
                if cpu > limits["cpu_seconds"] + 0.05:
                    failure = {"status": "cpu_limit"}
                    break
                if rss_bytes(pid) > rss_max:
                    failure = {"status": "memory_limit"}
                    break
            waiting_since = now
            if current is not None and reported and not (visible or measure or printed):
                # Many short hidden cases: let their records gather in the pipe instead of
                # waking up (and waking the grader) for each one. The next case's wall-clock
                # limit counts from before this pause; measured or printing cases are read
                # at once.
                time.sleep(COALESCE_SECONDS)
        if finished:
            return reported, None
        runner.kill()
        wait_status, cpu_used = self._wait_runner(pid)
        if runner.zygote is not None:  # reaped now: its CPU and its children's are counted
            cpu_used = runner.cpu()
        runner.close()
        if reported >= len(todo):
            return reported, None
        if failure is not None and failure.get("status") == "sandbox_error":
            pass  # it said it cannot hold its limits (no student code had run in it)
        elif not runner.armed and not self.armed_any:
            # it ended or stalled while being set up, and none of this student's code has run
            # anywhere in the sandbox (that code could kill it): the sandbox's failure
            why = _death_reason(wait_status, 0.0, math.inf).get("detail", "")
            failure = _unfit(f"the student's process ended while being set up ({why})")
        elif failure is None:  # it ended during the case (or before starting it)
            failure = _death_reason(wait_status, cpu_used - cpu_base, limits["cpu_seconds"])
        return reported, failure

    def _forward(
        self,
        record: bytes,
        fields: tuple[int, int, float, int],
        j: int,
        visible: bool,
        captured: bytearray,
        cpu: float | None = None,
    ) -> bytes:
        """The record for the grader of one case's result (``_wire.GRADER_RECORD``): the
        runner's status (one a runner may report, else ``bad_output``), its rest as it came
        (the grader reads it as hostile bytes), and what the supervisor adds: the job, the
        CPU it measured, a visible case's printed output. A hidden case's exception message
        is dropped here (and again by the grader)."""
        code, i, seconds, flops = fields
        if _protocol.STATUS_CODES[code] not in _protocol.RUNNER_STATUSES:
            return _protocol_error(j, i)
        rest = memoryview(record)[_wire.RUNNER_RECORD.size :]
        if not visible and code != _OK:
            try:
                header, bufs = _wire.unpack(rest)
            except _wire.WireError:
                return _protocol_error(j, i)
            header.pop("error_message", None)
            header.pop("bufs", None)
            rest = memoryview(_wire.pack(header, bufs))[4:]
        out = bytes(captured) if visible else b""
        head = _wire.GRADER_RECORD.pack(
            _wire.RECORD_MARK,
            code,
            i,
            j,
            math.nan if cpu is None else round(cpu, 4),  # the supervisor's reading
            seconds,
            flops,
            len(out),
        )
        size = struct.pack("<I", len(head) + len(out) + len(rest))
        return b"".join([size, head, out, rest])

    def _send_all(self, outbox: list[bytes]) -> None:
        """Write the frames of ``outbox`` to the grader in one go, and empty it."""
        if outbox:
            _wire.write_all(self.out, b"".join(outbox))
            outbox.clear()

    # ----------------------------------------------------------------- cleanup

    def _cleanup_processes(self) -> None:
        handed, self.handed = self.handed, []
        if not self.sandboxed:  # without a PID namespace only the runners' groups can be found
            for pid in handed:
                _kill_group(pid)
            self.ask({"op": "reap"})
            return
        self.ask({"op": "quiesce"})  # the zygote stops forking and kills its idle runners
        keep = {1, os.getpid(), self.zygote}
        for _ in range(200):  # every other process of this PID namespace, until none is left
            alive = [
                pid for pid in _pids() if pid not in keep and _state(pid) not in ("Z", "X", "")
            ]
            if not alive:
                break
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.0002)  # killed processes take a moment to become zombies: do not spin
        self.ask({"op": "reap"})

    def _cleanup_files(self) -> None:
        roots = ("/tmp", "/dev/shm") if self.sandboxed else (self.tmp,)
        for root in roots:
            try:
                names = os.listdir(root)
            except OSError:
                continue
            for name in names:
                _wipe(os.path.join(root, name))
        for name in (set(os.listdir("/dev")) - self.dev_entries) if self.sandboxed else ():
            path = os.path.join("/dev", name)
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
            except OSError:
                pass


class _ZygoteLost(Exception):
    pass


def _kill_group(pid: int) -> None:
    """SIGKILL a runner's process group, then the runner itself (it may have left it)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _state(pid: int) -> str:
    """A process's state letter from /proc (``Z`` zombie), or "" when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return ""


def _unfit(why: object) -> dict[str, Any]:
    """The failure of a runner that could not be set up (before any student code ran):
    ``sandbox_error``, with the runner's own reason when it gave one."""
    text = why if type(why) is str and why else "the student's process could not be set up"
    return {"status": "sandbox_error", "detail": text[:500]}


def _death_reason(status: int, cpu: float, cpu_limit: float) -> dict[str, Any]:
    """Why a child ended without a result, from its wait status and the CPU it used."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= cpu_limit):
            return {"status": "cpu_limit"}
        if sig == signal.SIGXFSZ:
            return {"status": "output_limit", "phase": "file"}
        return {"status": "crashed", "detail": f"signal {signal.Signals(sig).name}"}
    return {"status": "crashed", "detail": f"exit status {os.WEXITSTATUS(status)}"}


def _read_some(fd: int) -> bytes | None:
    try:
        data = os.read(fd, 1 << 16)
    except BlockingIOError:
        return b""
    return data if data else None


def _wipe(path: str) -> None:
    """Remove ``path`` and what it holds, never entering a mount point: a Python or venv
    bound read-only under /tmp (a CI checkout) stays, everything the student wrote goes."""
    if os.path.ismount(path):
        return
    if os.path.isdir(path) and not os.path.islink(path):
        try:
            entries = os.listdir(path)
        except OSError:
            entries = []
        for name in entries:
            _wipe(os.path.join(path, name))
        try:
            os.rmdir(path)
        except OSError:
            pass
    else:
        try:
            os.unlink(path)
        except OSError:
            pass
