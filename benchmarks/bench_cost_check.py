"""Benchmark: can the cost check's timing half tell O(T) from O(T^2) on the KV-cache task?

Not a test. The FLOP half of the cost check counts inside the student's process, so a count
can be forged; the timing half measures CPU time from outside it (the sandbox's supervisor)
at the question's ``timing_sizes`` and compares its growth with the reference's, timed in
the grader. This prints, over ``--rounds`` rounds, the growth exponent measured for the
honest cached generator, for one that recomputes the prefix every step (what a forged count
would hide), and for the reference, with the threshold the question's ``timing_slack`` sets:
the spread says how often an honest answer would be sent to a TA and how often a forger would
not be.

Usage: python benchmarks/bench_cost_check.py [--rounds 8] [--json FILE]
"""

from __future__ import annotations

import argparse
import inspect
import json
import statistics
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.cost_check import (  # noqa: E402
    TIMING_REPEATS,
    fastest,
    reference_seconds,
)
from grader.loading import load_exam, resolve_ref  # noqa: E402
from grader.sandbox import CaseInput, CodeJob, Construct, Limits, SandboxRunner, fit_growth_exponent  # noqa: E402
from reference_impls.mutants import b5a_i_2  # noqa: E402

QID = "B5a-i-2"


def quadratic_source() -> bytes:
    """The recompute-the-prefix generator as a student would submit it."""
    parts = [
        inspect.getsource(b5a_i_2._attend),
        inspect.getsource(b5a_i_2._layer),
        inspect.getsource(b5a_i_2.recompute_prefix).replace("@torch.no_grad()\n", ""),
    ]
    text = "import math, torch\n" + "\n".join(parts).replace(
        "recompute_prefix", "generate_with_cache"
    )
    return text.replace("  # type: ignore[no-untyped-def]", "").encode()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()

    exam = load_exam("midsem-2025", ROOT / "questions")
    question = exam.questions[QID]
    spec = question.complexity
    bank = exam.question_bank[QID]
    support = bank.support_sources(question)
    sizes = list(spec.timing_sizes)
    prompt = torch.tensor([1, 2, 3, 4])
    cases = [
        CaseInput(args=(Construct("tiny_lm:make_model", (), {"seed": 7, "eos_id": -1}), prompt, n))
        for n in sizes
    ] * TIMING_REPEATS
    sources = {
        "honest (cached)": (ROOT / "submissions/midsem-2025/paper/b5a_i_2.py").read_bytes(),
        "recomputes prefix": quadratic_source(),
    }
    ref = resolve_ref(question.reference)
    sys.path.insert(0, str(bank.folder / "support"))
    import tiny_lm  # the question's support module, as the grader builds the reference's inputs

    model = tiny_lm.make_model(seed=7, eos_id=-1)
    limits = Limits(cpu_seconds=10.0, wall_seconds=30.0, job_wall_seconds=120.0)
    exps: dict[str, list[float]] = {name: [] for name in [*sources, "reference (grader)"]}
    with SandboxRunner(workers=1) as runner:
        for _ in range(args.rounds):
            for name, src in sources.items():
                out = runner.run(
                    CodeJob(
                        files={"s.py": src},
                        entry="s.py",
                        function="generate_with_cache",
                        cases=cases,
                        support_files=support,
                        limits=limits,
                        measure_cpu=True,
                    )
                )
                got = fastest(sizes, [float(o.cpu_seconds or 0.0) for o in out])
                exps[name].append(fit_growth_exponent(sizes, got))
            ref_seconds = reference_seconds(ref, [(model, prompt, n) for n in sizes])
            exps["reference (grader)"].append(fit_growth_exponent(sizes, ref_seconds))
    ref_mean = statistics.mean(exps["reference (grader)"])
    print(
        f"cost check timing of {QID}: CPU-time growth exponent from T={sizes[0]} to T={sizes[-1]}, "
        f"{args.rounds} rounds; sent to a TA above reference + {spec.timing_slack} "
        f"(about {ref_mean + spec.timing_slack:.2f})"
    )
    print(f"{'code':>20} {'mean':>6} {'sd':>6} {'min':>6} {'max':>6}")
    figures = {}
    for name, values in exps.items():
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        figures[name] = {
            "mean": statistics.mean(values),
            "sd": sd,
            "min": min(values),
            "max": max(values),
        }
        print(
            f"{name:>20} {figures[name]['mean']:6.2f} {sd:6.2f} "
            f"{min(values):6.2f} {max(values):6.2f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
