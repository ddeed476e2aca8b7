"""`grader new course DIR`: a small working course to start from, in a folder of its own."""

from __future__ import annotations

import argparse
import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from grader.cli import ExitCode
from grader.cli_args import output_folder
from grader.errors import AuthoringError, Problem
from grader.schema._base import ID_PATTERN

__all__ = ["register", "write_course", "DEFAULT_EXAM"]

DEFAULT_EXAM = "first-exam"
EXAM_PLACEHOLDER = "__EXAM__"
"""Stands for the exam id in the template's file names and contents."""
TEMPLATE_SUFFIX = ".tmpl"
"""Python files of the template end in this (so no tool treats them as the grader's own
modules); it is dropped when they are copied."""


def _template() -> Traversable:
    return resources.files("grader") / "templates" / "new_course"


def _copy(source: Traversable, dest: Path, exam: str) -> list[Path]:
    written: list[Path] = []
    for item in sorted(source.iterdir(), key=lambda t: t.name):
        name = item.name.replace(EXAM_PLACEHOLDER, exam).removesuffix(TEMPLATE_SUFFIX)
        target = dest / name
        if item.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            written += _copy(item, target, exam)
        else:
            target.write_text(item.read_text(encoding="utf-8").replace(EXAM_PLACEHOLDER, exam))
            written.append(target)
    return written


def write_course(dest: Path, exam: str = DEFAULT_EXAM) -> list[Path]:
    """Write the example course into ``dest`` (missing or empty) with exam id ``exam``;
    return the files written. Raise ``AuthoringError`` saying what to do otherwise."""
    if not re.match(ID_PATTERN, exam):
        raise AuthoringError(
            [
                Problem(
                    "--exam", None, None, "", f"{exam!r} is not an id: use letters, digits, _ . -"
                )
            ]
        )
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise AuthoringError(
            [
                Problem(
                    str(dest),
                    None,
                    None,
                    "",
                    "is not an empty folder; name a new folder so that nothing is overwritten",
                )
            ]
        )
    dest.mkdir(parents=True, exist_ok=True)
    return _copy(_template(), dest, exam)


def _cmd_new_course(args: argparse.Namespace) -> int:
    dest = Path(args.dir)
    write_course(dest, args.exam)
    exam_file = Path("questions") / args.exam / "exam.yaml"
    print(
        f"wrote a course in {dest}; next:\n"
        f"  cd {dest}\n"
        f"  grader validate questions/\n"
        f"  grader grade {exam_file} submissions/{args.exam} --out out/{args.exam}\n"
        f"(see {dest / 'README.md'})"
    )
    return ExitCode.OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `new` verb (`grader new course DIR`)."""
    p = sub.add_parser(
        "new",
        help="start a course of your own",
        description="Write a small working course to start from.",
    )
    kinds = p.add_subparsers(
        dest="kind", metavar="KIND", required=True, help="what to start: `course`"
    )
    c = kinds.add_parser(
        "course",
        help="a course folder: questions, references, an example class and a README",
        description="Write into DIR (new or empty): questions/<exam>/exam.yaml and a bank with "
        "one question of each type, refs/course_refs/ with the course's own reference "
        "implementations, submissions/<exam>/ with an example class of two students and a "
        "roster, and a README saying how to validate, grade, review and export.",
    )
    c.add_argument(
        "dir", type=output_folder, metavar="DIR", help="the folder to create (must be new or empty)"
    )
    c.add_argument(
        "--exam",
        default=DEFAULT_EXAM,
        metavar="ID",
        help=f"the example exam's id (default {DEFAULT_EXAM})",
    )
    c.set_defaults(func=_cmd_new_course)
