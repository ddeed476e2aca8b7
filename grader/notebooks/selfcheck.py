"""The kit notebook's self-check, run inside the student's own kernel (Jupyter or Colab).

It never reads the ``.ipynb`` (in Colab its path is unknown). It takes what the kernel has
run: for each code question, the last executed cell defining the question's function
(IPython's input history, ``In``), and for each other answer the variable its answer cell
assigns (``answer_B2c__var_S``). Those become a kit folder and an answers folder in a
temporary directory, checked by ``check_kit``: the same visible cases, comparison and
feedback as ``grader check``, which is the grading path run on visible cases only.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from grader.kit_manifest import KitCode, KitManifest, KitMultipart, KitQuestion
from grader.notebooks.kit_notebook import answer_variable
from grader.notebooks.reader import defines_function, runnable_source
from grader.results import SubmissionResult

__all__ = ["check_here", "check_namespace"]

_PLAIN = (str, int, float, list, dict, type(None))


def _answers(d: KitQuestion, qid: str, namespace: Mapping[str, Any]) -> Any:
    if isinstance(d, KitMultipart):
        return {p.id: _answers(p, f"{qid}/{p.id}", namespace) for p in d.parts}
    if isinstance(d, KitCode):
        return d.file
    value = namespace.get(answer_variable(qid))
    return value if isinstance(value, _PLAIN) and not isinstance(value, bool) else str(value)


def _code_files(manifest: KitManifest, history: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """(file -> source, notes): per code question, the last run cell defining its function."""
    files: dict[str, list[str]] = {}
    notes = []
    for d in manifest.questions:
        codes = [d] if isinstance(d, KitCode) else getattr(d, "parts", [])
        for code in codes:
            if not isinstance(code, KitCode):
                continue
            ran = [src for src in history if defines_function(src, code.function)]
            if not ran:
                notes.append(f"no cell you have run defines `{code.function}`; run its cell first")
                continue
            if ran[-1] not in files.setdefault(code.file, []):
                files[code.file].append(ran[-1])
    return {f: "\n".join(runnable_source(s) for s in srcs) for f, srcs in files.items()}, notes


def check_namespace(namespace: Mapping[str, Any]) -> tuple[SubmissionResult, list[str]]:
    """Self-check what the kernel whose globals are ``namespace`` has run; (result, notes)."""
    from grader.kit import check_kit
    from grader.sandbox import InProcessRunner

    manifest = KitManifest.model_validate_json(namespace["KIT"])
    history = [s for s in namespace.get("In", namespace.get("_ih", [])) if isinstance(s, str)]
    files, notes = _code_files(manifest, history)
    with tempfile.TemporaryDirectory() as tmp:
        kit, folder = Path(tmp) / "kit", Path(tmp) / "student"
        kit.mkdir()
        folder.mkdir()
        (kit / "kit.json").write_text(namespace["KIT"], encoding="utf-8")
        for name, text in dict(namespace.get("SUPPORT", {})).items():
            (kit / Path(name).name).write_text(text, encoding="utf-8")
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        answers = {d.id: _answers(d, d.id, namespace) for d in manifest.questions}
        (folder / "answers.yaml").write_text(
            yaml.safe_dump({"exam": manifest.exam, "answers": answers}), encoding="utf-8"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # said below, once
            runner = InProcessRunner(workers=1, warm_flops=False)  # no FLOPs in a self-check
        try:
            result = check_kit(kit, folder, runner)
        finally:
            runner.close()
    return result, notes


def check_here(namespace: Mapping[str, Any]) -> None:
    """Print the self-check of this kernel's answers (call it as ``check_here(globals())``)."""
    from grader.cli_papers import print_result
    from grader.kit import SELF_CHECK_NOTE

    result, notes = check_namespace(namespace)
    for note in notes:
        print(f"note: {note}")
    print_result(
        result,
        SELF_CHECK_NOTE + " Your code ran in this kernel's machine without a sandbox; "
        "grading takes the cells tagged with each question's id.",
    )
