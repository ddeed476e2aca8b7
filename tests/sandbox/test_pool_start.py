"""How a pool starts: its first worker at once, the others while grading begins, and torch
not in the grader's way (issue 18: the command a TA runs, start-up included)."""

from __future__ import annotations

import glob
import logging
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import HONEST, inputs, job, score

from grader.sandbox import InProcessRunner

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
