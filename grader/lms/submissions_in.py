"""`grader import`: an LMS's submission download laid out as one folder per student.

One reader per LMS turns the download's members into ``Found`` files (whose, under which
name, how recent) or ``Unplaced`` ones (and why); ``import_submissions`` keeps the latest
copy of each file and writes ``OUT/<student>/<file>``. The rules each reader relies on,
from each LMS's documented download format:

Canvas ("Download Submissions", a flat zip)
    Each file is ``<name>_<user id>_<submission id>_<original name>``, or
    ``<name>_LATE_<user id>_...`` when late; ``<name>`` is the student's sortable name with
    no separators. The user id is Canvas's numeric id, matched to the roster's
    ``canvas_id``. A file resubmitted under the same name gets ``-N`` before its
    extension (``answers-1.yaml``); the suffix is removed (a Python module name cannot hold
    ``-`` anyway) and the copy with the highest (submission id, N) is kept.

Gradescope (an assignment's "Export Submissions", a zip or its unpacked folder)
    ``submission_metadata.yml`` maps each ``submission_<id>`` to ``:submitters:``, a list of
    ``:name:``, ``:sid:`` and ``:email:`` (Ruby symbols: YAML keys that begin with ``:``);
    the files are under the folder ``submission_<id>/``. A submitter is matched by
    ``:sid:`` (our student id, or the roster's ``gradescope_id``) and then by email; every
    member of a group submission gets its files.

Moodle (an assignment's "Download all submissions", a zip)
    Each student's files are under ``<Full name>_<participant id>_assignsubmission_file_/``
    (or, when downloaded without folders, prefixed with that name). The participant id is
    matched to the roster's ``moodle_id``, then the full name to ``name``. Online text
    (``_assignsubmission_onlinetext_/onlinetext.html``) is not a file the grader reads and
    is reported as not placed.

Only ``answers.yaml``, ``.py`` and ``.ipynb`` files at the top of a student's folder are
read by ``grader grade``; other files are written too, and listed in the report.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.lms.archive_members import Member, Refused, name_problem, read_members
from grader.lms.roster import Roster

__all__ = [
    "Found",
    "Unplaced",
    "ImportReport",
    "SOURCES",
    "import_submissions",
    "read_canvas",
    "read_gradescope",
    "read_moodle",
]


@dataclass(frozen=True)
class Found:
    """A file of the download, matched to a student on the roster."""

    student: str
    file: str
    """Its name inside the student's folder, ``/``-separated."""
    data: bytes
    origin: str
    """Its name in the download, for the report."""
    rank: tuple[int, ...] = ()
    """Of two copies of one file, the larger rank is the later submission."""


@dataclass(frozen=True)
class Unplaced:
    """A file of the download that was not written, and why (for the TA)."""

    origin: str
    reason: str


Reader = Callable[[Iterable[Member | Refused], Roster], Iterator[Found | Unplaced]]


def _refusals(members: Iterable[Member | Refused]) -> Iterator[Member | Unplaced]:
    for m in members:
        yield Unplaced(m.name, m.reason) if isinstance(m, Refused) else m


_CANVAS = re.compile(r"(?P<name>.+?)(?:_LATE)?_(?P<user>\d+)_(?P<sub>\d+)_(?P<file>.+)")
_RESUBMITTED = re.compile(r"(?P<stem>.+)-(?P<n>\d+)(?P<ext>\.[^.]+)")


def read_canvas(members: Iterable[Member | Refused], roster: Roster) -> Iterator[Found | Unplaced]:
    """Files of a Canvas "Download Submissions" zip."""
    for m in _refusals(members):
        if isinstance(m, Unplaced):
            yield m
            continue
        match = _CANVAS.fullmatch(m.name)
        if match is None:
            yield Unplaced(m.name, "not named <name>_<user id>_<submission id>_<file> by Canvas")
            continue
        user = match["user"]
        student = roster.lookup("canvas_id", user)
        if student is None:
            hint = "" if roster.has_column("canvas_id") else " (the roster has no canvas_id column)"
            yield Unplaced(m.name, f"Canvas user id {user} is not on the roster{hint}")
            continue
        file, n = match["file"], 0
        again = _RESUBMITTED.fullmatch(file)
        if again:
            file, n = again["stem"] + again["ext"], int(again["n"])
        yield Found(student, file, m.data, m.name, (int(match["sub"]), n))


def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    """A Ruby object tag's value (``!ruby/object:BigDecimal 18:0.1e2``) read as plain YAML."""
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return str(node.value)


def _load_ruby_yaml(text: str) -> Any:
    """Gradescope's metadata: safe YAML whose unknown (Ruby) tags are read as plain values."""
    loader = yaml.SafeLoader(text)
    loader.yaml_multi_constructors = {"!": _untagged}
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _submitters(meta: Member) -> dict[str, list[dict[str, str]]]:
    """``submission_<id>`` -> its submitters, from ``submission_metadata.yml``."""
    try:
        doc = _load_ruby_yaml(meta.data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _BadMetadata(f"{meta.name} is not readable YAML ({exc})") from exc
    if not isinstance(doc, dict):
        raise _BadMetadata(f"{meta.name} is not a mapping of submission_<id> to submitters")
    out: dict[str, list[dict[str, str]]] = {}
    for key, entry in doc.items():
        people = entry.get(":submitters") if isinstance(entry, dict) else None
        if isinstance(people, list):
            out[str(key)] = [
                {str(k).lstrip(":"): str(v) for k, v in p.items()}
                for p in people
                if isinstance(p, dict)
            ]
    return out


class _BadMetadata(Exception):
    """Gradescope's metadata cannot be read: nothing can be placed."""


def _gradescope_student(person: dict[str, str], roster: Roster) -> str | None:
    sid = person.get("sid", "")
    for column, value in (("student", sid), ("gradescope_id", sid), ("email", person.get("email"))):
        if not value:
            continue
        if column == "student" and value in roster.students:
            return value
        found = roster.lookup(column, value)
        if found:
            return found
    return None


def read_gradescope(
    members: Iterable[Member | Refused], roster: Roster
) -> Iterator[Found | Unplaced]:
    """Files of a Gradescope submissions export, as a zip or a folder."""
    files: list[Member] = []
    meta: Member | None = None
    for m in _refusals(members):
        if isinstance(m, Unplaced):
            yield m
        elif m.name.rsplit("/", 1)[-1] == "submission_metadata.yml" and meta is None:
            meta = m
        else:
            files.append(m)
    if meta is None:
        yield from (Unplaced(m.name, "no submission_metadata.yml in the export") for m in files)
        return
    try:
        submitters = _submitters(meta)
    except _BadMetadata as exc:
        yield from (Unplaced(m.name, str(exc)) for m in files)
        return
    root = meta.name[: -len("submission_metadata.yml")]
    for m in files:
        if not m.name.startswith(root):
            yield Unplaced(m.name, "outside the folder that holds submission_metadata.yml")
            continue
        folder, _, file = m.name[len(root) :].partition("/")
        people = submitters.get(folder)
        if not file or people is None:
            yield Unplaced(m.name, "not under a submission_<id>/ folder of the metadata")
            continue
        number = int(folder.rsplit("_", 1)[-1]) if folder.rsplit("_", 1)[-1].isdigit() else 0
        for person in people:
            student = _gradescope_student(person, roster)
            if student is None:
                who = person.get("sid") or person.get("email") or person.get("name") or "?"
                yield Unplaced(m.name, f"submitter {who!r} is not on the roster (sid or email)")
            else:
                yield Found(student, file, m.data, m.name, (number,))


_MOODLE = re.compile(
    r"(?P<name>.+)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_/?(?P<file>.*)", re.DOTALL
)


def read_moodle(members: Iterable[Member | Refused], roster: Roster) -> Iterator[Found | Unplaced]:
    """Files of a Moodle assignment's "Download all submissions" zip."""
    for m in _refusals(members):
        if isinstance(m, Unplaced):
            yield m
            continue
        match = _MOODLE.fullmatch(m.name)
        if match is None or not match["file"]:
            yield Unplaced(
                m.name, "not named <Full name>_<participant id>_assignsubmission_<kind>_ by Moodle"
            )
            continue
        if match["plugin"] != "file":
            yield Unplaced(
                m.name,
                f"Moodle {match['plugin']} submission, not a file; ask for the answers as files",
            )
            continue
        student = roster.lookup("moodle_id", match["pid"]) or roster.lookup("name", match["name"])
        if student is None:
            yield Unplaced(
                m.name,
                f"Moodle participant {match['pid']} ({match['name']}) is not on the roster "
                "(moodle_id or name)",
            )
            continue
        yield Found(student, match["file"], m.data, m.name)


SOURCES: dict[str, Reader] = {
    "canvas": read_canvas,
    "gradescope": read_gradescope,
    "moodle": read_moodle,
}
"""Each ``grader import --from`` choice and its reader."""


def _graded(file: str) -> bool:
    """Whether ``grader grade`` reads ``file`` from a student's folder."""
    return file == "answers.yaml" or ("/" not in file and file.endswith((".py", ".ipynb")))


@dataclass
class ImportReport:
    """What an import wrote and what it could not place."""

    placed: dict[str, list[str]] = field(default_factory=dict)
    """Student -> the files written to their folder, sorted."""
    unplaced: list[Unplaced] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Roster students with no file in the download."""

    @property
    def not_read(self) -> list[str]:
        """``student/file`` written but not read by ``grader grade``."""
        return [f"{s}/{f}" for s, files in self.placed.items() for f in files if not _graded(f)]

    def text(self) -> str:
        """The report as the TA reads it (stdout and ``import-report.txt``)."""
        n_files = sum(len(files) for files in self.placed.values())
        lines = [f"placed {n_files} file(s) for {len(self.placed)} student(s)"]
        lines += [f"  {s}: {', '.join(files)}" for s, files in sorted(self.placed.items())]
        if self.not_read:
            lines.append(f"written but not read by `grader grade` ({len(self.not_read)}):")
            lines += [f"  {name}" for name in self.not_read]
        if self.unplaced:
            lines.append(f"NOT placed ({len(self.unplaced)}):")
            lines += [f"  {u.origin}: {u.reason}" for u in self.unplaced]
        if self.missing:
            lines.append(f"no submission from {len(self.missing)} roster student(s):")
            lines.append("  " + ", ".join(self.missing))
        return "\n".join(lines) + "\n"


def _latest(
    found: Iterable[Found | Unplaced], report: ImportReport
) -> dict[tuple[str, str], Found]:
    """The latest copy of each (student, file); older ones go to the report as duplicates."""
    kept: dict[tuple[str, str], Found] = {}
    older: list[Found] = []
    for f in found:
        if isinstance(f, Unplaced):
            report.unplaced.append(f)
            continue
        problem = name_problem(f.file)
        if problem:
            report.unplaced.append(Unplaced(f.origin, f"unsafe file name: {problem}"))
            continue
        previous = kept.get((f.student, f.file))
        if previous is not None and previous.rank >= f.rank:
            older.append(f)
            continue
        if previous is not None:
            older.append(previous)
        kept[(f.student, f.file)] = f
    for f in older:
        latest = kept[(f.student, f.file)]
        report.unplaced.append(
            Unplaced(f.origin, f"duplicate: {latest.origin} is a later submission of {f.file}")
        )
    return kept


def _write(out: Path, student: str, file: str, data: bytes) -> None:
    """Write ``data`` to ``out/student/file``, never through a link (names are checked)."""
    target = out.joinpath(student, *file.split("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink():
        target.unlink()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def import_submissions(source: str, download: Path, roster: Roster, out: Path) -> ImportReport:
    """Lay the ``source`` LMS's ``download`` out under ``out``, one folder per student.

    Also copies the roster to ``out/roster.csv`` when there is none, and writes the report
    to ``out/import-report.txt``.
    """
    report = ImportReport()
    kept = _latest(SOURCES[source](read_members(download), roster), report)
    out.mkdir(parents=True, exist_ok=True)
    for (student, file), f in sorted(kept.items()):
        if out.joinpath(student).is_symlink():
            report.unplaced.append(Unplaced(f.origin, f"{out / student} is a symbolic link"))
            continue
        _write(out, student, file, f.data)
        report.placed.setdefault(student, []).append(file)
    report.missing = [s for s in roster.students if s not in report.placed]
    if not (out / "roster.csv").exists():
        shutil.copyfile(roster.path, out / "roster.csv")
    (out / "import-report.txt").write_text(report.text(), encoding="utf-8")
    return report
