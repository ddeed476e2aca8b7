"""Which notebook in a submission folder is graded, and how its answers join the folder's.

A folder is graded from a notebook when ``answers.yaml`` names one (``notebook:
submission.ipynb``) or when it has no ``answers.yaml`` and exactly one ``.ipynb``. What the
notebook answers joins what ``answers.yaml`` answers; where both answer a question,
``answers.yaml`` wins and the student is told.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

from grader.notebooks.reader import NotebookAnswers

__all__ = ["lone_notebook", "named_notebook", "merge_notebook"]


def lone_notebook(folder: Path) -> tuple[str | None, str | None]:
    """(the only notebook in ``folder``, problem): for a folder without ``answers.yaml``."""
    try:
        names = sorted(
            e.name
            for e in os.scandir(folder)
            if e.name.endswith(".ipynb") and not e.name.startswith(".")
        )
    except OSError:
        return None, None
    if len(names) > 1:
        return None, (
            f"several notebooks ({', '.join(names[:5])}); write an answers.yaml with "
            "`notebook: NAME.ipynb` naming the one to grade"
        )
    return (names[0], None) if names else (None, None)


def named_notebook(value: object) -> tuple[str | None, str | None]:
    """(file name, problem) for ``notebook: value`` in answers.yaml."""
    if (
        not isinstance(value, str)
        or not value.endswith(".ipynb")
        or "/" in value
        or "\\" in value
        or value.startswith(".")
    ):
        return None, (
            f"`notebook: {str(value)[:60]!r}` must be the name of a .ipynb file in your "
            "submission folder, without folders; ignored"
        )
    return value, None


def _set(answers: dict[str, Any], path: str, value: Any) -> bool:
    """Put ``value`` at ``path`` (``B4a/code``) unless answers.yaml answered it; True if put."""
    head, _, part = path.partition("/")
    if not part:
        if answers.get(head) is not None:
            return bool(answers[head] == value)
        answers[head] = value
        return True
    given = answers.setdefault(head, {})
    if not isinstance(given, dict):
        return False
    if given.get(part) is not None:
        return bool(given[part] == value)
    given[part] = value
    return True


def merge_notebook(
    name: str,
    taken: NotebookAnswers,
    answers: dict[str, Any],
    files: dict[str, bytes],
    known_questions: Collection[str],
) -> list[str]:
    """Join what notebook ``name`` answers into ``answers`` and ``files``; the notes to tell."""
    notes = list(taken.notes)
    for path, value in taken.answers.items():
        if known_questions and path.partition("/")[0] not in known_questions:
            notes.append(f"{name}: answer for unknown question {path!r} ignored")
        elif not _set(answers, path, value):
            notes.append(f"{path} is answered in answers.yaml and in {name}; answers.yaml's kept")
    for file, source in taken.files.items():
        if file in files:
            notes.append(f"{name}'s cells replace {file} in your folder")
        files[file] = source
    return notes
