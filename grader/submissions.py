"""Reading a class's submissions, defensively: one bad folder never stops the others.

A submission is a folder with ``answers.yaml`` and the ``.py`` files its code answers
name. Everything in it is hostile: sizes are checked before reading, symbolic links are
refused, YAML aliases (billion-laughs) are refused, and every problem becomes a
student-facing message while grading goes on with whatever could be read.

Whose submission it is comes from the folder's name (the LMS's id), never from the
folder's content: a ``student:`` in answers.yaml that names someone else is reported to
the student and changes nothing. A folder whose name is not a valid id is not graded.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from grader.notebooks.reader import CodeSlot

__all__ = [
    "Submission",
    "read_submission",
    "find_submissions",
    "linked_submissions",
    "SYMLINK_NOT_GRADED",
    "read_roster",
    "ROSTER_ID_COLUMNS",
    "student_id_problem",
    "student_file_name",
    "printable_name",
    "STUDENT_ID",
    "MAX_FILE_BYTES",
    "MAX_ANSWERS_BYTES",
]

MAX_FILE_BYTES = 1024 * 1024
"""Largest code file read from a submission."""
MAX_ANSWERS_BYTES = 1024 * 1024
"""Largest answers.yaml read."""
MAX_FILES = 50
"""Most .py files taken from one submission."""
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
"""What a student id (a submission folder's name) may be, matched in full: it is a
gradebook key, a file name and a spreadsheet cell, so no spaces, slashes, quotes or
leading ``=``, ``+``, ``-``, ``@`` or ``.``."""


_SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._@-")
_SLUG_LENGTH = 64
"""Longest slug kept before the hash: with the hash and a suffix such as ``-paper.html``, a
name stays far below the 255 bytes a file name may have."""


def student_file_name(student: str) -> str:
    """The stem of every file made for ``student`` (``feedback/<stem>.md``, a rendered
    paper): the id itself when it is a valid id in lower case, otherwise a slug of it (lower
    case, other characters as ``_``, at most 64) and ``~`` and 12 hex digits of its SHA-256.

    Two students never share a file: a valid lower-case id is itself; every other name
    holds ``~``, which no valid id does, and the hash of the real id. Lower case makes this
    hold on disks that ignore case too (macOS, Windows: ``Alice`` and ``alice``)."""
    if STUDENT_ID.fullmatch(student) and student == student.lower():
        return student
    slug = "".join(ch if ch in _SLUG_CHARS else "_" for ch in student.lower())
    slug = slug[:_SLUG_LENGTH].lstrip(".-") or "student"
    digest = hashlib.sha256(student.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{slug}~{digest}"


def _escape_char(ch: str) -> str:
    code = ord(ch)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def printable_name(name: str) -> str:
    """``name`` safe to print for a TA: brackets, backslashes and unprintable characters escaped."""
    return "".join(ch if ch.isprintable() and ch not in "[]\\" else _escape_char(ch) for ch in name)


def student_id_problem(name: str) -> str | None:
    """Why the folder name ``name`` cannot be a student id, for the TA; ``None`` when it can."""
    if STUDENT_ID.fullmatch(name):
        return None
    return (
        f"folder name '{printable_name(name)}' is not a valid student id "
        "(1 to 128 letters, digits, '.', '_', '@' or '-', starting with a letter or digit); "
        "not graded: rename the folder to the student's id"
    )


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Submission:
    """What could be read of one student's folder."""

    folder: Path
    student: str
    exam: str | None
    variant: int | None
    answers: Mapping[str, Any]
    files: Mapping[str, bytes]
    problems: tuple[str, ...] = ()
    file_problems: Mapping[str, str] = field(default_factory=dict)
    """File name -> why it was not taken (binary, too large, a link)."""
    notebook: str | None = None
    """The notebook the answers were also taken from (``grader.notebooks``), if any."""


def _safe_read(path: Path, limit: int) -> tuple[bytes | None, str | None]:
    """Read a regular file of at most ``limit`` bytes without following links."""
    try:
        st = os.lstat(path)
    except OSError:
        return None, f"{path.name} is missing"
    if stat.S_ISLNK(st.st_mode):
        return None, f"{path.name} is a symbolic link; submit the file itself"
    if not stat.S_ISREG(st.st_mode):
        return None, f"{path.name} is not a regular file"
    if st.st_size > limit:
        return None, f"{path.name} is {st.st_size / 1e6:.1f} MB; the limit is {limit / 1e6:.1f} MB"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        return None, f"{path.name} cannot be read ({exc.strerror})"
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        return None, f"{path.name} is larger than {limit / 1e6:.1f} MB"
    return data, None


def _text_problem(name: str, data: bytes) -> str | None:
    if b"\0" in data:
        return f"{name} is a binary file, not Python source"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return f"{name} is not UTF-8 text"
    return None


_LOADER = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)  # libyaml when PyYAML was built with it: ~5x faster


def _has_alias(text: str) -> bool:
    try:
        return any(isinstance(tok, yaml.AliasToken) for tok in yaml.scan(text, Loader=_LOADER))
    except yaml.YAMLError:
        return False


def _duplicate_key(root: yaml.Node | None) -> str | None:
    """The first key written twice in one mapping of the document ``root``, as a problem
    naming the key and both lines; ``None`` when every key is written once. (YAML keeps the
    last one silently, so a student's earlier answer would vanish without a word.)"""
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                line = key.start_mark.line + 1
                if isinstance(key, yaml.ScalarNode):
                    first = seen.get((key.tag, key.value))
                    if first is not None:
                        return (
                            f"answers.yaml has the key {_short(key.value)} twice ("
                            + (f"lines {first} and {line}" if first != line else f"line {line}")
                            + "); no answer could be graded: keep one of them"
                        )
                    seen[(key.tag, key.value)] = line
                stack.extend((key, value))
    return None


def _load_answers(text: str) -> tuple[Any, str | None]:
    """answers.yaml's document and the problem of a key written twice (see
    ``_duplicate_key``), from one parse; raises ``yaml.YAMLError`` on invalid YAML."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        duplicate = _duplicate_key(node)
        doc = None if node is None or duplicate else loader.construct_document(node)
    except (ValueError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
        # a typed value that cannot be built (`!!int many`, `2024-02-30`, `!!timestamp x`)
        raise yaml.YAMLError(f"a value cannot be read ({exc})") from None
    finally:
        loader.dispose()
    return doc, duplicate


def read_submission(
    folder: Path,
    *,
    exam_id: str | None = None,
    known_questions: Collection[str] = (),
    roster: Collection[str] | None = None,
    code_slots: Mapping[str, CodeSlot] | None = None,
) -> Submission:
    """Read ``folder``; never raises for anything inside it.

    The student is the folder's name (check it with ``student_id_problem`` first).
    ``code_slots`` (code question id -> file and function) lets a notebook's code cells be
    taken (``grader.notebooks``); without it a notebook gives only its answer cells.
    """
    from grader.notebooks.folder import lone_notebook, merge_notebook, named_notebook

    problems: list[str] = []
    answers: dict[str, Any] = {}
    student = folder.name
    exam: str | None = None
    variant: int | None = None
    notebook: str | None = None
    raw, err = _safe_read(folder / "answers.yaml", MAX_ANSWERS_BYTES)
    if raw is None and err is not None and "missing" in err:
        notebook, nb_problem = lone_notebook(folder)
        problems += [nb_problem] if nb_problem else []
    if raw is None:
        if notebook is None:
            problems.append(
                f"answers.yaml: {err}; no answer could be graded"
                if "missing" not in (err or "")
                else "no answers.yaml (nor a notebook) in the submission folder; "
                "no answer could be graded"
            )
    else:
        text_err = _text_problem("answers.yaml", raw)
        if text_err:
            problems.append(f"{text_err}; no answer could be graded")
        else:
            text = raw.decode("utf-8")
            doc: Any = None
            if _has_alias(text):
                problems.append(
                    "answers.yaml uses YAML anchors/aliases (& and *), which are not accepted; "
                    "write each answer out"
                )
            else:
                try:
                    doc, duplicate = _load_answers(text)
                except yaml.YAMLError as exc:
                    mark = getattr(exc, "problem_mark", None)
                    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
                    problems.append(
                        f"answers.yaml is not valid YAML{where}: "
                        f"{getattr(exc, 'problem', None) or exc}; no answer could be graded"
                    )
                else:
                    if duplicate is not None:
                        problems.append(duplicate)
                        doc = None
                    elif doc is None:
                        problems.append(
                            "answers.yaml is empty; no answer could be graded: write your "
                            "answers under `answers:`"
                        )
            if doc is not None and not isinstance(doc, dict):
                problems.append(
                    "answers.yaml must be a mapping with keys student, exam and answers"
                )
            elif isinstance(doc, dict):
                claimed = doc.get("student")
                if claimed is not None and str(claimed).strip() != student:
                    problems.append(
                        f"answers.yaml says student {_short(claimed)} "
                        f"but this folder is {student!r}; graded as {student!r}"
                    )
                if doc.get("exam") is not None:
                    exam = str(doc.get("exam"))
                    if exam_id is not None and exam != exam_id:
                        problems.append(
                            f"answers.yaml is for exam {exam!r}, but this is {exam_id!r}; "
                            f"graded against {exam_id!r}"
                        )
                v = doc.get("variant")
                if isinstance(v, int) and not isinstance(v, bool):
                    variant = v
                elif v is not None:
                    problems.append(f"`variant: {v!r}` is not a variant number; ignored")
                ans = doc.get("answers")
                if ans is not None and not isinstance(ans, dict):
                    problems.append("`answers:` must map question ids to answers")
                elif isinstance(ans, dict):
                    for key, value in ans.items():
                        qid = str(key)
                        if known_questions and qid not in known_questions:
                            problems.append(f"answer for unknown question {qid!r} ignored")
                            continue
                        answers[qid] = value
                if doc.get("notebook") is not None:
                    notebook, nb_problem = named_notebook(doc.get("notebook"))
                    problems += [nb_problem] if nb_problem else []
                elif ans is None:
                    problems.append("answers.yaml has no `answers:` mapping")
                extra = sorted(
                    set(doc) - {"student", "exam", "variant", "answers", "notebook"}, key=str
                )
                if extra:
                    problems.append(
                        f"answers.yaml has unknown keys {', '.join(map(str, extra))}; ignored"
                    )
    if roster is not None and student not in roster:
        problems.append(f"student id {student!r} is not on the roster; graded, but check the id")
    files: dict[str, bytes] = {}
    file_problems: dict[str, str] = {}
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        entries = []
        problems.append(f"the submission folder cannot be listed ({exc.strerror})")
    for entry in entries:
        if not entry.name.endswith(".py"):
            continue
        if len(files) >= MAX_FILES:
            file_problems[entry.name] = f"more than {MAX_FILES} .py files; {entry.name} ignored"
            continue
        data, err = _safe_read(folder / entry.name, MAX_FILE_BYTES)
        if data is None:
            file_problems[entry.name] = err or "unreadable"
            continue
        text_err = _text_problem(entry.name, data)
        if text_err:
            file_problems[entry.name] = text_err
            continue
        files[entry.name] = data
    problems.extend(file_problems.values())
    if notebook is not None:
        from grader.notebooks.reader import MAX_NOTEBOOK_BYTES, parse_notebook

        data, err = _safe_read(folder / notebook, MAX_NOTEBOOK_BYTES)
        taken = parse_notebook(notebook, data, code_slots or {}) if data is not None else None
        problems += (
            merge_notebook(notebook, taken, answers, files, known_questions)
            if taken is not None
            else [f"{err}; no answer could be taken from the notebook"]
        )
    return Submission(
        folder=folder,
        student=student,
        exam=exam,
        variant=variant,
        answers=answers,
        files=files,
        problems=tuple(problems),
        file_problems=file_problems,
        notebook=notebook,
    )


SYMLINK_NOT_GRADED = (
    "a symbolic link, not a folder; not graded (a link could point at another student's "
    "folder or outside the class): put the student's folder itself there"
)
"""Why a symbolic link among the student folders is not graded (after its name)."""


def find_submissions(root: Path) -> list[Path]:
    """Student folders directly under ``root`` (sorted; hidden folders and links skipped:
    ``linked_submissions`` names the links, to report them)."""
    out = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir(follow_symlinks=False):
            out.append(Path(entry.path))
    return out


def linked_submissions(root: Path) -> list[str]:
    """Names of the symbolic links directly under ``root`` (sorted, hidden ones left out),
    which ``find_submissions`` skips: each is reported with ``SYMLINK_NOT_GRADED``."""
    return sorted(
        entry.name
        for entry in os.scandir(root)
        if entry.is_symlink() and not entry.name.startswith(".")
    )


ROSTER_ID_COLUMNS = ("student", "id", "student_id")
"""The roster columns that may hold the student id, the first one present is taken."""


def read_roster(path: Path) -> list[str]:
    """Student ids from a CSV with a `student` (or `id`) column, or one id per line."""
    text = path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    if rows and rows[0] is not None:
        for col in ROSTER_ID_COLUMNS:
            if col in rows[0]:
                return [r[col].strip() for r in rows if r.get(col, "").strip()]
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
