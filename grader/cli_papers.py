"""`grader render`, `grader kit` and `grader check`: papers, keys, kits, self-check."""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from grader.cli import add_exam_argument, add_questions_option
from grader.cli_args import existing_file, existing_folder, output_folder, whole_number
from grader.errors import InfrastructureError, SubmissionError

if TYPE_CHECKING:
    from grader.results import QuestionResult
    from grader.sandbox import Runner

__all__ = ["register", "print_result"]


def _cmd_render(args: argparse.Namespace) -> int:
    from grader.loading import load_exam
    from grader.render import render_variant
    from grader.submissions import read_roster
    from grader.variants import read_secret, variant_seed

    exam = load_exam(args.exam, Path(args.questions))
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    bad = sorted(set(formats) - {"md", "html", "tex", "pdf"})
    if bad:
        raise InfrastructureError(f"unknown format(s) {', '.join(bad)}; use md, html, tex, pdf")
    secret = read_secret(args.secret_file)
    out = Path(args.out)
    jobs: list[tuple[int, str | None, str | None]] = []
    if args.student:
        jobs.append((variant_seed(secret, exam.exam.exam, args.student), args.student, None))
    elif args.roster:
        for sid in read_roster(Path(args.roster)):
            jobs.append((variant_seed(secret, exam.exam.exam, sid), sid, None))
    elif args.variants:
        jobs += [(v, None, None) for v in range(1, args.variants + 1)]
    else:
        jobs.append((0, None, "paper-variant-P"))
    count = 0
    for variant, student, stem in jobs:
        try:
            render_variant(exam, variant, out, formats, student=student, stem=stem)
        except InfrastructureError as exc:
            if "pdf" in formats:
                print(f"render: {exc}", file=sys.stderr)
                render_variant(
                    exam,
                    variant,
                    out,
                    [f for f in formats if f != "pdf"] + ["tex"],
                    student=student,
                    stem=stem,
                )
            else:
                raise
        count += 1
    note = (
        ""
        if secret or not (args.student or args.roster)
        else " (no secret set: every student gets variant P, the printed paper)"
    )
    print(f"rendered {count} paper(s) and key(s) into {out}{note}")
    return 0


def _cmd_kit(args: argparse.Namespace) -> int:
    from grader.kit import build_kit
    from grader.loading import load_exam
    from grader.variants import read_secret, variant_seed

    exam = load_exam(args.exam, Path(args.questions))
    variant = (
        variant_seed(read_secret(args.secret_file), exam.exam.exam, args.student)
        if args.student
        else 0
    )
    if args.format == "ipynb":
        from grader.notebooks.kit_notebook import build_kit_notebook

        path = build_kit_notebook(exam, Path(args.out), variant, args.student)
        print(f"kit notebook for {exam.exam.exam}: {path} (open it in Jupyter or Colab)")
        return 0
    files = build_kit(exam, Path(args.out), variant, args.student)
    print(
        f"kit for {exam.exam.exam} in {args.out} ({len(files)} files): fill in answers.yaml and "
        "the stubs, then run `grader check` there"
    )
    return 0


def _print_question(q: QuestionResult) -> None:
    label = (
        "readable, marked at grading time"
        if q.status == "unchecked" and not q.cases
        else q.status.replace("_", " ")
    )
    print(f"{q.question_id}: {label}")
    for line in q.feedback.splitlines():
        print(f"    {line}")


def print_result(result: object, note: str) -> None:
    from grader.results import SubmissionResult

    assert isinstance(result, SubmissionResult)
    for p in result.problems:
        print(f"problem: {p}")
    for q in result.questions:
        _print_question(q)
    print()
    print(note)


def _cmd_check(args: argparse.Namespace) -> int:
    from grader.deferred_runner import DeferredRunner
    from grader.kit_check import SELF_CHECK_NOTE, SelfCheck

    folder = Path(args.folder)
    if not (folder / "answers.yaml").is_file():
        raise SubmissionError(
            f"no answers.yaml in {folder}; run `grader check` in your kit folder or pass it"
        )
    runner = DeferredRunner(lambda: _check_runner(args.sandbox), sandboxed=args.sandbox)
    if _names_a_code_file(folder / "answers.yaml"):
        runner.start_in_background()  # as early as can be: the worker's torch import is long
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if args.exam:
                from grader.kit import build_kit
                from grader.loading import load_exam

                build_kit(load_exam(args.exam, Path(args.questions)), Path(tmp))
                kit = Path(tmp)
            else:
                kit = Path(args.kit) if args.kit else folder
                if not (kit / "kit.json").is_file():
                    raise SubmissionError(
                        f"no kit.json in {kit}; pass --kit KIT_DIR or --exam EXAM"
                    )
            check = SelfCheck.read(kit, folder)
            if check.has_code:
                # the worker (its own torch import) starts while the other answers are
                # checked, and so does this process's: the visible cases' inputs and the
                # comparisons need torch here too
                runner.start_in_background()
                threading.Thread(
                    target=importlib.import_module, args=("torch",), name="torch", daemon=True
                ).start()
            for p in check.submission.problems:
                print(f"problem: {p}")
            # every answer that is not code first: a student sees them before any code runs
            for q in check.readable():
                _print_question(q)
            sys.stdout.flush()
            if check.has_code and not args.sandbox:
                from grader.sandbox import NO_SANDBOX_WARNING

                print(
                    f"note: {NO_SANDBOX_WARNING} (--no-sandbox is implied for a self-check)",
                    file=sys.stderr,
                )
            for q in check.code(runner):
                _print_question(q)
    finally:
        runner.close()
    print()
    print(SELF_CHECK_NOTE)
    return 0


_CODE_FILE_LINE = re.compile(r"^\s*[^#\s][^#]*\.(py|ipynb)\b", re.MULTILINE)


def _names_a_code_file(answers: Path) -> bool:
    """Whether a line of ``answers`` that is not a comment names a ``.py`` or ``.ipynb``
    file: a look at the text before it is parsed, so that the worker starts at once when
    there is likely code to run (``SelfCheck.has_code`` decides; this only decides when)."""
    try:
        return bool(_CODE_FILE_LINE.search(answers.read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return False


def _check_runner(sandboxed: bool) -> Runner:
    """The self-check's one worker: in the sandbox with ``--sandbox``, else a plain process."""
    from grader.sandbox import InProcessRunner, SandboxRunner, sandbox_available

    if sandboxed:
        ok, detail = sandbox_available()
        if not ok:
            raise InfrastructureError(detail)
        return SandboxRunner(workers=1, warm_flops=False)  # a self-check counts no FLOPs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # said above, before the start-up
        return InProcessRunner(workers=1, warm_flops=False)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `render`, `kit` and `check` verbs."""
    p = sub.add_parser(
        "render",
        help="render exam papers and answer keys",
        description="Render the paper and its answer key (worked solutions included) for one "
        "student (--student), every student of a roster (--roster) or N anonymous variants "
        "(--variants), as Markdown, standalone HTML with rendered math, LaTeX and PDF (PDF needs "
        "a LaTeX engine). Without any of them: the printed paper.",
    )
    add_exam_argument(p)
    p.add_argument("--student", metavar="ID", help="render this student's variant")
    p.add_argument(
        "--roster",
        type=existing_file,
        metavar="CSV",
        help="render the variant of every student on this roster",
    )
    p.add_argument(
        "--variants", type=whole_number, default=0, metavar="N", help="render N anonymous variants"
    )
    p.add_argument(
        "--format",
        default="md,html",
        metavar="LIST",
        help="comma-separated: md, html, tex, pdf (default md,html)",
    )
    p.add_argument(
        "--out",
        type=output_folder,
        default="out/papers",
        metavar="DIR",
        help="output folder (default out/papers)",
    )
    p.add_argument(
        "--secret-file",
        type=existing_file,
        metavar="PATH",
        help="course secret (or $GRADER_SECRET); without one every student gets the printed paper",
    )
    add_questions_option(p)
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser(
        "kit",
        help="build a student kit",
        description="Write what a student may see: the paper, a stub per code question, an "
        "answers.yaml template, support modules and the visible cases with expected outputs. No "
        "hidden case, key, reference or secret.",
    )
    add_exam_argument(p)
    p.add_argument(
        "--out", required=True, type=output_folder, metavar="DIR", help="kit folder to write"
    )
    p.add_argument("--student", metavar="ID", help="build this student's variant")
    p.add_argument(
        "--secret-file",
        type=existing_file,
        metavar="PATH",
        help="course secret (or $GRADER_SECRET)",
    )
    p.add_argument(
        "--format",
        choices=("folder", "ipynb"),
        default="folder",
        help="folder: paper, stubs and answers.yaml (default); ipynb: one Jupyter/Colab notebook",
    )
    add_questions_option(p)
    p.set_defaults(func=_cmd_kit)

    p = sub.add_parser(
        "check",
        help="self-check answers before submitting",
        description="Grade the answers in FOLDER against the visible cases and the checks that "
        "need no secret (can each answer be read?), with the same feedback format as real "
        "grading. Hidden cases run at grading time. Runs your own code without a sandbox unless "
        "--sandbox is given.",
    )
    p.add_argument(
        "folder",
        nargs="?",
        default=".",
        type=existing_folder,
        metavar="FOLDER",
        help="your answers folder (default: here)",
    )
    p.add_argument(
        "--kit", type=existing_folder, metavar="DIR", help="kit folder (default: FOLDER)"
    )
    p.add_argument(
        "--exam",
        metavar="EXAM",
        help="check against this exam from the repository instead of a kit (TAs)",
    )
    p.add_argument("--sandbox", action="store_true", help="run the code in the bubblewrap sandbox")
    add_questions_option(p)
    p.set_defaults(func=_cmd_check)
