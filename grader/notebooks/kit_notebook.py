"""A student kit as one Jupyter notebook (``grader kit EXAM --format ipynb``).

The notebook holds what the folder kit holds, and nothing more (it is made from that kit,
``build_kit``, so it can never carry more): the paper's questions as Markdown cells; for
each code question a code cell tagged with its id (``B1a``, ``B4a/code`` for a part) holding
the stub; for each other question a code cell tagged ``answer:<id>`` with one line
``answer_<id> = None`` for the student to fill in; a setup cell writing the questions'
support modules next to the kernel; the kit's manifest (visible cases only); and a last
cell running the self-check on the visible cases in the running kernel, which works in
Colab, where the notebook's own path is unknown (``selfcheck``).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import nbformat

from grader.kit import build_kit
from grader.kit_manifest import KitCode, KitMultipart, KitQuestion, read_manifest
from grader.loading import LoadedExam
from grader.notebooks.reader import ANSWER_TAG, METADATA_KEY
from grader.render import question_markdown

__all__ = ["answer_variable", "build_kit_notebook", "notebook_name"]

_HINTS = {
    "mcq": 'the option letters, e.g. "A, D"',
    "numeric": 'a number or a list of numbers, e.g. 0.5, "3/4" or [0.8, 0.5]',
    "expression": 'the formula as text, plain math or LaTeX, e.g. "beta*log(p/q)"',
    "ordering": 'the step labels in order, e.g. ["load", "train"]',
    "text": 'your answer as text, e.g. """..."""',
}


def answer_variable(qid: str) -> str:
    """The variable an answer cell assigns, e.g. ``answer_B2c__var_S`` for ``B2c/var-S``."""
    return "answer_" + re.sub(r"\W", "_", qid.replace("/", "__"))


def notebook_name(exam_id: str, student: str | None) -> str:
    """The kit notebook's file name."""
    return f"{exam_id}-{student}.ipynb" if student else f"{exam_id}.ipynb"


Cell = dict[str, Any]


def new_code_cell(source: str, metadata: dict[str, Any] | None = None) -> Cell:
    """An unrun v4 code cell (its id is set when the notebook is put together)."""
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": metadata or {},
        "outputs": [],
        "source": source,
    }


def new_markdown_cell(source: str) -> Cell:
    """A v4 Markdown cell."""
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _answer_cell(qid: str, kind: str) -> Cell:
    return new_code_cell(
        f"# {qid}: {_HINTS.get(kind, 'your answer')}\n{answer_variable(qid)} = None\n",
        metadata={"tags": [ANSWER_TAG + qid], METADATA_KEY: {"answer": qid}},
    )


def _code_cell(qid: str, stub: str) -> Cell:
    return new_code_cell(
        f"# {qid}: keep this cell's tag; only the tagged cells are graded\n{stub}",
        metadata={"tags": [qid], METADATA_KEY: {"question": qid}},
    )


def _answer_cells(d: KitQuestion, qid: str, kit: Path) -> list[Cell]:
    if isinstance(d, KitMultipart):
        return [c for p in d.parts for c in _answer_cells(p, f"{qid}/{p.id}", kit)]
    if isinstance(d, KitCode):
        return [_code_cell(qid, (kit / d.file).read_text(encoding="utf-8"))]
    return [_answer_cell(qid, d.type)]


def build_kit_notebook(
    exam: LoadedExam, out: Path, variant: int = 0, student: str | None = None
) -> Path:
    """Write the kit notebook for ``exam`` (``student``'s variant) into ``out``; its path."""
    with tempfile.TemporaryDirectory() as tmp:
        kit = Path(tmp)
        build_kit(exam, kit, variant, student)
        manifest = read_manifest(kit / "kit.json")
        support = {
            name: (kit / name).read_text(encoding="utf-8")
            for d in manifest.questions
            for code in ([d] if isinstance(d, KitCode) else getattr(d, "parts", []))
            if isinstance(code, KitCode)
            for name in code.support
        }
        described = {d.id: d for d in manifest.questions}
        e = exam.exam
        cells: list[Cell] = [
            new_markdown_cell(
                f"# {e.title}\n\n"
                + (f"Student: **{student}**\n\n" if student else "")
                + (f"{e.instructions.strip()}\n\n" if e.instructions else "")
                + "Answer in the cells under each question and keep their tags: only the "
                "tagged cells are graded, and nothing else in this notebook is run. Submit "
                "this .ipynb file."
            ),
            new_code_cell(
                "# Setup (run first): the modules the questions provide\n"
                "import pathlib\n\n"
                f"SUPPORT = {support!r}\n"
                "for _name, _text in SUPPORT.items():\n"
                "    pathlib.Path(_name).write_text(_text)\n",
                metadata={"tags": ["setup"]},
            ),
        ]
        for section in e.sections:
            cells.append(new_markdown_cell(f"## {section.title}"))
            for qid in section.questions:
                cells.append(new_markdown_cell(question_markdown(exam, qid, variant)))
                cells += _answer_cells(described[qid], qid, kit)
        cells += [
            new_code_cell(
                "# Kit data for the self-check (visible cases only); do not edit\n"
                f"KIT = {manifest.model_dump_json()!r}\n",
                metadata={"tags": ["kit-data"]},
            ),
            new_code_cell(
                "# Self-check: your code on the visible cases, as `grader check` runs it.\n"
                "# Hidden cases run at grading time. Needs the grader in this kernel\n"
                "# (in Colab: %pip install the grader wheel your course gives you).\n"
                "from grader.notebooks.selfcheck import check_here\n\n"
                "check_here(globals())\n",
                metadata={"tags": ["self-check"]},
            ),
        ]
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            METADATA_KEY: {"exam": e.exam, "variant": variant},
        },
        "cells": [cell | {"id": f"cell-{i + 1}"} for i, cell in enumerate(cells)],
    }
    nbformat.validate(nb)
    out.mkdir(parents=True, exist_ok=True)
    path = out / notebook_name(e.exam, student)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
