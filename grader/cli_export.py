"""`grader export`: what was graded, in the files other systems import.

``--to`` picks a target from ``TARGETS``; each target is a function of the parsed arguments
and the loaded exam that writes ``--out`` and returns the exit status. Gradebook imports for
an LMS (``grader.lms.grades_out``) are the first; the exam's questions for an LMS question
bank (``grader.lms.moodle_xml``, ``grader.lms.qti``) the second; the zip Gradescope runs
as an autograder (``grader.lms.gradescope_autograder``) the third.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from grader.cli import ExitCode, add_exam_argument, add_questions_option
from grader.cli_args import existing_file, output_file
from grader.cli_grade import _add_db_option, _out_paths
from grader.errors import InfrastructureError

if TYPE_CHECKING:
    from grader.gradebook import Gradebook
    from grader.loading import LoadedExam

__all__ = ["TARGETS", "register"]

Target = Callable[[argparse.Namespace, "LoadedExam"], int]
"""Writes ``args.out`` for one ``--to`` target; returns the exit status."""


def _recorded_roster(gradebook: Gradebook, exam_id: str) -> Path | None:
    """The roster the last `grader grade` of ``exam_id`` used: its ``--roster``, else
    ``SUBMISSIONS_DIR/roster.csv``, if that file is still there."""
    found = gradebook.rows(
        "SELECT args FROM runs WHERE exam = ? ORDER BY id DESC LIMIT 1", (exam_id,)
    )
    if not found:
        return None
    args = json.loads(found[0][0])
    if args.get("roster"):
        path = Path(args["roster"])
    elif args.get("submissions"):
        path = Path(args["submissions"]) / "roster.csv"
    else:
        return None
    return path if path.is_file() else None


GRADE_TARGET_NAMES = ("canvas", "moodle", "gradescope-csv", "blackboard")
"""The ``--to`` targets of ``grader.lms.grades_out.GRADE_TARGETS``, named here so that every
command's start-up does not import the writers (and the reports they build on)."""


def _grades_target(name: str) -> Target:
    """A target writing the gradebook import file of ``GRADE_TARGETS[name]``."""

    def export(args: argparse.Namespace, exam: LoadedExam) -> int:
        from grader.gradebook import Gradebook
        from grader.lms.grades_out import GRADE_TARGETS, not_on_roster, roster_entries
        from grader.lms.roster import read_lms_roster
        from grader.reports import read_table

        _, db_path = _out_paths(args)
        if not db_path.is_file():
            raise InfrastructureError(
                f"no gradebook at {db_path}; run `grader grade` first (or pass --out-dir or --db)"
            )
        gradebook = Gradebook(db_path)
        try:
            table = read_table(exam, gradebook)
            roster_path = Path(args.roster) if args.roster else None
            roster_path = roster_path or _recorded_roster(gradebook, exam.exam.exam)
        finally:
            gradebook.close()
        pending = [row for row in table.students if row.pending]
        if pending:
            answers = sum(len(row.pending) for row in pending)
            if args.final:
                print(
                    f"--final: {answers} answer(s) of {len(pending)} student(s) still wait for "
                    f"a TA; nothing written. Finish them (grader review {args.exam}), or "
                    "export without --final for provisional totals",
                    file=sys.stderr,
                )
                return ExitCode.PROBLEMS
            print(
                f"warning: {len(pending)} student(s) have {answers} answer(s) waiting for a TA; "
                "their totals are provisional (use --final to refuse such an export)",
                file=sys.stderr,
            )
        roster = roster_entries(read_lms_roster(roster_path)) if roster_path else {}
        missing = not_on_roster(table, roster)
        if missing:
            where = f"roster {roster_path}" if roster_path else "any roster (pass --roster)"
            print(
                f"{len(missing)} graded student(s) not on {where}, exported by student id: "
                + ", ".join(repr(s) for s in missing),
                file=sys.stderr,
            )
        text = GRADE_TARGETS[name](table, exam, roster, by_section=args.by == "section")
        Path(args.file).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {args.file}: {len(table.students)} student(s) for {args.to}")
        return ExitCode.OK

    return export


def _imported_when_used(module: str, name: str) -> Callable[[LoadedExam, int | None], str | bytes]:
    """``module.name``, imported on first call: the writers import torch (for the keys), which
    every other verb's start-up would otherwise pay for."""

    def write(exam: LoadedExam, variants: int | None) -> str | bytes:
        import importlib

        writer: Callable[[LoadedExam, int | None], str | bytes] = getattr(
            importlib.import_module(module), name
        )
        return writer(exam, variants)

    return write


def _questions_target(write: Callable[[LoadedExam, int | None], str | bytes]) -> Target:
    """A target writing the exam's questions and keys (``--variants`` of each randomized one)."""

    def export(args: argparse.Namespace, exam: LoadedExam) -> int:
        data = write(exam, args.variants)
        Path(args.file).write_bytes(data.encode() if isinstance(data, str) else data)
        print(f"wrote {args.file}: the questions of {exam.exam.exam} for {args.to}")
        return ExitCode.OK

    return export


def _gradescope_autograder(args: argparse.Namespace, exam: LoadedExam) -> int:
    """The zip Gradescope runs as the exam's autograder (``grader.lms.gradescope_autograder``)."""
    from grader.lms.gradescope_autograder import write_autograder_zip
    from grader.variants import read_secret

    secret = read_secret(args.secret_file) if args.secret_file else None
    wheel = write_autograder_zip(
        exam,
        Path(args.file),
        wheel=Path(args.wheel) if args.wheel else None,
        visibility=args.visibility,
        secret=secret,
    )
    print(
        f"wrote {args.file}: the autograder of {exam.exam.exam} with {wheel.name}"
        + (" and the course secret" if secret else "")
        + "; upload it in Gradescope's Configure Autograder page"
    )
    return ExitCode.OK


TARGETS: dict[str, Target] = {
    **{name: _grades_target(name) for name in GRADE_TARGET_NAMES},
    "moodle-xml": _questions_target(_imported_when_used("grader.lms.moodle_xml", "moodle_xml")),
    "qti": _questions_target(_imported_when_used("grader.lms.qti", "qti_package")),
    "gradescope-autograder": _gradescope_autograder,
}
"""``--to`` targets by name."""


def _positive(text: str) -> int:
    """``--variants``: a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of variants, 1 or more: {text}")
    return value


def _cmd_export(args: argparse.Namespace) -> int:
    from grader.loading import load_exam

    exam = load_exam(args.exam, Path(args.questions))
    return TARGETS[args.to](args, exam)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `export` verb."""
    p = sub.add_parser(
        "export",
        help="write the grades (or the questions) as LMS import files",
        description="Write EXAM's marks (TA decisions applied) as an LMS's gradebook import "
        "file: Canvas, Moodle, Gradescope (upload scores) or Blackboard; or its questions "
        "and keys for an LMS question bank (moodle-xml, qti).",
    )
    add_exam_argument(p)
    p.add_argument("--to", required=True, choices=sorted(TARGETS), help="the format to write")
    p.add_argument(
        "--out",
        required=True,
        dest="file",
        type=output_file,
        metavar="FILE",
        help="file to write",
    )
    p.add_argument(
        "--out-dir",
        dest="out",
        default="out/grading",
        metavar="DIR",
        help="the grading output folder, as graded (default out/grading)",
    )
    _add_db_option(p)
    p.add_argument(
        "--roster",
        type=existing_file,
        metavar="CSV",
        help="roster CSV: student, then any of name, canvas_id, sis_user_id, sis_login_id, "
        "section, email, username (default: the roster the last grading run used)",
    )
    p.add_argument(
        "--by",
        choices=["exam", "section"],
        default="exam",
        help="one grade column for the exam (default) or one per section",
    )
    p.add_argument("--final", action="store_true", help="refuse while answers wait for a TA")
    p.add_argument(
        "--variants",
        type=_positive,
        metavar="N",
        help="moodle-xml, qti: N variants of each randomized question, as a random group",
    )
    p.add_argument(
        "--wheel",
        metavar="PATH",
        help="gradescope-autograder: the grader's wheel to ship (default: built from the "
        "grader's source tree; needed when the grader was installed from a wheel)",
    )
    p.add_argument(
        "--visibility",
        choices=["after_due_date", "after_published", "visible", "hidden"],
        default="after_due_date",
        help="gradescope-autograder: when students see marks and hidden cases' results "
        "(default after_due_date; visible cases and problems with the upload always show)",
    )
    p.add_argument(
        "--secret-file",
        metavar="PATH",
        help="gradescope-autograder: ship the course secret, for per-student variants",
    )
    add_questions_option(p)
    p.set_defaults(func=_cmd_export)
