import csv
import shutil
from pathlib import Path

import pytest

from grader.classroom import content_hash
from grader.cli import main
from grader.gradebook import Environment, Gradebook
from grader.results import SubmissionResult
from grader.submissions import read_submission

EXAMPLES = Path(__file__).resolve().parents[2] / "submissions" / "midsem-2025"


def graded_class(tmp_path: Path) -> Path:
    """A class of three recorded in a gradebook as `grader grade` leaves it: ``copyist`` is
    ``paper`` with its B1a variables renamed and comments changed."""
    class_dir, out = tmp_path / "class", tmp_path / "out"
    shutil.copytree(EXAMPLES / "paper", class_dir / "paper")
    shutil.copytree(EXAMPLES / "weak", class_dir / "weak")
    shutil.copytree(EXAMPLES / "paper", class_dir / "copyist")
    b1a = class_dir / "copyist" / "b1a.py"
    b1a.write_text(b1a.read_text().replace("dh_next", "grad_h").replace("# Step", "# part"))
    out.mkdir()
    book = Gradebook(out / "gradebook.sqlite")
    env = Environment.current()
    run = book.start_run("midsem-2025", env, {})
    for i, name in enumerate(["paper", "weak", "copyist"]):
        result = SubmissionResult(student=name, exam="midsem-2025", variant=i)
        folder = class_dir / name
        digest = content_hash(read_submission(folder, exam_id="midsem-2025"))
        book.record(result, folder=str(folder), content_hash=digest, run_id=run, env=env)
    book.finish_run(run)
    book.close()
    return out


def test_similarity_writes_a_ranked_report_of_the_copied_pair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = graded_class(tmp_path)
    assert main(["similarity", "midsem-2025", "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "similarity.csv").open()))
    assert (rows[0]["student_a"], rows[0]["student_b"]) == ("copyist", "paper")
    assert "B1a" in rows[0]["code_slots"].split()
    assert float(rows[0]["evidence_score"]) > max(float(r["evidence_score"]) for r in rows[1:])
    assert "evidence for a person to judge" in (out / "similarity.html").read_text()
    assert "not a finding" in capsys.readouterr().out


def test_a_submission_changed_since_grading_is_left_out_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = graded_class(tmp_path)
    b1a = tmp_path / "class" / "copyist" / "b1a.py"
    b1a.write_text(b1a.read_text() + "\n# edited after grading\n")
    assert main(["similarity", "midsem-2025", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "left out: copyist:" in captured.err and "changed since it was graded" in captured.err
    assert "among 2 submissions" in captured.out


def test_without_a_gradebook_the_command_says_to_grade_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["similarity", "midsem-2025", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no gradebook at") and "run `grader grade" in err
    assert "\n" not in err


def test_a_threshold_that_is_not_a_share_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["similarity", "midsem-2025", "--threshold", "50"])
    assert exit_.value.code == 2
    assert "'50' is not a share" in capsys.readouterr().err


def test_the_help_names_the_default_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    from grader.similarity import DEFAULT_THRESHOLD

    with pytest.raises(SystemExit):
        main(["similarity", "--help"])
    assert f"(default {DEFAULT_THRESHOLD})" in " ".join(capsys.readouterr().out.split())
