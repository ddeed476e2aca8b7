"""A failure on the grader's side is never a student's mark (issue 21, item 1).

`grader grade` runs as a TA starts it, in a subprocess: under an address-space limit
(`ulimit -v`) below what the sandbox gives a student's process, and with a sandbox that
cannot start. Nothing is marked ``incorrect``: the answers are ``error`` (shown to the TA,
exit status 3) and the next run without the limit grades them again, without --regrade.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAPER = ROOT / "submissions" / "quiz-2025" / "paper"

LIMIT_BYTES = 3500 << 20
"""Room for the grader itself (it needs about 1 GB mapped), below the 4096 MB a code
question's process is promised on top of the runner's own (about 0.7 GB)."""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.sandbox,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed"),
]


def _code_only_course(tmp_path: Path) -> tuple[Path, Path]:
    """An exam of the quiz's code question Q3 alone, and one student (the paper's code)."""
    exam = tmp_path / "exam.yaml"
    exam.write_text(
        textwrap.dedent(
            f"""\
            exam: quiz-code
            title: The quiz's code question
            course: test
            term: test
            duration_minutes: 10
            total_marks: 2
            banks: [{ROOT / "questions" / "quiz-2025" / "bank.yaml"}]
            sections:
              - title: Code
                marks: 2
                questions: [Q3]
            """
        )
    )
    student = tmp_path / "class" / "paper"
    student.mkdir(parents=True)
    shutil.copy(PAPER / "q3.py", student / "q3.py")
    answers = "student: paper\nexam: quiz-code\nanswers:\n  Q3: q3.py\n"
    (student / "answers.yaml").write_text(answers)
    return exam, student.parent


def _grade(
    exam: Path, subs: Path, out: Path, *, limit: int | None = None, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    def lower_limit() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = dict(os.environ, COLUMNS="200")
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(exam), str(subs), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        preexec_fn=lower_limit,
        check=False,
    )


def _stored(out: Path) -> dict[str, tuple[str, float, str]]:
    """question id -> (status, marks, TA note) as the gradebook holds them."""
    db = sqlite3.connect(out / "gradebook.sqlite")
    try:
        rows = db.execute("SELECT question_id, status, marks, result FROM answers").fetchall()
    finally:
        db.close()
    return {q: (s, m, json.loads(r).get("author_note") or "") for q, s, m, r in rows}


def test_under_an_address_space_limit_code_is_an_error_and_the_next_run_grades_it(
    tmp_path: Path,
) -> None:
    exam, subs = _code_only_course(tmp_path)
    out = tmp_path / "out"

    limited = _grade(exam, subs, out, limit=LIMIT_BYTES)
    said = limited.stdout + limited.stderr
    assert limited.returncode == 3, said  # GRADER_ERRORS: finished, with grader errors
    status, marks, note = _stored(out)["Q3"]
    assert (status, marks) == ("error", 0.0)
    assert "address-space limit (ulimit -v)" in note
    assert "address-space limit" in said  # the TA is told the cause, in full
    assert "Traceback" not in said

    free = _grade(exam, subs, out)
    assert free.returncode == 0, free.stdout + free.stderr
    assert "1 graded, 0 unchanged" in free.stdout  # no --regrade needed
    assert _stored(out)["Q3"][:2] == ("correct", 2.0)


def test_a_sandbox_that_cannot_start_marks_nothing(tmp_path: Path) -> None:
    exam, subs = _code_only_course(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "bwrap"  # found first on PATH: starts nothing
    fake.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    fake.chmod(0o755)
    out = tmp_path / "out"

    run = _grade(exam, subs, out, path=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    said = run.stdout + run.stderr
    assert run.returncode == 2, said  # ERROR: stopped, this machine made the job impossible
    assert "Traceback" not in said
    assert "sandbox" in said.lower()
    stored = _stored(out) if (out / "gradebook.sqlite").exists() else {}
    assert all(status != "incorrect" for status, _, _ in stored.values())
