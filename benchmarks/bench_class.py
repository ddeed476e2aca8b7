"""Benchmark: grading a whole class of the mid-semester exam.

Not a test. Builds a synthetic class by copying the example submissions (paper, typical,
weak, empty, ...) under new student ids, then grades it with the real sandbox:

* class throughput at several class sizes (submissions per second, and how the cost per
  submission changes as the class grows);
* scaling with workers: 1 and 2 local workers on the same class, and the Ray backend
  with N local workers when Ray is installed.

Usage: python benchmarks/bench_class.py [--sizes 50,200,800] [--scaling-size 40] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.classroom import LocalBackend, grade_class, make_runner  # noqa: E402
from grader.gradebook import Gradebook  # noqa: E402
from grader.loading import load_exam  # noqa: E402

# A class mix: mostly honest work of varying quality, a few blank answers and one cheater in
# forty (whose attacks burn their CPU limits: the most expensive submissions to grade).
TEMPLATES = (
    ["typical", "paper", "weak", "typical", "empty", "typical", "weak", "paper", "typical", "weak"]
    * 4
)[:39] + ["cheating"]


def make_class(dest: Path, n: int) -> Path:
    """``n`` student folders cycling through the example submissions."""
    src = ROOT / "submissions" / "midsem-2025"
    dest.mkdir(parents=True)
    for i in range(n):
        template = TEMPLATES[i % len(TEMPLATES)]
        folder = dest / f"s{i:04d}"
        shutil.copytree(src / template, folder)
        text = (folder / "answers.yaml").read_text()
        lines = [
            f"student: s{i:04d}" if line.startswith("student:") else line
            for line in text.splitlines()
        ]
        (folder / "answers.yaml").write_text("\n".join(lines) + "\n")
    return dest


class Grader:
    """One loaded exam and one warm runner (or the Ray backend), reused across classes."""

    def __init__(self, workers: int, backend: str = "local") -> None:
        self.exam = load_exam("midsem-2025", ROOT / "questions")
        self.workers = workers
        self.backend_name = backend
        t0 = time.perf_counter()
        self.runner = None
        if backend == "ray":
            from grader.ray_backend import RayBackend

            self.backend = RayBackend()
        else:
            self.runner = make_runner(workers)
            getattr(self.runner, "wait_for_all_workers", lambda: None)()
            self.backend = LocalBackend(self.runner, workers)
        self.startup = time.perf_counter() - t0

    def grade(self, n: int) -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as tmp:
            klass = make_class(Path(tmp) / "class", n)
            gb = Gradebook(Path(tmp) / "gb.sqlite")
            t0 = time.perf_counter()
            report = grade_class(
                self.exam, klass, gb, self.runner, workers=self.workers, backend=self.backend
            )
            seconds = time.perf_counter() - t0
            gb.close()
        return {
            "submissions": n,
            "workers": self.workers,
            "backend": self.backend_name,
            "seconds": round(seconds, 3),
            "per_second": round(n / seconds, 3),
            "ms_per_submission": round(1000 * seconds / n, 1),
            "failed": len(report.failed),
            "startup_seconds": round(self.startup, 2),
        }

    def close(self) -> None:
        if self.runner is not None:
            self.runner.close()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="50,200,800", help="class sizes for the throughput table")
    ap.add_argument("--scaling-size", type=int, default=30, help="class size for the workers table")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--no-ray", action="store_true", help="skip the Ray rows")
    args = ap.parse_args()
    workers = min(2, os.cpu_count() or 1)
    results: dict[str, Any] = {"throughput": [], "scaling": []}
    grader = Grader(workers)
    grader.grade(5)  # warm-up: reference outputs computed once per process, as in a real run
    print(
        f"class throughput (midsem-2025, sandboxed, {workers} workers; "
        f"pool start-up {grader.startup:.1f} s, not counted)"
    )
    print(f"{'submissions':>12} {'seconds':>9} {'subs/s':>8} {'ms/sub':>8}")
    for n in [int(x) for x in args.sizes.split(",") if x]:
        r = grader.grade(n)
        results["throughput"].append(r)
        print(
            f"{n:>12} {r['seconds']:>9.1f} {r['per_second']:>8.2f} {r['ms_per_submission']:>8.0f}",
            flush=True,
        )
    first = results["throughput"][0]["ms_per_submission"] if results["throughput"] else None
    if first:
        growth = ", ".join(
            f"{r['submissions']}: x{r['ms_per_submission'] / first:.2f}"
            for r in results["throughput"]
        )
        print(f"cost per submission relative to the smallest class: {growth}")
    print()
    print(f"scaling with workers ({args.scaling_size} submissions, after a warm-up)")
    print(f"{'backend':>8} {'workers':>8} {'seconds':>9} {'subs/s':>8} {'speed-up':>9}")
    base = None
    configs = [("local", 1), ("local", 2)]
    if not args.no_ray:
        try:
            import ray

            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
            configs.append(("ray", workers))
        except ImportError:
            print("(Ray not installed: pip install '.[ray]' for the Ray row)")
    for backend, w in configs:
        reuse = backend == "local" and w == grader.workers  # the throughput grader: already warm
        g = grader if reuse else Grader(w, backend)
        if not reuse:
            g.grade(4)
        r = g.grade(args.scaling_size)
        g.close()
        results["scaling"].append(r)
        base = base or r["seconds"]
        print(
            f"{backend:>8} {w:>8} {r['seconds']:>9.1f} {r['per_second']:>8.2f} "
            f"{base / r['seconds']:>8.2f}x",
            flush=True,
        )
    grader.close()  # idempotent: it may have served a row above
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
