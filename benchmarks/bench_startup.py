"""Benchmark: the commands a TA and a student run, whole, start-up included (issue 18).

Not a test. Each command runs in a fresh subprocess (``python -m grader ...``), ``--reps``
times; the median wall time is printed against its target. With ``--before PATH`` (another
checkout of this repository, say the main branch before a change) each command also runs
from there, side by side.

* ``grade, nothing to do``: the Otter assignment's 20 submissions graded once (not timed),
  then graded again: every submission unchanged (target 1.5 s).
* ``validate questions``: both seed exams, without --deep (target 3 s).
* ``check, non-code answers``: ``grader check`` in a kit of midsem-2025 holding the
  ``typical`` example answers without their code files (target 2 s).
* ``check, with code``: the same with the code files, visible cases run (target 3 s).
* ``grade 20 submissions``: the Otter assignment's class in a fresh --out, sandboxed when
  bubblewrap works here (else --no-sandbox, said so), against Otter's recorded
  seconds per submission (``--otter-s-per-sub``, default the figure in results/latest.md).

Each run of ``validate questions`` starts with the key cache left by the previous run (the
first run fills it; ``GRADER_CACHE_DIR`` points at a folder of this benchmark's, so the user's
cache is neither read nor written): the medians are of warm runs, and the cold run is
printed apart. ``--only validate,check`` times a subset (names: noop, validate, no-code,
with-code, fresh).

Usage: python benchmarks/bench_startup.py [--reps N] [--before PATH] [--otter-s-per-sub S]
       [--only NAMES]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OTTER_RECORDED_S_PER_SUB = 4.682
"""Otter 7.0.0's ``otter run``, seconds per submission on this assignment (results/latest.md,
2 CPUs): used when Otter is not installed here."""


def _timed(checkout: Path, args: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """``python -m grader ARGS`` from ``checkout`` (``cwd`` must not hold another one):
    (seconds to exit, seconds to the first line of stdout, exit status, output's tail)."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "grader", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    first, out = None, []
    for line in proc.stdout:
        first = first if first is not None else time.perf_counter() - t0
        out.append(line)
    rc = proc.wait()
    reader.join()
    total = time.perf_counter() - t0
    return total, first if first is not None else total, rc, ("".join(out) + "".join(err))[-400:]


def _run(checkout: Path, args: list[str], cwd: Path) -> tuple[float, int, str]:
    """``_timed`` without the first line's time."""
    total, _, rc, tail = _timed(checkout, args, cwd)
    return total, rc, tail


def _median(checkout: Path, args: list[str], cwd: Path, reps: int, first: bool = False) -> str:
    """The median seconds of ``reps`` runs (``first``: to the first line of stdout)."""
    times = []
    for _ in range(reps):
        total, to_first, rc, tail = _timed(checkout, args, cwd)
        if rc not in (0, 1):
            return f"failed (exit {rc}): {tail.strip().splitlines()[-1] if tail.strip() else ''}"
        times.append(to_first if first else total)
    return f"{statistics.median(times):.2f}"


def _sandbox_flag(checkout: Path, exam: Path, subs: Path, work: Path) -> list[str]:
    """``[]`` when a sandboxed grade works here, else ``["--no-sandbox"]``."""
    _, rc, _ = _run(checkout, ["grade", str(exam), str(subs), "--out", str(work), "--quiet"], ROOT)
    shutil.rmtree(work, ignore_errors=True)
    return [] if rc in (0, 3) else ["--no-sandbox"]


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--reps", type=int, default=3, help="runs per command (median reported)")
    ap.add_argument("--before", help="another checkout to time side by side (e.g. /work/main)")
    ap.add_argument("--otter-s-per-sub", type=float, default=OTTER_RECORDED_S_PER_SUB)
    ap.add_argument(
        "--only",
        default="noop,validate,no-code,with-code,fresh",
        help="comma-separated commands to time (default: all)",
    )
    args = ap.parse_args()
    only = {name.strip() for name in args.only.split(",")}

    from benchmarks.otter_assignment.otter_build import EXAM_FILE
    from benchmarks.otter_assignment.students import STUDENTS, write_ours

    checkouts = [("after", ROOT)] + ([("before", Path(args.before))] if args.before else [])
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        os.environ["GRADER_CACHE_DIR"] = str(work / "grader-cache")  # inherited by each run
        subs = write_ours(work / "subs")
        kit = work / "kit"
        _run(ROOT, ["kit", "midsem-2025", "--out", str(kit)], ROOT)
        with_code, no_code = work / "with-code", work / "no-code"
        for dest in (with_code, no_code):
            shutil.copytree(kit, dest)
        typical = ROOT / "submissions" / "midsem-2025" / "typical"
        for f in typical.iterdir():
            shutil.copy(f, with_code / f.name)
        lines = (typical / "answers.yaml").read_text().splitlines()
        (no_code / "answers.yaml").write_text(
            "\n".join(ln for ln in lines if not ln.rstrip().endswith(".py")) + "\n"
        )
        grades = bool(only & {"noop", "fresh"})
        flag = _sandbox_flag(ROOT, EXAM_FILE, subs, work / "probe-out") if grades else []
        n = len(STUDENTS)
        rows: list[tuple[str, float | None, list[str]]] = []
        for name, target, make in (
            ("grade, nothing to do", 1.5, "noop"),
            ("validate questions, cold cache", None, "validate-cold"),
            ("validate questions", 3.0, "validate"),
            ("check, non-code answers", 2.0, "no-code"),
            ("check with code: first verdicts", 2.0, "with-code-first"),
            ("check, with code", 3.0, "with-code"),
            (f"grade {n} submissions, fresh", None, "fresh"),
        ):
            if make.removesuffix("-cold").removesuffix("-first") not in only:
                continue
            cells = []
            for label, checkout in checkouts:
                out = work / f"out-{label}"
                grade = ["grade", str(EXAM_FILE), str(subs), "--quiet", *flag]
                if make == "noop":
                    _run(checkout, [*grade, "--out", str(out)], checkout)  # graded once, not timed
                    cells.append(
                        _median(checkout, [*grade, "--out", str(out)], checkout, args.reps)
                    )
                elif make == "validate-cold":
                    shutil.rmtree(work / "grader-cache", ignore_errors=True)
                    cells.append(_median(checkout, ["validate", "questions"], checkout, 1))
                elif make == "validate":
                    cells.append(_median(checkout, ["validate", "questions"], checkout, args.reps))
                elif make in ("no-code", "with-code", "with-code-first"):
                    folder = no_code if make == "no-code" else with_code
                    first = make == "with-code-first"
                    cells.append(_median(checkout, ["check"], folder, args.reps, first=first))
                else:
                    times = []
                    for rep in range(args.reps):
                        fresh = work / f"fresh-{label}-{rep}"
                        seconds, _, _ = _run(checkout, [*grade, "--out", str(fresh)], checkout)
                        times.append(seconds)
                    cells.append(f"{statistics.median(times):.2f}")
            rows.append((name, target, cells))

    heads = [label for label, _ in checkouts]
    print(
        f"{'command (wall s, median of ' + str(args.reps) + ')':<34}"
        + "".join(f"{h:>10}" for h in heads)
        + f"{'target':>9}  verdict"
    )
    for name, target, cells in rows:
        verdict = ""
        try:
            after = float(cells[0])
        except ValueError:
            after = None
        if target is not None and after is not None:
            verdict = "meets" if after <= target else "MISSES"
        elif after is not None and name.startswith("grade"):
            per = after / n
            ratio = args.otter_s_per_sub / per
            verdict = (
                f"{per:.3f} s/submission incl. start-up: {ratio:.0f}x Otter's "
                f"{args.otter_s_per_sub:.2f} s (target 30x: {'meets' if ratio >= 30 else 'MISSES'})"
            )
        t = f"{target:.1f}" if target is not None else "-"
        print(f"{name:<34}" + "".join(f"{c:>10}" for c in cells) + f"{t:>9}  {verdict}")
    given = args.otter_s_per_sub != OTTER_RECORDED_S_PER_SUB
    otter = "given" if given else "recorded in results/latest.md (Otter 7.0.0, not rerun here)"
    how = "sandboxed" if not flag else "WITHOUT sandbox (bubblewrap does not work here)"
    print(
        f"grading {how}; Otter figure {otter}; "
        f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
