"""Run every benchmark and write the figures to benchmarks/results/.

Usage: python benchmarks/run_all.py [--quick]

Runs, one after the other (never part of the test suite):
  1. bench_sandbox.py  per-case overhead: in-process vs warm sandbox vs a new sandboxed
                       interpreter per case; 100 submissions x 20 hidden cases
  2. bench_class.py    class throughput (50, 200, 800 mid-sem submissions) and scaling
                       with workers (1, 2 local; Ray)
  3. bench_render.py   rendering 1,000 variants of the mid-sem paper and key
  4. bench_cost_check.py  whether the cost check's CPU timing tells O(T) from O(T^2)
  5. bench_otter.py    the same small assignment graded by Otter-Grader, when installed
  6. bench_notebooks.py  the mid-sem example class as notebooks vs as .py files (target 1.2x)
  7. bench_limit.py    the mid-sem class sandboxed vs the same functions on the same cases
                       in-process, no sandbox (target 1.5x)
  8. bench_startup.py  whole commands, start-up included: a no-op grade, validate, check,
                       20 submissions graded fresh against Otter's seconds per submission
  8. bench_ray.py      the Ray backend: 1 local worker vs N Ray actors on the mid-sem class,
                       and 5,000 Otter-class submissions with the cost curve (--quick: 500)
Each prints its table; the combined output goes to benchmarks/results/latest.md together
with the machine it ran on.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="smaller classes (a smoke run)")
    args = ap.parse_args()
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    import torch

    gpu = f"CUDA {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "no GPU"
    machine = (
        f"{platform.node()}: {os.cpu_count()} CPUs, {platform.machine()}, "
        f"Python {platform.python_version()}, torch {torch.__version__}, {gpu}, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    runs = [
        ["bench_sandbox.py"],
        ["bench_class.py", "--json", str(out_dir / "class.json")]
        + (["--sizes", "10,40", "--scaling-size", "10"] if args.quick else []),
        ["bench_render.py"] + (["--variants", "100"] if args.quick else []),
        ["bench_cost_check.py"] + (["--rounds", "3"] if args.quick else []),
        ["bench_otter.py", "--reps", "5"],
        ["bench_notebooks.py"] + (["--copies", "3"] if args.quick else []),
        ["bench_limit.py"] + (["--size", "16"] if args.quick else []),
        ["bench_startup.py"] + (["--reps", "1"] if args.quick else []),
        ["bench_ray.py", "--json", str(out_dir / "ray.json")] + (["--quick"] if args.quick else []),
    ]
    lines = [f"# benchmarks, {time.strftime('%Y-%m-%d %H:%M')}", f"machine: {machine}", ""]
    print(lines[1], flush=True)
    for cmd in runs:
        header = f"## {' '.join(cmd)}"
        print(header, flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(HERE / cmd[0]), *cmd[1:]], capture_output=True, text=True
        )
        text = proc.stdout + (
            f"\n(exit {proc.returncode}) {proc.stderr[-2000:]}" if proc.returncode else ""
        )
        print(text, flush=True)
        lines += [header, "```", text.rstrip(), "```", f"({time.perf_counter() - t0:.0f} s)", ""]
    (out_dir / "latest.md").write_text("\n".join(lines) + "\n")
    print(f"written to {out_dir / 'latest.md'}")


if __name__ == "__main__":
    main()
