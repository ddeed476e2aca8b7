"""Benchmark: does the Ray backend scale? Not a test.

1. Throughput on the mid-sem example class (``bench_class.make_class``), sandboxed, all
   pools warm before timing: the local backend with 1 worker against the Ray backend with
   N = 1, 2 grading actors on a local Ray instance of this machine's CPUs (N actors by
   ``cpus_per_actor`` = CPUs / N). Target: Ray with N actors >= 0.8 x N x one local
   worker's throughput.
2. ``--large 5000``: that many submissions of the Otter assignment class
   (``benchmarks/otter_assignment``: 20 submissions of softmax + attention, cycled under new
   ids), graded by Ray with the most actors, with the cost curve: cumulative seconds and
   submissions per second after 500, 1000, 2000, ... graded.

Usage: python benchmarks/bench_ray.py [--size 40] [--actors 1,2] [--large 5000] [--quick]
       [--json FILE]
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

from benchmarks.bench_class import make_class  # noqa: E402
from grader.classroom import Backend, LocalBackend, grade_class, make_runner  # noqa: E402
from grader.gradebook import Gradebook  # noqa: E402
from grader.loading import LoadedExam, load_exam  # noqa: E402

CURVE = (500, 1000, 2000, 5000, 10000)


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(
    exam: LoadedExam, klass: Path, backend: Backend, checkpoints: tuple[int, ...] = ()
) -> dict[str, Any]:
    """Grade ``klass`` into a fresh gradebook with ``backend``; seconds, and the cumulative
    seconds when each of ``checkpoints`` submissions were in."""
    curve: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        gb = Gradebook(Path(tmp) / "gb.sqlite")
        t0 = time.perf_counter()

        def progress(done: int, total: int, student: str) -> None:
            if done in checkpoints or (checkpoints and done == total):
                curve[done] = seconds = time.perf_counter() - t0
                print(f"{done:>8} {seconds:>9.1f} {done / seconds:>8.1f}  ({load()})", flush=True)

        report = grade_class(exam, klass, gb, None, backend=backend, on_progress=progress)
        seconds = time.perf_counter() - t0
        gb.close()
    n = len(report.graded) + len(report.failed)
    return {
        "n": n,
        "seconds": seconds,
        "per_second": n / seconds,
        "curve": curve,
        "failed": len(report.failed),
    }


def otter_class(dest: Path, n: int) -> Path:
    """``n`` student folders cycling through the Otter assignment's 20 submissions."""
    from benchmarks.otter_assignment.students import write_ours

    templates = sorted(p for p in write_ours(dest.parent / "templates").iterdir() if p.is_dir())
    dest.mkdir(parents=True)
    for i in range(n):
        folder = dest / f"s{i:05d}"
        shutil.copytree(templates[i % len(templates)], folder)
        answers = folder / "answers.yaml"
        answers.write_text(
            "\n".join(
                f"student: {folder.name}" if line.startswith("student:") else line
                for line in answers.read_text().splitlines()
            )
            + "\n"
        )
    return dest


def ray_backend(ray: Any, cpus: int, actors: int) -> Any:
    """A Ray backend with ``actors`` warm CPU actors on a fresh local Ray instance."""
    from grader.ray_backend import RayBackend

    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=cpus, num_gpus=0, include_dashboard=False, log_to_driver=False)
    backend = RayBackend(cpus_per_actor=cpus / actors)
    warm = backend.warm(actors)
    if warm != actors:
        raise SystemExit(f"only {warm} of {actors} Ray actors started")
    return backend


def throughput(ray: Any, size: int, actor_counts: list[int], cpus: int) -> list[dict[str, Any]]:
    exam = load_exam("midsem-2025", ROOT / "questions")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        klass = make_class(Path(tmp) / "class", size)
        warmup = make_class(Path(tmp) / "warmup", 2 * max(actor_counts))  # 2 per actor
        runner = make_runner(1)
        try:
            local = LocalBackend(runner, 1)
            first = timed(exam, warmup, local)  # reference outputs computed once per process
            rows.append(
                {
                    "backend": "local",
                    "workers": 1,
                    "warmup_s": first["seconds"],
                    **timed(exam, klass, local),
                }
            )
        finally:
            runner.close()
        for n in actor_counts:
            backend = ray_backend(ray, cpus, n)
            try:
                first = timed(exam, warmup, backend)  # each actor computes the references once
                rows.append(
                    {
                        "backend": "ray",
                        "workers": n,
                        "warmup_s": first["seconds"],
                        **timed(exam, klass, backend),
                    }
                )
            finally:
                backend.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--size", type=int, default=40, help="mid-sem class size for throughput")
    ap.add_argument("--actors", default="1,2", help="Ray actor counts to compare")
    ap.add_argument("--large", type=int, default=5000, help="Otter-class size (0: skip)")
    ap.add_argument("--quick", action="store_true", help="a smoke run: 12 and 500 submissions")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    if args.quick:
        args.size, args.large = 12, min(args.large, 500)
    try:
        import ray
    except ImportError:
        print("Ray not installed: pip install '.[ray]'")
        return
    cpus = os.cpu_count() or 1
    counts = [int(x) for x in args.actors.split(",") if x]
    print(
        f"1. throughput, midsem-2025, {args.size} submissions, sandboxed, pools warm "
        f"({cpus} CPUs, {load()})"
    )
    rows = throughput(ray, args.size, counts, cpus)
    base = rows[0]["per_second"]
    print(
        f"{'backend':>8} {'workers':>8} {'seconds':>8} {'subs/s':>8} "
        f"{'x 1 local':>10} {'target':>8} {'warm-up s':>10}"
    )
    for r in rows:
        target = "" if r["backend"] == "local" else f"{0.8 * r['workers']:.1f}x"
        print(
            f"{r['backend']:>8} {r['workers']:>8} {r['seconds']:>8.2f} {r['per_second']:>8.2f} "
            f"{r['per_second'] / base:>9.2f}x {target:>8} {r['warmup_s']:>10.1f}",
            flush=True,
        )
    print(f"({load()})")
    results: dict[str, Any] = {"throughput": rows}
    if args.large:
        n_actors = max(counts)
        print(
            f"\n2. large run: {args.large} submissions of the Otter assignment class "
            f"(softmax + attention, 28 cases each), Ray with {n_actors} actors, sandboxed"
        )
        exam = load_exam(ROOT / "benchmarks" / "otter_assignment" / "exam.yaml")
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            klass = otter_class(Path(tmp) / "class", args.large)
            made = time.perf_counter() - t0
            backend = ray_backend(ray, cpus, n_actors)
            print(f"(class written in {made:.0f} s, not counted)")
            print(f"{'graded':>8} {'seconds':>9} {'subs/s':>8}", flush=True)
            try:
                timed(exam, otter_class(Path(tmp) / "w" / "class", 20), backend)  # warm-up
                big = timed(exam, klass, backend, CURVE)
            finally:
                backend.close()
        print(
            f"total: {big['n']} submissions in {big['seconds']:.1f} s, "
            f"{big['per_second']:.1f} subs/s, {big['failed']} failed ({load()})"
        )
        results["large"] = big
    ray.shutdown()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
