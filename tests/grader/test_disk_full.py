"""A full disk (issue 21, item 5): one clear line and exit status 2, never a traceback, and
nothing already stored is lost. The disk is made "full" without filling one: the gradebook
connection may not grow (SQLite's ``max_page_count``), or a report write raises ENOSPC."""

from __future__ import annotations

import errno
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest

from grader.cli import ExitCode, main
from grader.gradebook import Gradebook

FIX = Path(__file__).parent / "fixtures"


def _grade(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    shutil.copytree(FIX / "class", root / "class", dirs_exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # --no-sandbox says what it gives up
        rc = main(
            [
                "grade",
                str(FIX / "good" / "exam.yaml"),
                str(root / "class"),
                "--out",
                str(root / "out"),
                "--no-sandbox",
                "--workers",
                "1",
                "--quiet",
            ]
        )
    return rc, capsys.readouterr().err


def _stored_students(db: Path) -> list[str]:
    gradebook = Gradebook(db)
    try:
        return [s.student for s in gradebook.submissions("demo-exam")]
    finally:
        gradebook.close()


def test_a_gradebook_on_a_full_disk_stops_with_one_line_and_keeps_what_was_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = Gradebook.record
    calls = []

    def record_until_full(self: Gradebook, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:  # the first student is stored; then the disk fills up
            (pages,) = self.db.execute("PRAGMA page_count").fetchone()
            self.db.execute(f"PRAGMA max_page_count = {pages}")
        record(self, *args, **kwargs)

    monkeypatch.setattr(Gradebook, "record", record_until_full)
    rc, err = _grade(tmp_path, capsys)
    assert rc == ExitCode.ERROR
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith("error: the disk holding the gradebook is full"), err
    assert "run the same command again" in lines[-1]
    monkeypatch.undo()
    assert len(_stored_students(tmp_path / "out" / "gradebook.sqlite")) == 1


def test_a_report_write_on_a_full_disk_is_one_line_with_exit_status_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_text = Path.write_text

    def full_for_feedback(self: Path, *args: Any, **kwargs: Any) -> int:
        if self.parent.name == "feedback":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_for_feedback)
    rc, err = _grade(tmp_path, capsys)
    assert rc == ExitCode.ERROR
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: the disk is full (") and "feedback" in last, err
    monkeypatch.undo()
    assert sorted(_stored_students(tmp_path / "out" / "gradebook.sqlite")) == [
        "alice",
        "bob",
        "carl",
    ]
