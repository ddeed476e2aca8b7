"""The `grader` command line: one verb per job, errors caught here and only here."""

from __future__ import annotations

import argparse
import errno
import json
import sqlite3
import sys
from collections.abc import Callable, Sequence
from enum import IntEnum
from pathlib import Path

from grader._version import __version__
from grader.cli_args import output_file, whole_number
from grader.errors import AuthoringError, GraderError, InfrastructureError, SubmissionError

__all__ = ["ExitCode", "main", "build_parser"]


class ExitCode(IntEnum):
    """What a `grader` command's exit status means."""

    OK = 0
    """Done, nothing to report."""
    PROBLEMS = 1
    """Done, with problems listed: question files that do not validate, students that could
    not be graded, a review file with mistakes, a failing `doctor` check."""
    ERROR = 2
    """Stopped: a submission or this machine (sandbox, GPU, gradebook) made the job impossible."""
    GRADER_ERRORS = 3
    """`grade` finished and wrote everything, but some answers got an `error` result (the
    grader failed on them) or an `unchecked` one (it could not decide within its limits) and
    no TA has decided them: listed in the summary and in `grader review`'s file; every run
    grades them again. PROBLEMS wins when some students could not be graded at all."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C; what was graded so far is saved."""


Handler = Callable[[argparse.Namespace], int]

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_SAVED = "what was stored before is kept; free some space and run the same command again"


def _write_failure(exc: OSError | sqlite3.OperationalError) -> str | None:
    """One line for a write this machine refused (a full disk, a folder that cannot be
    written), or ``None`` when ``exc`` is something else (a bug: its traceback shows)."""
    if isinstance(exc, sqlite3.OperationalError):
        if "full" in str(exc):
            return f"the disk holding the gradebook is full ({exc}); {_SAVED}"
        return None
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in _DISK_FULL:
        return f"the disk is full{where}; {_SAVED}"
    if isinstance(exc, PermissionError):
        return f"permission denied{where}; pass a folder you may write to, or fix its permissions"
    if exc.errno in (errno.EROFS, errno.ENAMETOOLONG):
        return f"cannot write{where}: {exc.strerror}"
    return None


def add_exam_argument(parser: argparse.ArgumentParser, help: str = "exam id or exam file") -> None:
    """The EXAM positional that every verb about one exam takes."""
    parser.add_argument("exam", metavar="EXAM", help=help)


def add_questions_option(parser: argparse.ArgumentParser) -> None:
    """``--questions DIR``: where EXAM's banks are looked up."""
    parser.add_argument(
        "--questions",
        default="questions",
        metavar="DIR",
        help="question folder (default questions/)",
    )


def _cmd_validate(args: argparse.Namespace) -> int:
    from grader.key_cache import caching, default_cache_folder
    from grader.loading import validate_paths
    from grader.validation import checker_problems, loaded_banks, matcher_warnings

    paths = args.paths or ["questions"]
    files, problems = validate_paths(paths)
    banks = list(loaded_banks(paths))
    with caching(None if args.no_cache else default_cache_folder()):
        problems += [p for bank in banks for p in checker_problems(bank)]
        found_warnings = [w for bank in banks for w in matcher_warnings(bank)]
    for warning in found_warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if problems:
        print(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {len(files)} file(s):",
            file=sys.stderr,
        )
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return ExitCode.PROBLEMS
    extra = ""
    if getattr(args, "deep", False) or args.variants:
        from grader.deep_validation import deep_validate

        report = deep_validate(paths, variants=args.variants)
        for line in report.lines:
            print(line)
        if report.problems:
            print(f"{len(report.problems)} problem(s) found by the deep checks:", file=sys.stderr)
            for line in report.problems:
                print(f"  {line}", file=sys.stderr)
            return ExitCode.PROBLEMS
        extra = " (cases, keys and mutants checked)"
    print(f"ok: {len(files)} file(s) valid{extra}")
    return ExitCode.OK


def _cmd_schema(args: argparse.Namespace) -> int:
    from grader.review_file import review_file_schema
    from grader.schema_export import json_schema

    schema = review_file_schema() if args.review else json_schema()
    text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return ExitCode.OK


def _cmd_doctor(args: argparse.Namespace) -> int:
    from grader.doctor import diagnose

    findings = diagnose()
    width = max(len(f.name) for f in findings)
    for f in findings:
        mark = "ok  " if f.ok else "FAIL"
        print(f"{mark} {f.name:<{width}}  {f.detail}")
    return ExitCode.OK if all(f.ok for f in findings) else ExitCode.PROBLEMS


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used by tests to check every verb's help)."""
    parser = argparse.ArgumentParser(
        prog="grader",
        description="Auto-graded exams for LLM courses: validate question banks, grade a class "
        "in a sandbox, render papers and answer keys, build student kits.",
        epilog="EXAM is an exam id found under questions/ (e.g. midsem-2025) or the path of an "
        "exam file.",
    )
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="VERB", required=True)

    p = sub.add_parser(
        "validate",
        help="check question banks and exams",
        description="Load and check every bank and exam under PATHS, including each question's "
        "checker configuration as grading would use it (rubric keywords, MCQ keys, expression "
        "keys, tolerances, orderings). Exit 0 when clean, 1 with the list of problems "
        "(file:line:column, field path, what was expected) otherwise.",
    )
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders (default: questions/)"
    )
    p.add_argument(
        "--deep",
        action="store_true",
        help="also compute every key, generate code cases and run mutants",
    )
    p.add_argument(
        "--variants",
        type=whole_number,
        default=0,
        metavar="N",
        help="also deploy and check N randomized variants of every question",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="compute every key the checks need afresh (default: reuse a key computed before "
        "when its reference folders, arguments and library versions are unchanged; "
        "the cache is under $GRADER_CACHE_DIR, else ~/.cache/llm-exam-grader)",
    )
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "schema",
        help="write the JSON Schema of the YAML format",
        description="Write a JSON Schema generated from the question models, for editors to "
        "complete and check bank and exam files; with --review, the schema of the TA review "
        "file (review.yaml) instead.",
    )
    p.add_argument("--review", action="store_true", help="the review file's schema (review.yaml)")
    p.add_argument(
        "--out",
        type=output_file,
        metavar="FILE",
        help="write to FILE instead of standard output",
    )
    p.set_defaults(func=_cmd_schema)

    p = sub.add_parser(
        "doctor",
        help="report what this machine offers",
        description="Report Python, torch, CUDA devices, whether bubblewrap isolation works (it "
        "starts a real sandbox) and the CPU count.",
    )
    p.set_defaults(func=_cmd_doctor)

    for register in _extra_verbs():
        register(sub)
    return parser


def _extra_verbs() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]]:
    from grader import cli_course, cli_export, cli_grade, cli_import, cli_papers, cli_similarity

    return [
        cli_grade.register,
        cli_papers.register,
        cli_export.register,
        cli_import.register,
        cli_course.register,
        cli_similarity.register,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `grader` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.func
    try:
        return handler(args)
    except AuthoringError as exc:
        print(str(exc), file=sys.stderr)
        return ExitCode.PROBLEMS
    except (SubmissionError, InfrastructureError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.ERROR
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.ERROR
    except (OSError, sqlite3.OperationalError) as exc:
        line = _write_failure(exc)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        return ExitCode.ERROR
    except KeyboardInterrupt:
        print("interrupted; results graded so far are saved", file=sys.stderr)
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
