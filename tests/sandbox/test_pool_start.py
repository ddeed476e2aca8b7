"""How a pool starts: its first worker at once, the others while grading begins, and torch
not in the grader's way (issue 18: the command a TA runs, start-up included)."""

from __future__ import annotations

import glob
import logging
import os
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import HONEST, inputs, job, score

from grader.sandbox import CaseInput, InProcessRunner

ROOT = Path(__file__).resolve().parents[2]


def _children() -> set[int]:
    """Live (not zombie) processes whose parent is this test process."""
    found = set()
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.add(int(Path(stat).parent.name))
    return found


def _wait_for(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def quiet_pools() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@pytest.mark.usefixtures("quiet_pools")
def test_a_pool_grades_on_its_first_worker_and_gains_the_others_as_they_start() -> None:
    before = _children()
    runner = InProcessRunner(workers=2)
    try:
        cases = inputs()
        outcomes = runner.run(job(HONEST, cases))  # on the first worker, others starting
        assert score(outcomes, cases) == len(cases)
        assert _wait_for(lambda: len(_children() - before) == 2, 120), "workers never joined"
        results = runner.run_many([job(HONEST, cases) for _ in range(4)])
        assert all(score(out, cases) == len(cases) for out in results)
    finally:
        runner.close()
    assert _wait_for(lambda: not (_children() - before), 30), "a worker outlived close()"


@pytest.mark.usefixtures("quiet_pools")
def test_closing_a_pool_stops_the_worker_still_starting_without_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = _children()
    with caplog.at_level(logging.WARNING, logger="grader.sandbox._pool"):
        runner = InProcessRunner(workers=2)
        runner.close()
        assert _wait_for(lambda: not (_children() - before), 30), "a worker outlived close()"
        time.sleep(0.5)  # the starting thread notices the kill
    assert not [r for r in caplog.records if "could not start" in r.getMessage()]


@pytest.mark.sandbox
@pytest.mark.skipif(
    bool(glob.glob("/dev/nvidia[0-9]*")), reason="with NVIDIA devices torch decides the GPU flag"
)
def test_starting_the_sandboxes_does_not_wait_for_torch_in_the_grader() -> None:
    """The sandbox (which imports torch itself) starts while the grader imports torch for the
    keys: in parallel on two cores, not one after the other."""
    code = (
        "import sys\n"
        "from grader.classroom import make_runner\n"
        "runner = make_runner(1)\n"
        "print('torch imported:', 'torch' in sys.modules)\n"
        "runner.close()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "torch imported: False" in proc.stdout


@pytest.mark.usefixtures("quiet_pools")
def test_unsandboxed_workers_running_at_once_do_not_wipe_each_others_files() -> None:
    """``--no-sandbox`` and self-checks with several workers: each worker cleans its own
    folder after a batch; a shared folder crashed the other worker's student (a grader
    fault recorded as the student's crash)."""
    before = _children()
    runner = InProcessRunner(workers=2)
    try:
        assert _wait_for(lambda: len(_children() - before) == 2, 120), "workers never joined"
        cases = inputs()
        results = runner.run_many([job(HONEST, cases) for _ in range(10)])
        assert [o.status for out in results for o in out] == ["ok"] * 30
    finally:
        runner.close()


@pytest.mark.sandbox
def test_sandboxes_started_from_a_thread_that_ended_stay_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``grader grade`` starts its pool in a background thread that then ends; bubblewrap's
    --die-with-parent follows the starting *thread*, so such sandboxes died at once and
    every batch after that waited for a fresh one (seconds each)."""
    from grader.sandbox import SandboxRunner

    spawned: list[int] = []
    spawn = SandboxRunner._spawn

    def counting(self: SandboxRunner) -> object:
        spawned.append(1)
        return spawn(self)

    monkeypatch.setattr(SandboxRunner, "_spawn", counting)
    made: list[SandboxRunner] = []
    starter = threading.Thread(target=lambda: made.append(SandboxRunner(workers=1)))
    starter.start()
    starter.join()
    runner = made[0]
    try:
        time.sleep(1.0)  # time for a killed sandbox to be gone
        cases = inputs()
        for _ in range(3):
            assert score(runner.run(job(HONEST, cases)), cases) == len(cases)
    finally:
        runner.close()
    assert len(spawned) == 1, f"the sandbox was started {len(spawned)} times"


ATTENTION = b"""
def solve(q, k, v):
    w = (q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5).softmax(-1)
    return w @ v
"""


@pytest.mark.usefixtures("quiet_pools")
def test_a_pool_that_skipped_the_flop_warm_up_refuses_a_job_that_counts_flops() -> None:
    """``warm_flops=False`` (no cost check in the exam, or a self-check) leaves FLOP
    counting's set-up out of the start; a counted case would then spend it (seconds of
    CPU) against the student's limit, so such a job is the grader's mistake, refused."""
    import torch

    cases = [CaseInput(args=tuple(torch.randn(t, 8) for _ in range(3))) for t in (8, 16)]
    cold = InProcessRunner(workers=1, warm_flops=False)
    try:
        with pytest.raises(ValueError, match="warm_flops"):
            cold.run(job(ATTENTION, cases, flops=True))
        assert [o.status for o in cold.run(job(ATTENTION, cases))] == ["ok", "ok"]
    finally:
        cold.close()


def test_only_an_exam_with_a_cost_check_warms_up_flop_counting() -> None:
    from benchmarks.otter_assignment.otter_build import EXAM_FILE
    from grader.classroom import counts_flops
    from grader.loading import load_exam

    assert counts_flops(load_exam("midsem-2025", ROOT / "questions"))  # B5a-i-2's cost check
    assert not counts_flops(load_exam(str(EXAM_FILE)))
