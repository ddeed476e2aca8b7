"""Benchmark: our grader against Otter-Grader on the same assignment, side by side in one run.

Not a test. The assignment is ``benchmarks/otter_assignment`` (softmax and scaled
dot-product attention, 2 visible + 12 hidden cases each) and its 20 synthetic submissions
of mixed quality (``otter_assignment/students.py``). Otter's tests are generated from our
bank's cases (same inputs, same tolerance; see ``otter_assignment/otter_build.py``).

* Otter: ``otter run -a autograder.zip --no-logo -o OUT sNN.ipynb`` once per submission,
  sequentially, each timed (a fresh Jupyter kernel per submission: Otter's clean state;
  no sandbox, since ``otter run`` grades without Docker).
* Ours: ``grade_class`` with the real bubblewrap sandbox (each submission in a fresh runner
  forked from a clean zygote, its questions imported one after the other from their own
  folders, as cells of one notebook kernel; every process and file of a submission removed
  before the next), with 1 and 2 workers; the warm pool's start-up is timed apart.
* Ours, whole command: ``python -m grader grade`` in a fresh process and a fresh --out, as
  a TA runs it, start-up (imports, sandboxes, keys, reports) included.

Prints an agreement table (cases passed per question by each grader), seconds per
submission for each grader and the ratio Otter / ours. Otter lives in its own virtual
environment (``--otter-venv``, default ``benchmarks/.otter-venv``, else ``otter`` on PATH);
without it the script prints how to install it and exits 0.

Usage: python benchmarks/bench_otter.py [--otter-venv PATH] [--workers 1,2] [--keep DIR]
                                       [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_VENV = ROOT / "benchmarks" / ".otter-venv"
TARGET_RATIO = 300.0
"""Issue 18: per submission, excluding start-up (in one warm process)."""
COMMAND_TARGET_RATIO = 30.0
"""Issue 18: the whole command, start-up included, against ``otter run`` per submission."""

INSTALL = """\
Otter-Grader is not installed (looked for {where}).
It lives in its own virtual environment, never in .venv. To install it (torch first, the
CPU build on this platform, so the Jupyter kernel that runs the notebooks can import it):

    python3.11 -m venv benchmarks/.otter-venv
    benchmarks/.otter-venv/bin/pip install torch==2.13.0
    benchmarks/.otter-venv/bin/pip install otter-grader ipykernel numpy

then run this benchmark again (or pass --otter-venv PATH for a venv elsewhere)."""


# ----------------------------------------------------------------------------- finding Otter


def find_otter(venv: str | None) -> tuple[Path | None, str]:
    """The ``otter`` executable of a venv that can also import torch and ipykernel, or why not."""
    candidates: list[Path] = []
    if venv:
        candidates.append(Path(venv) / "bin" / "otter")
    else:
        candidates.append(DEFAULT_VENV / "bin" / "otter")
        on_path = shutil.which("otter")
        if on_path:
            candidates.append(Path(on_path))
    where = ", ".join(str(c) for c in candidates)
    for otter in candidates:
        if not otter.is_file() or not os.access(otter, os.X_OK):
            continue
        python = otter.parent / "python"
        if not python.exists():
            python = Path(shutil.which("python3") or "python3")
        probe = subprocess.run(
            [str(python), "-c", "import otter, torch, ipykernel, nbconvert"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if probe.returncode == 0:
            return otter, ""
        stderr = probe.stderr.strip()
        where += f" ({otter}: {stderr.splitlines()[-1] if stderr else 'import failed'})"
    return None, where


def otter_version(otter: Path) -> str:
    python = otter.parent / "python"
    proc = subprocess.run(
        [str(python), "-c", "import otter; print(otter.__version__)"],
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip() or "?"


# ----------------------------------------------------------------------------- grading


def grade_otter(
    otter: Path, autograder: Path, notebooks: dict[str, Path], work: Path
) -> dict[str, Any]:
    """``otter run`` per submission, sequentially; per-student scores and seconds."""
    env = dict(os.environ)
    env["PATH"] = f"{otter.parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    per: dict[str, dict[str, Any]] = {}
    for sid, nb in notebooks.items():
        out = work / "otter-results" / sid
        out.mkdir(parents=True)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [str(otter), "run", "-a", str(autograder), "--no-logo", "-o", str(out), str(nb)],
            capture_output=True,
            text=True,
            env=env,
            cwd=work,
            timeout=300,
        )
        seconds = time.perf_counter() - t0
        scores: dict[str, tuple[float, float]] = {}
        error = ""
        try:
            results = json.loads((out / "results.json").read_text())
            for t in results.get("tests", []):
                if "max_score" in t:
                    scores[t["name"]] = (float(t.get("score") or 0.0), float(t["max_score"]))
                elif t.get("name", "").startswith("Autograder"):
                    error = t["name"]
        except (OSError, ValueError) as exc:
            error = f"no results.json ({exc}); rc={proc.returncode}: {proc.stderr.strip()[-300:]}"
        if proc.returncode != 0 and not error:
            error = f"rc={proc.returncode}: {proc.stderr.strip()[-300:]}"
        per[sid] = {"seconds": seconds, "scores": scores, "error": error}
        print(f"  otter run {sid}: {seconds:5.2f} s", flush=True)
    return per


def grade_ours(workers: int, subs: Path, work: Path, reps: int) -> dict[str, Any]:
    """Our grader with the real sandbox: the pool's start-up timed once, then one warm-up
    grading of the class (first use of every code path in the grader and the sandboxes; timed
    and counted with the start-up) and ``reps`` full gradings (each with a fresh gradebook and
    freshly loaded exam, so nothing is skipped or memoized); the median of those is reported."""
    from benchmarks.otter_assignment.otter_build import EXAM_FILE
    from grader.classroom import LocalBackend, grade_class, make_runner
    from grader.gradebook import Gradebook
    from grader.loading import load_exam

    t0 = time.perf_counter()
    runner = make_runner(workers)
    getattr(runner, "wait_for_all_workers", lambda: None)()  # time the whole pool's start
    startup = time.perf_counter() - t0
    times: list[float] = []
    warmup = 0.0
    pers: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    try:
        for rep in range(reps + 1):
            exam = load_exam(EXAM_FILE)
            gb = Gradebook(work / f"gradebook-{workers}w-{rep}.sqlite")
            t1 = time.perf_counter()
            report = grade_class(
                exam, subs, gb, runner, workers=workers, backend=LocalBackend(runner, workers)
            )
            seconds = time.perf_counter() - t1
            if rep == 0:
                warmup = seconds  # the first grading: warm-up, counted with the start-up
            else:
                times.append(seconds)
            gb.close()
            failed.update(report.failed)
            pers.append(
                {
                    sid: {
                        q.question_id: {
                            "passed": sum(c.passed for c in q.cases),
                            "cases": len(q.cases),
                            "marks": q.marks,
                            "max": q.max_marks,
                            "status": q.status,
                        }
                        for q in res.questions
                    }
                    for sid, res in report.results.items()
                }
            )
    finally:
        runner.close()
    return {
        "workers": workers,
        "startup_s": startup + warmup,
        "pool_start_s": startup,
        "warmup_s": warmup,
        "grading_s": statistics.median(times),
        "all_grading_s": times,
        "per": pers[0],
        "stable": all(p == pers[0] for p in pers),
        "failed": failed,
        "sandboxed": bool(getattr(runner, "sandboxed", False)),
    }


def grade_command(workers: int, subs: Path, work: Path, reps: int) -> dict[str, Any]:
    """The whole command a TA runs, start-up included: ``grader grade`` of the class in a
    fresh process with a fresh --out (nothing to skip, nothing memoized), ``reps`` times;
    the median is reported."""
    from benchmarks.otter_assignment.otter_build import EXAM_FILE

    times: list[float] = []
    codes: list[int] = []
    for rep in range(reps):
        out = work / f"command-{workers}w-{rep}"
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "grader", "grade", str(EXAM_FILE), str(subs)]
            + ["--out", str(out), "--workers", str(workers), "--quiet"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - t0)
        codes.append(proc.returncode)
    return {"workers": workers, "seconds": statistics.median(times), "all": times, "exit": codes}


# ----------------------------------------------------------------------------- report


def _cell(passed: int, n: int) -> str:
    return f"{passed:>2}/{n}"


def agreement(
    students: list[Any], n_cases: dict[str, int], otter: dict[str, Any], ours: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """Rows of the table and the disagreements (cases passed per question, per grader)."""
    qids = list(n_cases)
    head = (
        f"{'student':<8}"
        + "".join(f"{q + ' ours':>10}{q + ' otter':>11}" for q in qids)
        + f"  {'agree':<6}what"
    )
    rows = [head, "-" * len(head)]
    disagreements = []
    for s in students:
        cells, agree = [], True
        for q in qids:
            n = n_cases[q]
            o = ours["per"].get(s.id, {}).get(q)
            ours_pass = o["passed"] if o else 0
            score, possible = otter[s.id]["scores"].get(q, (0.0, 0.0))
            otter_pass = round(score / possible * n) if possible else 0
            if ours_pass != otter_pass or otter[s.id]["error"]:
                agree = False
                error = otter[s.id]["error"]
                disagreements.append(
                    f"{s.id} {q}: ours {ours_pass}/{n} ({o['status'] if o else 'not graded'}), "
                    f"otter {otter_pass}/{n} ({score:g}/{possible:g} points)"
                    f"{' ' + error if error else ''}"
                )
            cells.append(f"{_cell(ours_pass, n):>10}{_cell(otter_pass, n):>11}")
        rows.append(f"{s.id:<8}" + "".join(cells) + f"  {'yes' if agree else 'NO':<6}{s.what}")
    return rows, disagreements


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--otter-venv",
        help="virtual environment holding otter-grader "
        f"(default {DEFAULT_VENV.relative_to(ROOT)}, else PATH)",
    )
    ap.add_argument("--workers", default="1,2", help="our grader's worker counts, comma-separated")
    ap.add_argument(
        "--reps",
        type=int,
        default=5,
        help="full gradings of the class per worker count after a warm-up one (median reported)",
    )
    ap.add_argument(
        "--keep",
        help="also write the generated assignment (both formats) and results into this folder",
    )
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()

    otter, where = find_otter(args.otter_venv)
    if otter is None:
        print(INSTALL.format(where=where))
        return 0

    from benchmarks.otter_assignment.otter_build import build_autograder, question_cases
    from benchmarks.otter_assignment.students import STUDENTS, write_notebooks, write_ours
    from grader.classroom import make_runner  # noqa: F401 - fail early without the project

    workers = [int(w) for w in args.workers.split(",") if w]
    with tempfile.TemporaryDirectory(prefix="bench-otter-") as tmp:
        work = Path(args.keep).resolve() if args.keep else Path(tmp)
        if args.keep and work.exists() and any(work.iterdir()):
            print(f"--keep {args.keep}: the folder must be new or empty")
            return 2
        work.mkdir(parents=True, exist_ok=True)
        t_setup = time.perf_counter()
        qcs = question_cases()
        n_cases = {qc.qid: len(qc.cases) for qc in qcs}
        autograder = build_autograder(work / "otter-assignment", otter, qcs)
        notebooks = write_notebooks(work / "otter-submissions")
        subs = write_ours(work / "our-submissions")
        setup = time.perf_counter() - t_setup
        n = len(STUDENTS)
        questions = ", ".join(
            f"{qc.qid} ({len(qc.cases)} cases: {sum(v for _, v, _, _ in qc.cases)} visible)"
            for qc in qcs
        )
        print(
            f"assignment: {questions}; {n} submissions; Otter {otter_version(otter)} at {otter}; "
            f"setup {setup:.1f} s (not timed)"
        )
        print()
        print("Otter-Grader: otter run per submission, sequentially")
        t0 = time.perf_counter()
        otter_per = grade_otter(otter, autograder, notebooks, work)
        otter_total = time.perf_counter() - t0
        t_cli = time.perf_counter()
        subprocess.run([str(otter), "--version"], capture_output=True, timeout=120)
        otter_cli = time.perf_counter() - t_cli
        ours_runs = []
        for w in workers:
            r = grade_ours(w, subs, work, max(1, args.reps))
            ours_runs.append(r)
            timings = ", ".join(f"{t:.2f}" for t in r["all_grading_s"])
            print(
                f"ours ({w} worker{'s' if w > 1 else ''}, sandboxed={r['sandboxed']}): "
                f"pool start-up {r['pool_start_s']:.2f} s, "
                f"warm-up grading {r['warmup_s']:.2f} s, then class graded in {timings} s "
                f"(median {r['grading_s']:.2f} s)",
                flush=True,
            )
            if r["failed"] or not r["stable"]:
                print(
                    f"  WARNING: failed {r['failed']}; "
                    f"identical results across repetitions: {r['stable']}"
                )

        commands = []
        for w in workers:
            c = grade_command(w, subs, work, max(1, min(args.reps, 3)))
            commands.append(c)
            print(
                f"ours, the whole `grader grade` command ({w} worker{'s' if w > 1 else ''}, "
                f"start-up included): {', '.join(f'{t:.2f}' for t in c['all'])} s "
                f"(median {c['seconds']:.2f} s; exit {c['exit']})",
                flush=True,
            )

        print()
        print("agreement: cases passed per question (visible + hidden)")
        rows, disagreements = agreement(STUDENTS, n_cases, otter_per, ours_runs[0])
        print("\n".join(rows))
        for r in ours_runs[1:]:
            other_rows, _ = agreement(STUDENTS, n_cases, otter_per, r)
            if other_rows != rows:
                disagreements.append(
                    f"ours with {r['workers']} workers differs from ours with "
                    f"{ours_runs[0]['workers']}"
                )
        if disagreements:
            print(f"{len(disagreements)} disagreement(s):")
            for d in disagreements:
                print(f"  {d}")
        else:
            print(
                f"both graders agree on every case count for all {n} submissions x "
                f"{len(n_cases)} questions"
            )

        secs = [p["seconds"] for p in otter_per.values()]
        otter_per_sub = otter_total / n
        print()
        print(f"{'grader':<34} {'s/submission':>13} {'Otter / ours':>13}")
        print(f"{'Otter (otter run, fresh kernel)':<34} {otter_per_sub:>13.3f} {'1.0x':>13}")
        print(
            f"{'':<34} (median {statistics.median(secs):.2f} s, min {min(secs):.2f}, "
            f"max {max(secs):.2f}; total {otter_total:.1f} s;"
        )
        print(
            f"{'':<34}  `otter --version` alone, the CLI's own start-up, takes {otter_cli:.2f} s)"
        )
        figures: dict[str, Any] = {
            "submissions": n,
            "otter_version": otter_version(otter),
            "otter_s_per_submission": otter_per_sub,
            "otter_total_s": otter_total,
            "otter_median_s": statistics.median(secs),
            "otter_cli_startup_s": otter_cli,
            "otter_per_submission_s": {k: v["seconds"] for k, v in otter_per.items()},
            "ours": [],
            "agree": not disagreements,
            "disagreements": disagreements,
        }
        for r in ours_runs:
            excl = r["grading_s"] / n
            incl = (r["grading_s"] + r["startup_s"]) / n
            label = f"ours, {r['workers']} worker{'s' if r['workers'] > 1 else ''}, sandboxed"
            print(f"{label + ' (excl. start-up)':<34} {excl:>13.4f} {otter_per_sub / excl:>12.0f}x")
            print(f"{label + ' (incl. start-up)':<34} {incl:>13.4f} {otter_per_sub / incl:>12.0f}x")
            figures["ours"].append(
                {
                    "workers": r["workers"],
                    "startup_s": r["startup_s"],
                    "pool_start_s": r["pool_start_s"],
                    "warmup_s": r["warmup_s"],
                    "grading_s": r["grading_s"],
                    "all_grading_s": r["all_grading_s"],
                    "s_per_submission_excl_startup": excl,
                    "s_per_submission_incl_startup": incl,
                    "ratio_excl_startup": otter_per_sub / excl,
                    "ratio_incl_startup": otter_per_sub / incl,
                    "sandboxed": r["sandboxed"],
                    "failed": r["failed"],
                }
            )
        figures["commands"] = []
        for c in commands:
            per = c["seconds"] / n
            label = f"ours, `grader grade`, {c['workers']} worker{'s' if c['workers'] > 1 else ''}"
            print(f"{label:<34} {per:>13.4f} {otter_per_sub / per:>12.0f}x   (whole command)")
            figures["commands"].append({**c, "s_per_submission": per, "ratio": otter_per_sub / per})
        best = max(figures["ours"], key=lambda f: f["ratio_excl_startup"])
        verdict = "meets" if best["ratio_excl_startup"] >= TARGET_RATIO else "MISSES"
        print(
            f"target: at least {TARGET_RATIO:.0f}x per submission (excluding the pool's start-up "
            f"and warm-up grading): best {best['ratio_excl_startup']:.0f}x "
            f"with {best['workers']} worker(s) -> {verdict} the target; "
            f"including start-up {best['ratio_incl_startup']:.0f}x"
        )
        if figures["commands"]:
            whole = max(figures["commands"], key=lambda f: f["ratio"])
            print(
                f"target: the whole `grader grade` command at least {COMMAND_TARGET_RATIO:.0f}x "
                f"Otter's `otter run`: best {whole['ratio']:.0f}x with {whole['workers']} "
                f"worker(s) -> {'meets' if whole['ratio'] >= COMMAND_TARGET_RATIO else 'MISSES'}"
            )
        print(
            "isolation: Otter runs each notebook in a fresh Jupyter kernel with no sandbox "
            "(otter run is Otter's non-containerized mode); ours runs each submission in a fresh "
            "runner forked from a clean zygote inside a bubblewrap sandbox (each question imported "
            "from its own folder; hidden inputs enter only after every visible case is reported) "
            "and removes every process and file of a submission before the next"
        )
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
