"""Taking a student's answers out of a Jupyter notebook, without running any of it.

A notebook answers the exam through tagged cells (the kit writes them, see
``kit_notebook``):

* a code cell tagged with a code question's id (``B1a``, or ``B4a/code`` for a part) holds
  that question's code; every cell so tagged, in notebook order, becomes the question's
  module, as if it were the ``.py`` file the question names;
* a cell tagged ``answer:<id>`` holds any other answer: in a code cell, the value of its last
  ``name = <plain value>`` line (text in quotes, numbers, lists); in a Markdown or raw cell,
  its text.

Every other cell is ignored: it is never run, so an infinite loop or a ``!pip install``
outside the tagged cells costs nothing. A code question with no tagged cell takes the last
untagged cell that defines the question's function (found with ``ast``, never run), and the
student is told. Values are read by walking the syntax tree: nothing is evaluated.
"""

from __future__ import annotations

import ast
import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ANSWER_TAG",
    "CodeSlot",
    "MAX_NOTEBOOK_BYTES",
    "METADATA_KEY",
    "NotebookAnswers",
    "defines_function",
    "parse_notebook",
    "runnable_source",
]

MAX_NOTEBOOK_BYTES = 16 * 1024 * 1024
"""Largest notebook read (outputs and images included)."""
MAX_MODULE_BYTES = 1024 * 1024
"""Largest module made of one question's cells (the limit on a ``.py`` file)."""
ANSWER_TAG = "answer:"
"""Prefix of the tag on a non-code answer cell: ``answer:B2c/var-S``."""
METADATA_KEY = "grader"
"""The cell metadata key the kit writes: ``{"question": id}`` or ``{"answer": id}``."""
_MAX_DEPTH = 32
_MAGIC = re.compile(r"^(\s*)([!%].*)$")


@dataclass(frozen=True)
class CodeSlot:
    """Where a code question's answer goes: the file it names and the function graded."""

    file: str
    function: str


@dataclass(frozen=True)
class NotebookAnswers:
    """What was taken from one notebook."""

    files: dict[str, bytes] = field(default_factory=dict)
    """Module file name -> the source made of the question's cells."""
    answers: dict[str, Any] = field(default_factory=dict)
    """Question id (``B4a/code`` for a part) -> answer; code answers name their module."""
    notes: tuple[str, ...] = ()
    """Student-facing notes and problems, in notebook order."""


def runnable_source(source: str) -> str:
    """``source`` with IPython's ``!shell`` and ``%magic`` lines made inert (``pass``), keeping
    line numbers, so the cell is plain Python."""
    lines = []
    for line in source.splitlines():
        m = _MAGIC.match(line)
        lines.append(f"{m.group(1)}pass  # notebook magic, not run" if m else line)
    return "\n".join(lines) + "\n"


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(runnable_source(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def defines_function(source: str, function: str) -> bool:
    """Whether the cell ``source`` defines ``function`` at its top level (parsed, not run)."""
    tree = _parse(source)
    return tree is not None and any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function
        for node in tree.body
    )


class _NotPlain(Exception):
    """A value that is not a plain literal."""


def _plain(node: ast.expr, depth: int = 0) -> Any:
    """The value of a literal made of text, numbers, booleans, None, lists and dicts."""
    if depth > _MAX_DEPTH:
        raise _NotPlain
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, type(None))):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, (ast.USub, ast.UAdd))
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, (int, float))
        and not isinstance(node.operand.value, bool)
    ):
        return -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_plain(e, depth + 1) for e in node.elts]
    if isinstance(node, ast.Dict):
        out = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if not isinstance(k, ast.Constant) or not isinstance(k.value, (str, int)):
                raise _NotPlain
            out[str(k.value)] = _plain(v, depth + 1)
        return out
    raise _NotPlain


def _answer_value(cell_type: str, source: str, qid: str, number: int) -> tuple[Any, str | None]:
    """(answer, problem) of the answer cell ``number`` for ``qid``."""
    if cell_type != "code":
        text = source.strip()
        return (text or None), None
    tree = _parse(source)
    where = f"cell {number} (answer:{qid})"
    if tree is None:
        return None, f"{where} is not valid Python; write `answer = ...`; not read"
    assigned = [
        n
        for n in tree.body
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
    ]
    if not assigned:
        return None, f"{where} has no `answer = ...` line; not read"
    try:
        return _plain(assigned[-1].value), None
    except _NotPlain:
        return None, (
            f"{where}: the answer must be a plain value (text in quotes, a number, a list), "
            "not an expression to compute; not read"
        )


def _tags(cell: Mapping[str, Any]) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _own(cell: Mapping[str, Any], key: str) -> str | None:
    meta = cell.get("metadata", {}).get(METADATA_KEY)
    value = meta.get(key) if isinstance(meta, Mapping) else None
    return value if isinstance(value, str) else None


def _read(name: str, data: bytes) -> tuple[Any, str | None]:
    """The validated notebook, or why it cannot be read."""
    import nbformat

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, f"{name} is not UTF-8 text; save it again from Jupyter or Colab"
    # nbformat logs what fails validation; the student hears it from us instead
    quiet = logging.getLogger("nbformat")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        nb = nbformat.reads(text, as_version=4, capture_validation_error={})  # type: ignore[no-untyped-call]
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        first = str(exc.message if hasattr(exc, "message") else exc).splitlines()[0][:160]
        return None, (
            f"{name} is not a valid notebook ({first}); open it in Jupyter or Colab, "
            "save it again and resubmit"
        )
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, MemoryError) as exc:
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        return None, f"{name} cannot be read as a notebook ({detail}); save it again from Jupyter"
    finally:
        quiet.setLevel(level)
    return nb, None


def parse_notebook(name: str, data: bytes, slots: Mapping[str, CodeSlot]) -> NotebookAnswers:
    """The answers in notebook ``name`` (its bytes ``data``); never raises for its content.

    ``slots`` maps each code question id (``B4a/code`` for a part) to its file and function.
    """
    nb, problem = _read(name, data)
    if problem is not None:
        return NotebookAnswers(notes=(f"{problem}; no answer could be taken from it",))
    notes: list[str] = []
    answers: dict[str, Any] = {}
    tagged: dict[str, list[int]] = {}
    untagged: list[int] = []
    cells = list(nb.cells)
    for i, cell in enumerate(cells):
        tags = _tags(cell)
        answer_ids = [t[len(ANSWER_TAG) :] for t in tags if t.startswith(ANSWER_TAG)]
        answer_id = _own(cell, "answer") or (answer_ids[0] if answer_ids else None)
        question = _own(cell, "question") or next((t for t in tags if t in slots), None)
        if answer_id is not None:
            value, problem = _answer_value(cell.cell_type, cell.source, answer_id, i + 1)
            if problem:
                notes.append(problem)
            elif value is not None:
                answers[answer_id] = value
        elif cell.cell_type == "code" and question is not None:
            if question not in slots:
                notes.append(f"cell {i + 1} is tagged {question!r}, which is not a code question")
            else:
                tagged.setdefault(question, []).append(i)
        elif cell.cell_type == "code":
            untagged.append(i)
    for qid, slot in slots.items():
        if qid in tagged:
            continue
        defining = [i for i in untagged if defines_function(cells[i].source, slot.function)]
        if defining:
            tagged[qid] = [defining[-1]]
            notes.append(
                f"took {qid}'s code from an untagged cell (cell {defining[-1] + 1}) defining "
                f"`{slot.function}`; tag that cell {qid!r} so the right cell is graded"
            )
    by_file: dict[str, list[int]] = {}
    for qid, indices in tagged.items():
        file = slots[qid].file
        by_file.setdefault(file, [])
        by_file[file] += [i for i in indices if i not in by_file[file]]
        answers[qid] = file
    files: dict[str, bytes] = {}
    for file, indices in by_file.items():
        buf = io.StringIO()
        for i in sorted(indices):
            buf.write(f"# notebook cell {i + 1}\n{runnable_source(cells[i].source)}\n")
        source = buf.getvalue().encode("utf-8")
        if len(source) > MAX_MODULE_BYTES:
            limit = f"{MAX_MODULE_BYTES / 1e6:.1f} MB"
            notes.append(f"the cells for {file} are over {limit}; not taken")
            continue
        files[file] = source
    return NotebookAnswers(files=files, answers=answers, notes=tuple(notes))
