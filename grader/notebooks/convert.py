"""A folder submission (``answers.yaml`` and ``.py`` files) written into a kit notebook: how
the example class becomes a notebook class (tests, ``benchmarks/bench_notebooks.py``), and a
way for a TA to see what a student's notebook should look like."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import yaml

from grader.notebooks.kit_notebook import answer_variable
from grader.notebooks.reader import ANSWER_TAG, METADATA_KEY

__all__ = ["fill_kit_notebook"]


def _flat(answers: dict[str, Any]) -> dict[str, Any]:
    """``{"B4a": {"code": "b4a.py"}}`` -> ``{"B4a/code": "b4a.py"}``."""
    out: dict[str, Any] = {}
    for qid, value in answers.items():
        if isinstance(value, dict):
            out |= {f"{qid}/{part}": v for part, v in value.items()}
        out[qid] = value
    return out


def fill_kit_notebook(kit_notebook: Path, folder: Path, out: Path) -> Path:
    """Write ``out``: the kit notebook with ``folder``'s answers and code in its tagged cells
    (``folder`` is trusted: this is for the example class, not for student uploads)."""
    nb = nbformat.read(kit_notebook, as_version=4)  # type: ignore[no-untyped-call]
    try:
        doc = yaml.safe_load((folder / "answers.yaml").read_text(encoding="utf-8"))
    except yaml.YAMLError:
        doc = None  # a broken answers.yaml: the notebook keeps its blanks
    given = doc.get("answers") if isinstance(doc, dict) else None
    answers = _flat(given if isinstance(given, dict) else {})
    for cell in nb.cells:
        own = cell.metadata.get(METADATA_KEY, {})
        if "question" in own:
            file = answers.get(own["question"])
            if isinstance(file, str) and (folder / file).is_file():
                cell.source = (folder / file).read_text(encoding="utf-8")
        elif "answer" in own and answers.get(own["answer"]) is not None:
            qid = own["answer"]
            cell.source = f"{answer_variable(qid)} = {answers[qid]!r}\n"
            assert cell.metadata["tags"] == [ANSWER_TAG + qid]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    return out
