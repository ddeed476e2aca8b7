"""Benchmark of running student code: per-case overhead and cases per second.

Not a test. Run ``python benchmarks/bench_sandbox.py`` on the grading machine; it prints
one table comparing, in the same run,

1. a plain in-process call (no isolation: the floor),
2. the warm ``SandboxRunner`` (many cases per forked child of a warm sandbox),
3. the naive design: a new sandboxed interpreter (bwrap + python + import torch) per case,

and then grades 100 submissions x 20 hidden cases of a tiny scaled-dot-product attention
on 2 workers, comparing every value against the reference in the grader.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from grader.sandbox import (  # noqa: E402
    CaseInput,
    CodeJob,
    SandboxRunner,
    _bwrap,  # noqa: E402
    compare,
)

TINY = b"def solve(x):\n    return x * 2 + 1\n"
ATTENTION = b"""
import torch


def attention(q, k, v):
    scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5  # (B, T, T)
    return scores.softmax(dim=-1) @ v  # (B, T, D)
"""


def reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.scaled_dot_product_attention(q, k, v)


def in_process(n: int) -> float:
    namespace: dict[str, object] = {}
    exec(compile(TINY, "solution.py", "exec"), namespace)  # noqa: S102 -- trusted benchmark code
    fn = namespace["solve"]
    x = torch.arange(4.0)
    t0 = time.perf_counter()
    for _ in range(n):
        fn(x.clone())  # type: ignore[operator]
    return (time.perf_counter() - t0) / n


def warm(runner: SandboxRunner, n: int) -> tuple[float, float]:
    cases = [CaseInput(args=(torch.arange(4.0),)) for _ in range(n)]
    job = CodeJob(files={"solution.py": TINY}, entry="solution.py", function="solve", cases=cases)
    one = CodeJob(
        files={"solution.py": TINY}, entry="solution.py", function="solve", cases=cases[:1]
    )
    runner.run(one)
    t0 = time.perf_counter()
    for _ in range(5):
        runner.run(one)
    per_job = (time.perf_counter() - t0) / 5
    t0 = time.perf_counter()
    outcomes = runner.run(job)
    assert all(o.status == "ok" for o in outcomes)
    return (time.perf_counter() - t0) / n, per_job


def naive(n: int) -> float:
    code = (
        f"import sys; sys.path.insert(0, {_bwrap.SITE_DIR!r}); import torch; "
        "x = torch.arange(4.0); print((x * 2 + 1).tolist())"
    )
    python = [_bwrap._interpreter(), "-I", "-S", "-B"]  # as the worker starts: no site folder
    argv = _bwrap.bwrap_argv(_bwrap.find_bwrap(), gpu=False, command=[*python, "-c", code])
    t0 = time.perf_counter()
    for _ in range(n):
        subprocess.run(argv, check=True, capture_output=True)
    return (time.perf_counter() - t0) / n


def class_of_100(runner: SandboxRunner) -> tuple[float, int]:
    torch.manual_seed(0)
    cases = [
        CaseInput(args=tuple(torch.randn(2, 8, 16) for _ in range(3)), name=f"h{k}")
        for k in range(20)
    ]
    expected = [reference(*c.args) for c in cases]
    jobs = [
        CodeJob(
            files={"attention.py": ATTENTION + f"\n# submission {s}\n".encode()},
            entry="attention.py",
            function="attention",
            cases=cases,
        )
        for s in range(100)
    ]
    t0 = time.perf_counter()
    results = runner.run_many(jobs)
    passed = sum(
        compare(e, o.value).passed
        for outcomes in results
        for e, o in zip(expected, outcomes, strict=True)
    )
    return time.perf_counter() - t0, passed


def main() -> None:
    print(
        f"machine: {os.cpu_count()} CPUs, torch {torch.__version__}, load {os.getloadavg()[0]:.2f}"
    )
    t0 = time.perf_counter()
    runner = SandboxRunner(workers=2)
    runner.wait_for_all_workers()  # the second starts in the background: time the whole pool
    start = time.perf_counter() - t0
    try:
        plain = in_process(20_000)
        warm_case, warm_job = warm(runner, 5_000)
        fresh = naive(3)
        print(f"\nwarm pool start-up (2 sandboxes, numpy+torch imported): {start:.2f} s\n")
        print(f"{'design':48} {'per case':>12} {'cases/s':>10} {'vs in-process':>14}")
        rows = [
            ("1. in-process call (no isolation)", plain),
            ("2. warm SandboxRunner, 5000 cases in one fork", warm_case),
            ("   warm SandboxRunner, 1-case job (fork+import)", warm_job),
            ("3. naive: new sandboxed interpreter per case", fresh),
        ]
        for name, seconds in rows:
            print(f"{name:48} {seconds * 1e3:9.3f} ms {1 / seconds:10.0f} {seconds / plain:13.0f}x")
        print(
            f"\nnaive / warm (per case, 5000-case job): {fresh / warm_case:.0f}x; "
            f"naive / warm (1-case job): {fresh / warm_job:.0f}x"
        )
        seconds, passed = class_of_100(runner)
        print(
            f"\n100 submissions x 20 hidden cases of tiny attention on 2 workers: {seconds:.2f} s "
            f"({100 / seconds:.1f} submissions/s, {2000 / seconds:.0f} cases/s), "
            f"{passed}/2000 passed"
        )
    finally:
        runner.close()


if __name__ == "__main__":
    main()
