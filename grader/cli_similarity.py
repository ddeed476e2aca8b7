"""`grader similarity`: evidence of copied code and copied answers in a graded class.

Reads the gradebook ``grader grade`` wrote (``--out``, or ``--db``) and the submission
folders it names, and writes ``similarity.html`` and ``similarity.csv`` into ``--out``.
Nothing leaves the machine and nothing goes into student feedback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.cli import ExitCode, add_exam_argument, add_questions_option
from grader.cli_args import output_folder

__all__ = ["register"]


def share(text: str) -> float:
    """``--threshold``: a share of code between 0 (exclusive) and 1."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a share; pass a number above 0 and at most 1, e.g. 0.5"
        )
    return value


def _cmd_similarity(args: argparse.Namespace) -> int:
    from grader.errors import InfrastructureError
    from grader.gradebook import Gradebook
    from grader.loading import load_exam
    from grader.similarity import DEFAULT_THRESHOLD, analyse, write_report
    from grader.similarity.collect import class_work, given_code, slot_kinds

    exam = load_exam(args.exam, Path(args.questions))
    out = Path(args.out)
    db_path = Path(args.db) if args.db else out / "gradebook.sqlite"
    if not db_path.is_file():
        raise InfrastructureError(
            f"no gradebook at {db_path}; run `grader grade {args.exam} SUBMISSIONS_DIR "
            f"--out {out}` first (or pass --db)"
        )
    gradebook = Gradebook(db_path)
    try:
        works, left_out = class_work(exam, gradebook)
    finally:
        gradebook.close()
    for line in left_out:
        print(f"left out: {line}", file=sys.stderr)
    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    report = analyse(exam.exam.exam, works, slot_kinds(exam), given_code(exam), threshold)
    html, csv = write_report(report, out)
    print(
        f"{len(report.pairs)} pair(s) to look at among {report.students} submissions, "
        f"{len(report.clusters)} group(s) of more than two: {html} (CSV: {csv}). "
        "This is evidence for a person to judge, not a finding."
    )
    return ExitCode.PROBLEMS if left_out else ExitCode.OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `similarity` verb."""
    p = sub.add_parser(
        "similarity",
        help="evidence of copied code and answers in a graded class",
        description="Compare every graded submission of EXAM: code by winnowed fingerprints "
        "(stub and support code removed), wrong answers and MCQ patterns by how improbable "
        "their agreement is in this class, text answers by wording, and answers right for "
        "another student's variant. Writes similarity.html and similarity.csv into --out. "
        "Evidence for a person to judge, never shown to students.",
    )
    add_exam_argument(p, "exam id under questions/ (e.g. midsem-2025) or an exam file")
    p.add_argument(
        "--out",
        type=output_folder,
        default="out/grading",
        metavar="DIR",
        help="the grading folder: its gradebook is read, the report written (default out/grading)",
    )
    p.add_argument(
        "--db", metavar="PATH", help="gradebook file (default gradebook.sqlite inside --out)"
    )
    p.add_argument(
        "--threshold",
        type=share,
        default=None,
        metavar="T",
        help="least share of one student's code (given code removed) found in the other's "
        "for a code pair to be shown (default 0.4)",
    )
    add_questions_option(p)
    p.set_defaults(func=_cmd_similarity)
