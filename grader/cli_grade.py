"""`grader grade` and `grader review`: the TA's verbs after the deadline."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.cli import ExitCode, add_exam_argument, add_questions_option
from grader.cli_args import (
    existing_file,
    output_folder,
    port_number,
    positive_number,
    positive_real,
)
from grader.errors import InfrastructureError, UsageError

if TYPE_CHECKING:
    from grader.gradebook import Gradebook
    from grader.loading import LoadedExam
    from grader.reports.table import ClassTable
    from grader.review import GraderErrorItem
    from grader.text_model import TextEncoder
    from grader.text_review import ReviewBoard

__all__ = ["register"]


def _add_db_option(parser: argparse.ArgumentParser) -> None:
    """``--db PATH``: the gradebook, when it is not the one inside ``--out``."""
    parser.add_argument(
        "--db", metavar="PATH", help="gradebook file (default gradebook.sqlite inside --out)"
    )


def _out_paths(args: argparse.Namespace) -> tuple[Path, Path]:
    out = Path(args.out)
    db = Path(args.db) if args.db else out / "gradebook.sqlite"
    return out, db


def _check_regrade(exam: LoadedExam, regrade: list[str] | None) -> None:
    """``--regrade QUESTION...``: every id must be one of the exam's questions."""
    known = exam.ordered_ids()
    unknown = [q for q in regrade or [] if q not in known]
    if unknown:
        raise UsageError(
            f"argument --regrade: no question {', '.join(map(repr, unknown))} in exam "
            f"{exam.exam.exam!r}; its questions are {', '.join(known)}"
        )


def _cmd_grade(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.table import Table

    from grader.classroom import counts_flops, deferred_runner, grade_class
    from grader.gradebook import Gradebook
    from grader.grading_options import GradingOptions
    from grader.loading import load_exam
    from grader.reports import read_table, write_reports
    from grader.reports.stats import import_plotting_in_background
    from grader.review import error_results, grader_errors, question_of
    from grader.variants import read_secret

    console = Console(stderr=True)
    exam = load_exam(args.exam, Path(args.questions))
    _check_regrade(exam, args.regrade)
    if not Path(args.submissions).is_dir():
        raise InfrastructureError(
            f"submissions folder {args.submissions!r} does not exist; it should hold one folder "
            "per student"
        )
    out, db_path = _out_paths(args)
    out.mkdir(parents=True, exist_ok=True)
    secret = read_secret(args.secret_file)
    if args.no_sandbox:
        console.print(
            "[bold red]--no-sandbox: student code runs WITHOUT isolation, with your files, "
            "network and permissions. Use it only for your own code.[/]"
        )
    backend = None
    if args.backend == "ray":
        from grader.ray_backend import RayBackend

        backend = RayBackend(
            args.address, no_sandbox=args.no_sandbox, cpus_per_actor=args.ray_cpus_per_actor
        )
        runner = None
    else:
        runner = deferred_runner(
            args.workers, no_sandbox=args.no_sandbox, warm_flops=counts_flops(exam)
        )
    gradebook = Gradebook(db_path)
    regrade = args.regrade
    try:
        with Progress(
            TextColumn("[bold]grading[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[student]}"),
            console=console,
            disable=args.quiet,
        ) as progress:
            task = progress.add_task("grade", total=None, rate="", student="")
            import time

            t0 = time.perf_counter()

            def on_progress(done: int, total: int, student: str) -> None:
                if done == 1:  # the sandboxes are up; this process mostly waits for them
                    import_plotting_in_background()
                rate = done / max(time.perf_counter() - t0, 1e-9)
                progress.update(
                    task, completed=done, total=total, rate=f"{rate:.1f}/s", student=student
                )

            report = grade_class(
                exam,
                Path(args.submissions),
                gradebook,
                runner,
                workers=args.workers,
                roster_path=Path(args.roster) if args.roster else None,
                secret=secret,
                regrade=regrade,
                opts=GradingOptions(release=args.release),
                on_progress=on_progress,
                args={k: v for k, v in vars(args).items() if k != "func"},
                backend=backend,
            )
        graded = read_table(exam, gradebook)
        try:
            # nothing graded, nothing new to group: a rerun does not load the text model
            board, auto_marked = (
                _text_pass(exam, gradebook, graded, console) if report.graded else (None, 0)
            )
        except Exception as exc:  # noqa: BLE001 - the marks are stored; the review can redo it
            console.print(
                f"[yellow]could not group the text answers ({type(exc).__name__}: {exc}); the "
                "marks are stored, `grader review` groups them again[/]"
            )
            board, auto_marked = None, 0
        if auto_marked:
            graded = read_table(exam, gradebook)
        write_reports(exam, graded, out)
    finally:
        if runner is not None:
            runner.close()
        if backend is not None:
            backend.close()
    table = Table(
        title=f"{exam.exam.exam}: {len(report.graded)} graded, {len(report.skipped)} unchanged, "
        f"{len(report.failed)} failed in {report.seconds:.1f} s"
    )
    table.add_column("student")
    table.add_column("total", justify="right")
    table.add_column("pending review", justify="right")
    table.add_column("grader errors", justify="right")
    table.add_column("problems")
    rows = {row.student: row for row in graded.students}
    for student in sorted(report.results):
        r = report.results[student]
        # the stored marks (a partial regrade's result holds only the questions it redid)
        row = rows.get(student)
        total = row.total if row is not None else r.total
        pending = len(row.pending) if row is not None else sum(q.needs_review for q in r.questions)
        n_errors = (
            sum(len(error_results(a.result)) for a in row.answers)
            if row is not None
            else sum(len(error_results(q)) for q in r.questions)
        )
        table.add_row(
            escape(student),
            f"{total:g} / {exam.exam.total_marks:g}",
            str(pending),
            f"[bold red]{n_errors}[/]" if n_errors else "0",
            escape("; ".join(r.problems)[:80]),
        )
    if not args.quiet:
        Console().print(table)
        if board is not None:
            _print_text_review(Console(), board, args)
    if auto_marked:
        console.print(
            f"{auto_marked} text answer(s) marked automatically (suggestion confidence at least "
            f"{exam.exam.text_review.accept_above if exam.exam.text_review else ''}; the exam's "
            "text_review.accept_above); their feedback says so"
        )
    # Every `error` result still in the gradebook (this run's and any left by earlier runs),
    # unless a TA has decided it: the grader failed there, and the TA must hear of it.
    errors = [e for e in grader_errors(graded) if not e.decided]
    if errors:
        _print_errors(console, errors, args)
    unchecked = [
        r
        for row in graded.students
        for a in row.answers
        for r in a.result.unsettled()
        if r.status == "unchecked" and row.override(r.question_id) is None
    ]
    if unchecked:
        gpu = sum(
            getattr(question_of(exam, r.question_id), "device", "") == "cuda" for r in unchecked
        )
        console.print(
            f"[bold red]{len(unchecked)} answer(s) could not be checked (unchecked, 0 marks for "
            f"now){f', {gpu} of them waiting for a GPU runner' if gpu else ''}: every run "
            "tries them again (a run on a machine with a CUDA GPU grades those), and a TA can "
            f"decide them under `flagged:` in {escape(f'grader review {args.exam}')}'s file.[/]"
        )
    if report.changes:
        changes = Table(title="changed by this run (regrade)")
        for col in ("student", "question", "old", "new", "change"):
            changes.add_column(col)
        for c in report.changes:
            change = c.new_marks - c.old_marks
            old, new = f"{c.old_marks:g}", f"{c.new_marks:g}"
            changes.add_row(c.student, c.question_id, old, new, f"{change:+g}")
        Console().print(changes)
    for student, err in report.failed.items():
        console.print(f"[red]could not grade {escape(student)}: {escape(str(err))}[/]")
    print(f"results in {out} (gradebook {db_path})")
    gradebook.close()
    if report.failed:
        return ExitCode.PROBLEMS
    return ExitCode.GRADER_ERRORS if errors or unchecked else ExitCode.OK


def _print_errors(console: Any, errors: list[GraderErrorItem], args: argparse.Namespace) -> None:
    """The grader's own failures, by question: how many, whose, and the first TA note."""
    from rich.markup import escape
    from rich.table import Table

    by_question: dict[str, list[GraderErrorItem]] = {}
    for e in errors:
        by_question.setdefault(e.result.question_id, []).append(e)
    table = Table(
        title="grader errors by question (the grader failed on these answers; no marks given)"
    )
    for col in ("question", "errors", "students", "TA note (first)"):
        table.add_column(col)
    for qid in sorted(by_question):
        items = by_question[qid]
        students = ", ".join(e.student for e in items[:5]) + (
            f" (+{len(items) - 5})" if len(items) > 5 else ""
        )
        table.add_row(
            escape(qid),
            str(len(items)),
            escape(students),
            escape((items[0].result.author_note or "")[:100]),
        )
    console.print(table)
    # each distinct cause once and in full (the table's column cuts it short); notes that
    # differ only in their counts ("failed on 16 case(s)") are one cause
    causes: dict[str, list[str]] = {}
    for e in errors:
        note = e.result.author_note or "no note"
        causes.setdefault(re.sub(r"\d+", "#", note), []).append(note)
    for notes in sorted(causes.values(), key=len, reverse=True)[:3]:
        console.print(f"[red]cause ({len(notes)} answer(s)):[/] {escape(notes[0])}")
    console.print(
        f"[bold red]{len(errors)} answer(s) got a grader error in {len(by_question)} question(s); "
        f"{escape(f'`grader review {args.exam} --out {args.out}`')} lists each with its note. Fix "
        "the cause and run the same grade again: an answer with a grader error is never "
        "counted as graded, so every run grades it again.[/]"
    )


def _text_pass(
    exam: LoadedExam, gradebook: Gradebook, table: ClassTable, console: Any
) -> tuple[ReviewBoard | None, int]:
    """The text answers just graded, in groups with suggested marks (their embeddings are
    cached in the gradebook for the review); with the exam's ``text_review.accept_above``,
    confident suggestions recorded as automatic marks. Returns (the board, or None without
    text questions; how many answers were marked automatically)."""
    from grader.text_review import auto_accept, build_review, text_questions

    if not text_questions(exam):
        return None, 0
    encoder = _text_encoder(console)
    board = build_review(exam, gradebook, encoder, table)
    settings = exam.exam.text_review
    if settings is None or settings.accept_above is None:
        return board, 0
    if encoder is None:
        console.print(
            "[yellow]text_review.accept_above needs the text model: every text mark waits "
            "for a TA[/]"
        )
        return board, 0
    marked = auto_accept(exam, gradebook, board, settings.accept_above)
    if marked:
        board = build_review(exam, gradebook, encoder)
    return board, marked


def _text_encoder(console: Any) -> TextEncoder | None:
    """The text model, or None (said on ``console``) when the keyword rubric stands in."""
    from rich.markup import escape

    from grader.text_model import LoadedModel, text_model

    loaded = text_model()
    if isinstance(loaded, LoadedModel):
        return loaded
    console.print(f"[yellow]text answers: {escape(loaded.describe())}[/]")
    return None


def _print_text_review(console: Any, board: ReviewBoard, args: argparse.Namespace) -> None:
    """Per text question: answers, groups, how many wait for a TA; and the command."""
    from rich.markup import escape
    from rich.table import Table

    if not board.questions:
        return
    table = Table(title=f"free-text answers in groups ({escape(board.matcher)})")
    for col in ("question", "answers", "groups", "waiting", "largest group"):
        table.add_column(col, justify="left" if col == "question" else "right")
    for q in board.questions:
        largest = max((g.size for g in q.groups if g.kind != "blank"), default=0)
        table.add_row(
            escape(q.key), str(q.answers), str(len(q.groups)), str(q.pending), str(largest)
        )
    console.print(table)
    waiting = board.answers - board.done
    if waiting:
        console.print(
            f"{waiting} text answer(s) wait for a TA: "
            f"{escape(f'grader review {args.exam} --out {args.out} --serve')} opens the review "
            "page (or without --serve: review.yaml to edit)"
        )


def _cmd_review(args: argparse.Namespace) -> int:
    from rich.console import Console

    from grader.gradebook import Gradebook
    from grader.loading import load_exam
    from grader.reports import read_table, write_reports
    from grader.review import grader_errors
    from grader.review_file import apply_review_file, write_review_file
    from grader.text_review import build_review

    console = Console(stderr=True)
    exam = load_exam(args.exam, Path(args.questions))
    out, db_path = _out_paths(args)
    if not db_path.is_file():
        raise InfrastructureError(
            f"no gradebook at {db_path}; run `grader grade` first (or pass --db)"
        )
    if args.serve:
        from grader.review_page.server import serve

        return serve(exam, db_path, out, port=args.port, reviewer=args.reviewer)
    gradebook = Gradebook(db_path)
    try:
        review_file = Path(args.file) if args.file else out / "review.yaml"
        encoder = _text_encoder(console)
        table = read_table(exam, gradebook)
        board = build_review(exam, gradebook, encoder, table)
        if args.apply:
            if not review_file.is_file():
                raise InfrastructureError(
                    f"no review file at {review_file}; write one first: grader review "
                    f"{args.exam} --out {out}"
                )
            applied, problems = apply_review_file(
                exam, gradebook, table, board, review_file, reviewer=args.reviewer
            )
            for p in problems:
                print(f"review: {p}", file=sys.stderr)
            table = read_table(exam, gradebook)
            write_reports(exam, table, out)
            if not problems:  # a file with mistakes is left for the TA to mend
                board = build_review(exam, gradebook, encoder, table)
                write_review_file(exam, table, board, review_file)
            print(f"recorded {applied} decision(s) from {review_file}; reports in {out} updated")
            return ExitCode.PROBLEMS if problems else ExitCode.OK
        pending = write_review_file(exam, table, board, review_file)
        groups = sum(len(q.groups) for q in board.questions)
        print(
            f"{pending} answer(s) wait for review ({board.answers} text answers in {groups} "
            f"groups); edit {review_file} (set a group's `marks:` or `points:`, and "
            f"`comment:`), then run: grader review {args.exam} --out {out} --apply"
        )
        errors = [e for e in grader_errors(table) if not e.decided]
        if errors:
            print(
                f"{len(errors)} of them got a grader error (listed under `errors:` with the TA "
                "note); fix the cause and grade them again with `grader grade ... --regrade "
                "QUESTION`, or give marks by hand",
                file=sys.stderr,
            )
        return ExitCode.OK
    finally:
        gradebook.close()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `grade` and `review` verbs."""
    p = sub.add_parser(
        "grade",
        help="grade a class of submissions",
        description="Grade every student folder under SUBMISSIONS_DIR (answers.yaml plus .py "
        "files) for EXAM in a sandbox, store every result in a SQLite gradebook, and write "
        "gradebook.csv, results.json, feedback/<student>.md/.html and class statistics into "
        "--out. Rerunning finishes an interrupted run and skips unchanged submissions.",
    )
    add_exam_argument(p, "exam id under questions/ (e.g. midsem-2025) or an exam file")
    p.add_argument(
        "submissions", metavar="SUBMISSIONS_DIR", help="folder with one subfolder per student"
    )
    p.add_argument(
        "--out",
        type=output_folder,
        default="out/grading",
        metavar="DIR",
        help="where reports go (default out/grading)",
    )
    _add_db_option(p)
    p.add_argument(
        "--workers",
        type=positive_number,
        default=2,
        metavar="N",
        help="parallel sandboxes (default 2)",
    )
    p.add_argument(
        "--regrade",
        nargs="*",
        metavar="QUESTION",
        help="regrade these questions for everyone "
        "(no id: everything), even when submissions did not change",
    )
    p.add_argument(
        "--roster",
        type=existing_file,
        metavar="CSV",
        help="roster of student ids (default SUBMISSIONS_DIR/roster.csv if present)",
    )
    p.add_argument(
        "--secret-file",
        type=existing_file,
        metavar="PATH",
        help="course secret for per-student variants (or $GRADER_SECRET)",
    )
    p.add_argument(
        "--release", action="store_true", help="include keys and worked solutions in feedback"
    )
    p.add_argument(
        "--no-sandbox", action="store_true", help="run code WITHOUT isolation (only your own code)"
    )
    p.add_argument(
        "--backend",
        choices=["local", "ray"],
        default="local",
        help="local process pool or a Ray cluster",
    )
    p.add_argument("--address", metavar="ADDR", help="Ray cluster address (with --backend ray)")
    p.add_argument(
        "--ray-cpus-per-actor",
        type=positive_real,
        default=1.0,
        metavar="N",
        help="CPUs each Ray grading actor takes: a node runs its CPUs / N actors (default 1)",
    )
    add_questions_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary table")
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser(
        "review",
        help="review text answers in groups and record TA decisions",
        description="Without --apply: write review.yaml: every text question's answers in "
        "groups (identical and, with the text model, similar answers; never an answer with "
        "its negation), largest first, each with suggested rubric points, marks and a "
        "confidence, and the decisions taken so far; then grader errors and flagged answers. "
        "With --apply: record the decisions edited into that file (a group's marks or points "
        "for all its answers, an answer's own marks for it alone; they survive regrading "
        "until the student's answer changes) and re-export. The format: grader schema "
        "--review.",
    )
    add_exam_argument(p)
    p.add_argument(
        "--out",
        default="out/grading",
        metavar="DIR",
        help="the grading output folder (default out/grading)",
    )
    _add_db_option(p)
    p.add_argument("--file", metavar="PATH", help="review file (default review.yaml inside --out)")
    p.add_argument("--apply", action="store_true", help="record the decisions in the review file")
    p.add_argument(
        "--reviewer", default="ta", metavar="NAME", help="name recorded with each decision"
    )
    p.add_argument(
        "--serve",
        action="store_true",
        help="serve the review page on 127.0.0.1 (its URL, with a token, is printed); "
        "every decision is saved at once",
    )
    p.add_argument(
        "--port",
        type=port_number,
        metavar="P",
        help="port of the review page (default: a free one)",
    )
    add_questions_option(p)
    p.set_defaults(func=_cmd_review)
