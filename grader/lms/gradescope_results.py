"""Inside Gradescope: grade ``/autograder/submission`` as one student, write results.json.

``run_autograder`` (from ``grader export --to gradescope-autograder``) runs
``python -m grader.lms.gradescope_results``. The submission is graded by ``grade_class``, the
path of ``grader grade``, into a throw-away gradebook, with the sandbox; the marks are what
``grader grade`` gives the same files. ``$GRADER_AUTOGRADER_ROOT`` moves the container's root
(default ``/autograder``), for tests.

results.json (``gradescope_results``) follows Gradescope's specification (the JSON Schema in
``gradescope/results.schema.json``; the tests validate every document against it):

- one test per question, its score and marks, and as output that question's section of the
  student's feedback page (``question_feedback_markdown``: the same words, so hidden cases
  read as they do there: a fixed phrase, never an input or an expected value);
- one test per code case, passed or failed, with the case's student-facing message;
- a visible case's test is always shown; every other test, and so the score, is shown at the
  manifest's ``visibility`` (default ``after_due_date``: resubmitting before the deadline
  does not reveal hidden cases or keys);
- a first test, always shown, lists the problems with the submission (a missing file, a
  syntax error), so a student can fix an upload before the deadline.

A text answer keeps the keyword rubric's provisional mark: TA review happens outside
Gradescope (export the gradebook, ``grader review``). When the grader itself fails, the
results say so and that this is not the student's mark, and the exit status is 1.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.lms.gradescope_autograder import (
    MANIFEST_NAME,
    SECRET_NAME,
    AutograderManifest,
    Visibility,
)
from grader.results import CaseResult, QuestionResult

__all__ = [
    "AUTOGRADER_ROOT_ENV",
    "FALLBACK_STUDENT",
    "gradescope_results",
    "main",
    "results_schema",
    "run",
    "submission_student",
]

AUTOGRADER_ROOT_ENV = "GRADER_AUTOGRADER_ROOT"
"""Environment variable naming the container's root folder (default ``/autograder``)."""
FALLBACK_STUDENT = "submission"
"""The student id when submission_metadata.json names no usable one."""
_DEFAULT_ROOT = Path("/autograder")
_NOT_YOUR_MARK = (
    "This is not your mark: your instructor can see what went wrong and will grade it again."
)

if TYPE_CHECKING:
    from grader.loading import LoadedExam
    from grader.reports.table import StudentRow


def results_schema() -> dict[str, Any]:
    """The JSON Schema of Gradescope's results.json, as shipped in the package."""
    from importlib import resources

    text = (resources.files("grader.lms") / "gradescope" / "results.schema.json").read_text(
        encoding="utf-8"
    )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def submission_student(metadata: Path) -> str:
    """The student's id from Gradescope's ``submission_metadata.json``: the first submitter's
    ``sid`` (student id), else ``email``, else Gradescope's user ``id``, the first that is a
    valid id; ``FALLBACK_STUDENT`` when there is none or the file is missing or unreadable."""
    from grader.submissions import STUDENT_ID

    try:
        data = json.loads(metadata.read_text(encoding="utf-8"))
        users = data.get("users") if isinstance(data, dict) else None
    except (OSError, ValueError):
        return FALLBACK_STUDENT
    if not (isinstance(users, list) and users and isinstance(users[0], dict)):
        return FALLBACK_STUDENT
    for key in ("sid", "email", "id"):
        value = users[0].get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            text = str(value).strip()
            if STUDENT_ID.fullmatch(text):
                return text
    return FALLBACK_STUDENT


def _submitted_folder(submission: Path) -> Path:
    """The folder holding the answers: ``submission`` itself, or its one sub-folder when the
    student uploaded a folder (or a zip of one) and answers.yaml sits inside it."""
    if (submission / "answers.yaml").exists():
        return submission
    entries = [p for p in submission.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        if (entries[0] / "answers.yaml").exists():
            return entries[0]
    return submission


def _case_tests(
    qid: str, number: str, cases: tuple[CaseResult, ...], visibility: Visibility
) -> list[dict[str, Any]]:
    tests = []
    for i, case in enumerate(cases, 1):
        passed = "passed" if case.passed else "failed"
        tests.append(
            {
                "name": f"{qid}: {case.name}" + ("" if case.visible else " (hidden case)"),
                "number": f"{number}.{i}",
                "status": passed,
                "output": case.message or passed,
                "output_format": "text",
                "visibility": "visible" if case.visible else visibility,
            }
        )
    return tests


def _all_cases(result: QuestionResult) -> tuple[CaseResult, ...]:
    return result.cases + tuple(c for p in result.parts for c in p.cases)


def gradescope_results(
    exam: LoadedExam,
    row: StudentRow | None,
    problems: tuple[str, ...],
    *,
    visibility: Visibility,
    seconds: float = 0.0,
) -> dict[str, Any]:
    """Gradescope's results.json for one graded student (``row``; None when nothing could
    be graded), with ``problems`` of the submission shown first."""
    from grader.reports.feedback import question_feedback_markdown

    problem_lines = [f"- {p}" for p in problems]
    tests: list[dict[str, Any]] = [
        {
            "name": "Submission received",
            "number": "0",
            "status": "failed" if problems else "passed",
            "output": "\n".join(["Problems with your submission:", "", *problem_lines])
            if problems
            else "All files were read.",
            "output_format": "md",
            "visibility": "visible",
        }
    ]
    columns = {q: exam.questions[q].marks for q in exam.ordered_ids()}
    for n, qid in enumerate(exam.ordered_ids(), 1):
        answer = row.answer(qid) if row is not None else None
        marks = answer.marks if answer is not None else 0.0
        tests.append(
            {
                "name": qid,
                "number": str(n),
                "score": round(marks, 6),
                "max_score": columns[qid],
                "output": question_feedback_markdown(exam, row, qid)
                if row is not None
                else "Not graded.",
                "output_format": "md",
                "visibility": visibility,
            }
        )
        if answer is not None:
            tests += _case_tests(qid, str(n), _all_cases(answer.result), visibility)
    total = row.total if row is not None else 0.0
    summary = [f"**{exam.exam.title}** ({exam.exam.exam}), graded by the course's grader."]
    if row is not None and row.pending:
        summary.append(
            f"Marks for {', '.join(row.pending)} are provisional until a TA reviews them."
        )
    if problems:
        summary.append("Your submission has problems: see *Submission received*.")
    return {
        "score": round(total, 6),
        "execution_time": round(seconds, 3),
        "output": "\n\n".join(summary),
        "output_format": "md",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _failure_results(what: str) -> dict[str, Any]:
    """results.json when the grader itself failed: no mark is claimed."""
    return {
        "score": 0,
        "output": f"The autograder could not grade this submission ({what}). {_NOT_YOUR_MARK}",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def _grade(source: Path, submission: Path, student: str, work: Path) -> dict[str, Any]:
    """Grade ``submission`` as ``student`` with the exam of ``source``; the results.json."""
    from grader.classroom import grade_class, make_runner
    from grader.gradebook import Gradebook
    from grader.loading import load_exam
    from grader.reports.table import read_table
    from grader.variants import read_secret

    started = time.perf_counter()
    manifest = AutograderManifest.from_json((source / MANIFEST_NAME).read_text("utf-8"))
    exam = load_exam(source / manifest.exam_path)
    secret = read_secret(source / SECRET_NAME) if manifest.has_secret else None
    folder = work / "class" / student
    shutil.copytree(_submitted_folder(submission), folder, symlinks=True)
    gradebook = Gradebook(work / "gradebook.sqlite")
    runner = make_runner(1)
    try:
        report = grade_class(exam, folder.parent, gradebook, runner, secret=secret)
        table = read_table(exam, gradebook)
    finally:
        runner.close()
        gradebook.close()
    if student in report.failed:
        raise RuntimeError(report.failed[student])
    row = next((r for r in table.students if r.student == student), None)
    problems = row.problems if row is not None else ()
    return gradescope_results(
        exam,
        row,
        problems,
        visibility=manifest.visibility,
        seconds=time.perf_counter() - started,
    )


def run(root: Path) -> int:
    """Grade ``root/submission`` and write ``root/results/results.json``; the exit status
    (0 graded, 1 the grader failed: the results say so)."""
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    student = submission_student(root / "submission_metadata.json")
    status = 0
    with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as tmp:
        try:
            if not (root / "submission").is_dir():
                raise FileNotFoundError(f"no submission folder at {root / 'submission'}")
            doc = _grade(root / "source", root / "submission", student, Path(tmp))
        except Exception as exc:  # noqa: BLE001 - the boundary: Gradescope needs a results.json
            traceback.print_exc()  # stdout/stderr: instructors only (stdout_visibility hidden)
            doc = _failure_results(type(exc).__name__)
            status = 1
    (results / "results.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"graded {student}: {doc['score']} (results in {results / 'results.json'})")
    return status


def main() -> int:
    """``python -m grader.lms.gradescope_results``: ``run`` at ``$GRADER_AUTOGRADER_ROOT``."""
    return run(Path(os.environ.get(AUTOGRADER_ROOT_ENV) or _DEFAULT_ROOT))


if __name__ == "__main__":
    sys.exit(main())
