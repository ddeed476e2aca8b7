"""`grader export EXAM --to gradescope-autograder`: a zip Gradescope runs as its autograder.

Gradescope's layout (its "Autograder Specifications"): the zip is unpacked in
``/autograder/source``; ``setup.sh`` at its root runs once, as root, when the image is
built; ``run_autograder`` at its root runs once per submission, reads
``/autograder/submission/`` and writes ``/autograder/results/results.json``.

The zip holds::

    setup.sh, run_autograder      from grader/lms/gradescope/: bubblewrap, Python, CPU torch
                                  and the wheel; then grader.lms.gradescope_results grades
    grader-autograder.json        the manifest (``AutograderManifest``): the exam's path, ...
    course/...                    the exam, its banks, the code questions' support files and
                                  the course's ``references:`` folders, at their relative places
    wheels/<the grader's wheel>   built once per export from the grader's source tree, or --wheel
    secret                        only with --secret-file: the course secret for variants

No key or expected output is written: the grader computes them from the references inside
the container, as ``grader grade`` does. Student code never sees ``/autograder/source``: the
sandbox shows it only the interpreter, numpy and torch.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from grader.errors import InfrastructureError
from grader.loading import LoadedExam, _code_parts

__all__ = [
    "AutograderManifest",
    "MANIFEST_NAME",
    "SECRET_NAME",
    "Visibility",
    "autograder_zip",
    "course_files",
    "grader_wheel",
    "write_autograder_zip",
]

Visibility = Literal["visible", "after_due_date", "after_published", "hidden"]
"""When Gradescope shows a test to the student (instructors always see every test)."""

MANIFEST_NAME = "grader-autograder.json"
"""The manifest's name at the zip's root (``/autograder/source/``)."""
SECRET_NAME = "secret"
"""The course secret's file at the zip's root, when the export was given one."""
_DIST_NAME = "llm-exam-grader"
_WHEEL_PREFIX = _DIST_NAME.replace("-", "_") + "-"
_TEMPLATES = ("setup.sh", "run_autograder")
_SOURCE_PARTS = ("pyproject.toml", "README.md", "LICENSE", "grader", "reference_impls")
"""What the wheel is built from (pyproject.toml's packages and readme)."""


@dataclass(frozen=True)
class AutograderManifest:
    """What ``run_autograder`` needs to know about the exam it grades."""

    exam_id: str
    """The exam's id (``exam:`` in exam.yaml)."""
    exam_path: str
    """The exam file, relative to the zip's root (``course/...``)."""
    visibility: Visibility
    """When students see their marks and the hidden cases' results (Gradescope's setting
    for every test but the visible cases, which are always shown)."""
    has_secret: bool = False
    """Whether the zip holds the course secret (``SECRET_NAME``) for per-student variants."""

    def to_json(self) -> str:
        """The manifest's file content."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> AutograderManifest:
        """Read a manifest written by ``to_json``."""
        data = json.loads(text)
        return cls(
            exam_id=str(data["exam_id"]),
            exam_path=str(data["exam_path"]),
            visibility=data["visibility"],
            has_secret=bool(data.get("has_secret", False)),
        )


def _folder_files(folder: Path) -> Iterator[Path]:
    """Every regular file under a reference folder, without caches and hidden files."""
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
            continue
        if path.is_file() and not path.is_symlink():
            yield path


def course_files(exam: LoadedExam) -> dict[str, Path]:
    """What grading ``exam`` reads from the course, by its path in the zip: the exam file, its
    banks, the code questions' support files and every file of the course's reference folders.
    Paths keep their places relative to each other (an exam's ``references: [../../refs/]``
    still finds them) under ``course/``, below the deepest folder holding them all."""
    files: set[Path] = {exam.path.resolve()}
    for loaded in exam.banks:
        files.add(loaded.path.resolve())
        for folder in loaded.reference_folders:
            if not folder.is_dir():
                raise InfrastructureError(
                    f"{loaded.path}: reference folder {str(folder)!r} does not exist; "
                    "fix `references:` in the exam or the bank"
                )
            files.update(p.resolve() for p in _folder_files(folder))
    for qid, question in exam.questions.items():
        bank = exam.question_bank[qid]
        for code in _code_parts(question):
            for rel in code.support:
                files.add((bank.folder / rel).resolve())
    root = Path(os.path.commonpath([p.parent for p in files]))
    return {f"course/{p.relative_to(root).as_posix()}": p for p in sorted(files)}


def _source_tree() -> Path | None:
    """The grader's source tree (the folder with its pyproject.toml), when the installed
    grader is one (a checkout, an editable install); None for an installed wheel."""
    import grader

    top = Path(grader.__file__).resolve().parent.parent
    pyproject = top / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        name = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["name"]
    except (tomllib.TOMLDecodeError, KeyError, TypeError):
        return None
    return top if name == _DIST_NAME else None


def _check_wheel(path: Path) -> Path:
    """``path`` if it is a wheel of this grader; otherwise say what to pass."""
    if not path.is_file():
        raise InfrastructureError(f"--wheel {str(path)!r}: no such file")
    if not (path.name.startswith(_WHEEL_PREFIX) and path.suffix == ".whl"):
        raise InfrastructureError(
            f"--wheel {str(path)!r} is not a wheel of {_DIST_NAME} "
            f"(expected a file named {_WHEEL_PREFIX}VERSION-...whl)"
        )
    if not zipfile.is_zipfile(path):
        raise InfrastructureError(f"--wheel {str(path)!r} is not a zip file; rebuild the wheel")
    return path


def grader_wheel(given: Path | None, build_dir: Path) -> Path:
    """The grader's wheel for the zip: ``given`` (``--wheel``), checked, or one built into
    ``build_dir`` from the grader's source tree with ``pip wheel --no-deps``."""
    if given is not None:
        return _check_wheel(given)
    source = _source_tree()
    if source is None:
        raise InfrastructureError(
            "this grader is installed from a wheel, so there is no source tree to build one "
            f"from; pass --wheel PATH (the {_DIST_NAME} wheel you installed)"
        )
    # built from a clean copy: setuptools' build/ folder in the tree could hold stale modules
    copy = build_dir / "src"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in _SOURCE_PARTS:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, copy / name, ignore=skip)
        elif path.is_file():
            copy.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(build_dir), str(copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    built = sorted(build_dir.glob(f"{_WHEEL_PREFIX}*.whl"))
    if done.returncode != 0 or not built:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no wheel written"]
        raise InfrastructureError(
            f"could not build the grader's wheel from {source}: {detail[0]}; "
            "build one (pip wheel --no-deps .) and pass --wheel PATH"
        )
    return built[-1]


def _torch_version() -> str:
    """The torch release the grader runs with here (without a local tag such as ``+cpu``)."""
    import torch

    return str(torch.__version__).split("+")[0]


def _template(name: str, wheel: str) -> bytes:
    text = (resources.files("grader.lms") / "gradescope" / name).read_text(encoding="utf-8")
    text = text.replace("@WHEEL@", wheel).replace("@TORCH_VERSION@", _torch_version())
    return text.encode()


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    """One member with a fixed date and mode, so the same input gives the same zip."""
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    archive.writestr(info, data)


def autograder_zip(
    exam: LoadedExam,
    wheel: Path,
    *,
    visibility: Visibility = "after_due_date",
    secret: bytes | None = None,
) -> bytes:
    """The autograder zip of ``exam`` (see the module's docstring for what it holds)."""
    files = course_files(exam)
    exam_in_zip = next(name for name, path in files.items() if path == exam.path.resolve())
    manifest = AutograderManifest(
        exam_id=exam.exam.exam,
        exam_path=exam_in_zip,
        visibility=visibility,
        has_secret=secret is not None,
    )
    wheel_in_zip = f"wheels/{wheel.name}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in _TEMPLATES:
            _add(archive, name, _template(name, wheel_in_zip), executable=True)
        _add(archive, MANIFEST_NAME, manifest.to_json().encode())
        for name, path in files.items():
            _add(archive, name, path.read_bytes())
        _add(archive, wheel_in_zip, wheel.read_bytes())
        if secret is not None:
            _add(archive, SECRET_NAME, secret)
    return buffer.getvalue()


def write_autograder_zip(
    exam: LoadedExam,
    out: Path,
    *,
    wheel: Path | None,
    visibility: Visibility,
    secret: bytes | None,
) -> Path:
    """Write ``exam``'s autograder zip to ``out``; returns the wheel it holds."""
    with tempfile.TemporaryDirectory(prefix="grader-wheel-") as tmp:
        found = grader_wheel(wheel, Path(tmp))
        data = autograder_zip(exam, found, visibility=visibility, secret=secret)
        out.write_bytes(data)
        return wheel if wheel is not None else Path(found.name)
