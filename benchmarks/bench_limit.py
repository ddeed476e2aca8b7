"""Benchmark: grading the mid-sem class sandboxed against its physical limit (issue 18, item 4).

Not a test. Grades a synthetic class of the mid-semester exam (honest work only: the
example submissions paper, typical, weak and empty under new student ids) with the real
sandbox, records every code job the grader sent, then runs the same student functions on
the same cases in this process without any sandbox: the student's module imported from a
scratch folder, the question's support modules beside it, each case's inputs copied (the
sandbox decodes fresh ones) and the function called. That in-process time is the floor of
this work; the table shows both side by side and their ratio (target: within 1.5x).

Cases that did not end ``ok`` in the sandbox (a limit hit, a crash) are not run in-process.

Usage: python benchmarks/bench_limit.py [--size 40] [--workers 2]
"""

from __future__ import annotations

import argparse
import copy
import importlib
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_class import make_class  # noqa: E402

from grader.classroom import LocalBackend, grade_class, make_runner  # noqa: E402
from grader.gradebook import Gradebook  # noqa: E402
from grader.loading import load_exam  # noqa: E402
from grader.sandbox import CaseOutcome, CodeJob, Construct  # noqa: E402

HONEST = ["typical", "paper", "weak", "typical", "empty", "typical", "weak", "paper"]


class RecordingRunner:
    """Passes every batch to the real runner and keeps the jobs, outcomes and time spent."""

    def __init__(self, runner: Any) -> None:
        self.runner = runner
        self.batches: list[tuple[list[CodeJob], list[list[CaseOutcome]]]] = []
        self.seconds = 0.0

    def run(self, job: CodeJob) -> list[CaseOutcome]:
        return self.run_batch([job])[0]

    def run_batch(self, jobs: Sequence[CodeJob]) -> list[list[CaseOutcome]]:
        t0 = time.perf_counter()
        outcomes = self.runner.run_batch(jobs)
        self.seconds += time.perf_counter() - t0
        self.batches.append((list(jobs), outcomes))
        return outcomes

    def close(self) -> None:
        self.runner.close()


def _build(value: Any) -> Any:
    """A case input as the student's function receives it (a Construct built, tensors copied)."""
    if isinstance(value, Construct):
        module, _, attr = value.fn.partition(":")
        fn = getattr(importlib.import_module(module), attr)
        return fn(
            *[_build(v) for v in value.args], **{k: _build(v) for k, v in value.kwargs.items()}
        )
    if isinstance(value, list | tuple):
        return type(value)(_build(v) for v in value)
    if isinstance(value, dict):
        return {k: _build(v) for k, v in value.items()}
    return copy.deepcopy(value)


def run_in_process(job: CodeJob, outcomes: list[CaseOutcome], scratch: Path) -> tuple[float, int]:
    """Seconds to import the student's module and call it on the cases that ran ``ok``: only
    the import and the calls are timed (building and copying the inputs is not the student's
    work, and the sandbox's decoding of them is part of its overhead). A case that raises
    here is skipped; the others still run."""
    folder = Path(tempfile.mkdtemp(dir=scratch))
    for path, data in [*job.files.items(), *job.support_files.items()]:
        target = folder / (Path(path).name if path in job.support_files else path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    before = set(sys.modules)
    sys.path.insert(0, str(folder))
    calls = 0
    seconds = 0.0
    try:
        t0 = time.perf_counter()
        module = importlib.import_module(job.entry.removesuffix(".py").replace("/", "."))
        fn = getattr(module, job.function)
        seconds += time.perf_counter() - t0
        for case, outcome in zip(job.cases, outcomes, strict=True):
            if outcome.status != "ok":
                continue
            for _ in range(2 if job.repeat_for_determinism else 1):
                args = [_build(a) for a in case.args]
                kwargs = {k: _build(v) for k, v in case.kwargs.items()}
                t0 = time.perf_counter()
                try:
                    fn(*args, **kwargs)
                except Exception:  # noqa: BLE001, S112 -- differs from the sandbox: skip it
                    continue
                finally:
                    seconds += time.perf_counter() - t0
            calls += 1
    except Exception:  # noqa: BLE001, S110 -- an import error: the sandbox saw it too
        pass
    sys.path.remove(str(folder))
    for name in set(sys.modules) - before:
        del sys.modules[name]
    return seconds, calls


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--size", type=int, default=40, help="submissions in the class")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args()
    import bench_class

    bench_class.TEMPLATES = HONEST  # type: ignore[assignment]
    exam = load_exam("midsem-2025", ROOT / "questions")
    runner = RecordingRunner(make_runner(args.workers))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for rounds, n in (("warm-up", 4), ("timed", args.size)):
                runner.batches, runner.seconds = [], 0.0
                klass = make_class(Path(tmp) / f"class-{rounds}", n)
                gb = Gradebook(Path(tmp) / f"gb-{rounds}.sqlite")
                t0 = time.perf_counter()
                backend = LocalBackend(runner, args.workers)  # type: ignore[arg-type]
                grade_class(exam, klass, gb, runner, workers=args.workers, backend=backend)  # type: ignore[arg-type]
                graded = time.perf_counter() - t0
                gb.close()
            import torch

            torch.set_num_threads(1)  # as in every runner (one thread, set in the zygote)
            plain = 0.0
            calls = 0
            for jobs, outcomes in runner.batches:
                for job, outs in zip(jobs, outcomes, strict=True):
                    seconds, n_calls = run_in_process(job, outs, Path(tmp))
                    plain += seconds
                    calls += n_calls
    finally:
        runner.close()
    n_jobs = sum(len(jobs) for jobs, _ in runner.batches)
    ok = sum(o.status == "ok" for _, outs in runner.batches for job in outs for o in job)
    print(f"load {os.getloadavg()[0]:.2f}")
    print(
        f"midsem-2025, {args.size} honest submissions, {args.workers} workers; "
        f"{n_jobs} code jobs, {ok} cases ok (the ones run in-process: {calls})"
    )
    print(f"{'what':58} {'seconds':>8} {'per sub':>9} {'ratio':>7}")
    rows = [
        ("in-process: same functions, same cases, no sandbox (1 core)", plain),
        ("sandboxed: the runner's batches, summed (1 worker's work)", runner.seconds),
        ("sandboxed: the runner's batches, summed / workers", runner.seconds / args.workers),
        ("sandboxed: whole grade_class (wall)", graded),
    ]
    for name, seconds in rows:
        print(
            f"{name:58} {seconds:8.2f} {1000 * seconds / args.size:7.0f}ms {seconds / plain:6.2f}x"
        )
    print(
        "(summed: the wall time of every batch added up, i.e. the work one worker would do "
        "alone; ratios are against the in-process row, which times only imports and calls)"
    )


if __name__ == "__main__":
    main()
