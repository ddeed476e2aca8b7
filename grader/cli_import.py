"""`grader import`: an LMS's submission download turned into one folder per student."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.cli import ExitCode
from grader.cli_args import existing_file, existing_path, output_folder

__all__ = ["register"]


def _cmd_import(args: argparse.Namespace) -> int:
    from grader.lms.roster import read_lms_roster
    from grader.lms.submissions_in import import_submissions

    roster = read_lms_roster(Path(args.roster))
    out = Path(args.out)
    report = import_submissions(args.source, Path(args.download), roster, out)
    sys.stdout.write(report.text())
    print(f"submissions in {out} (report in {out / 'import-report.txt'})")
    return ExitCode.PROBLEMS if report.unplaced else ExitCode.OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `import` verb."""
    from grader.lms.submissions_in import SOURCES

    p = sub.add_parser(
        "import",
        help="lay out an LMS submission download for grading",
        description="Turn a Canvas 'Download Submissions' zip, a Gradescope submissions export "
        "(zip or folder, with submission_metadata.yml) or a Moodle 'Download all submissions' "
        "zip into SUBMISSIONS_DIR/<student>/, matching the LMS's ids to the roster's student "
        "column (through canvas_id, sid/gradescope_id/email, moodle_id/name). Unsafe members "
        "(absolute paths, '..', links, oversized files, zip bombs) are refused. Every file "
        "that could not be placed is listed, on standard output and in "
        "SUBMISSIONS_DIR/import-report.txt; exit 1 when there is one.",
    )
    p.add_argument("--from", dest="source", required=True, choices=sorted(SOURCES), help="LMS")
    p.add_argument(
        "download", type=existing_path, metavar="ARCHIVE_OR_FOLDER", help="the LMS's download"
    )
    p.add_argument(
        "--roster",
        required=True,
        type=existing_file,
        metavar="CSV",
        help="roster with a student column and the LMS's id column (canvas_id, email, "
        "gradescope_id, moodle_id, name)",
    )
    p.add_argument(
        "--out",
        required=True,
        type=output_folder,
        metavar="SUBMISSIONS_DIR",
        help="where the student folders go",
    )
    p.set_defaults(func=_cmd_import)
