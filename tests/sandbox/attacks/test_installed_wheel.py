"""The reference solutions and the grader stay out of the sandbox in a REAL wheel install.

The editable install the other tests run against keeps ``grader`` and ``reference_impls``
in the repository; a user's ``pip install .`` puts them into ``site-packages``, next to
numpy and torch. When the sandbox mounted the whole virtualenv, student code could then
``import reference_impls`` and copy the answer: the example ``submissions/quiz-2025/cheating``
got 2/2 on Q3.

Here the project's wheel is built offline, installed (``--no-deps``) into a fresh venv
outside the repository, and a course folder outside the repository is graded with that
venv's ``grader`` console script. torch and the other requirements are not reinstalled:
a ``.pth`` file in the new venv's site folder appends this venv's site folder(s) to
``sys.path``. The editable install's ``__editable__*.pth`` finder hook does not come along:
``.pth`` files are processed only in site folders, not in folders another ``.pth`` added,
and the new venv's own site folder comes first anyway -- the tests assert that ``grader``
and ``reference_impls`` are imported from the installed wheel.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
SOURCE = REPO
"""The project tree the wheel, the questions and the class come from."""
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "MANIFEST.in", "README.md", "LICENSE")
PACKAGES = ("grader", "reference_impls")
EXAM = "quiz-2025"
HERE = Path(__file__).resolve().parent
Q3_FN = "instruction_tuning_loss(logits, input_ids, prompt_lens, response_lens)"
MARKER = "@@RESULT@@"


@dataclass(frozen=True)
class WheelVenv:
    venv: Path
    python: Path
    site: Path
    """The new venv's own site folder, where the wheel was installed."""
    shared: tuple[str, ...]
    """This venv's site folders, appended to the new venv's ``sys.path`` by a ``.pth``."""
    course: Path
    """A course folder outside the repository: ``questions/`` and ``submissions/quiz-2025/``."""
    env: dict[str, str]


def _env() -> dict[str, str]:
    """This process's environment without anything that would point Python elsewhere."""
    drop = {
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "PYTHONSAFEPATH",
        "VIRTUAL_ENV",
        "GRADER_SECRET",
    }
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PIP_")}
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(
    argv: list[str | Path], *, timeout: float, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )  # type: ignore[call-overload]
    assert out.returncode == 0, (
        f"{' '.join(map(str, argv))} exited with {out.returncode}\n"
        f"stdout:\n{out.stdout[-4000:]}\nstderr:\n{out.stderr[-4000:]}"
    )
    return out


def _inside(path: str | Path, folder: str | Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def _shared_site_folders() -> tuple[str, ...]:
    """Where this interpreter finds torch, numpy and the grader's other requirements."""
    import numpy
    import torch

    folders = [
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
        str(Path(torch.__file__).resolve().parents[1]),
        str(Path(numpy.__file__).resolve().parents[1]),
    ]
    return tuple(dict.fromkeys(os.path.realpath(f) for f in folders))


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> WheelVenv:
    if shutil.which("bwrap") is None:
        pytest.skip(
            "bubblewrap is not installed (`sudo apt-get install bubblewrap`); "
            "the installed-wheel sandbox test is skipped"
        )
    missing = [m for m in ("pip", "setuptools") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed in this venv: no offline wheel build")
    root = tmp_path_factory.mktemp("installed-wheel")
    assert not _inside(root, REPO), f"{root} must be outside the repository"
    env = _env()

    # 1. The wheel, built offline with this venv's setuptools from a copy of the project
    #    (an in-tree build would leave build/ in the repository, and a stale build/lib
    #    could put files into the wheel that the tree no longer has).
    src = root / "src"
    src.mkdir()
    for name in PROJECT_FILES:
        if (SOURCE / name).is_file():
            shutil.copy2(SOURCE / name, src / name)
    for name in PACKAGES:
        shutil.copytree(
            SOURCE / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    dist = root / "dist"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--no-cache-dir",
            "-w",
            dist,
            src,
        ],
        timeout=300,
        env=env,
    )
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert {
        "grader/sandbox/_bwrap.py",
        "reference_impls/exam_tasks/q3.py",
        "grader/templates/new_course/refs/course_refs/softmax.py.tmpl",
    } <= names, sorted(names)
    assert not any(n.startswith("__editable__") or n.endswith(".pth") for n in names)

    # 2. A fresh venv outside the repository, made by the base interpreter.
    base = getattr(sys, "_base_executable", None) or os.path.realpath(sys.executable)
    venv = root / "venv"
    _run([base, "-m", "venv", "--without-pip", venv], timeout=120, env=env)
    python = venv / "bin" / "python"
    site = Path(
        _run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            timeout=60,
            env=env,
            cwd=root,
        ).stdout.strip()
    )
    assert _inside(site, venv), site

    # 3. The wheel, installed the way a user does (pip of this venv, targeting the new one;
    #    before the .pth exists, so pip sees no other copy of the distribution).
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--no-deps",
            "--no-index",
            "--no-cache-dir",
            wheel,
        ],
        timeout=300,
        env=env,
    )
    for name in PACKAGES:
        assert (site / name / "__init__.py").is_file(), f"the wheel did not install {name}"
    assert (venv / "bin" / "grader").is_file(), "the wheel installed no `grader` console script"

    shared = _shared_site_folders()
    (site / "zz_shared_requirements.pth").write_text("".join(f"{f}\n" for f in shared))

    # 4. A course folder outside the repository.
    course = root / "course"
    shutil.copytree(SOURCE / "questions", course / "questions")
    shutil.copytree(SOURCE / "submissions" / EXAM, course / "submissions" / EXAM)
    # A student whose Q3 claims the sandbox broke, to turn its zero into a grader `error`.
    forger = course / "submissions" / EXAM / "forger"
    shutil.copytree(SOURCE / "submissions" / EXAM / "paper", forger)
    (forger / "answers.yaml").write_text(
        (forger / "answers.yaml").read_text().replace("student: paper", "student: forger")
    )
    (forger / "q3.py").write_text(
        (HERE / "fake_sandbox_failure.py").read_text().replace("def solve(x)", "def " + Q3_FN)
    )

    # A student whose Q3 forges per-case result records (a verdict only the supervisor
    # gives, its CPU reading and printed output, garbage) on every descriptor.
    records = course / "submissions" / EXAM / "recordforger"
    shutil.copytree(SOURCE / "submissions" / EXAM / "paper", records)
    (records / "answers.yaml").write_text(
        (records / "answers.yaml").read_text().replace("student: paper", "student: recordforger")
    )
    (records / "q3.py").write_text(
        (HERE / "forge_records.py").read_text()
        + "\n\n_calls = [0]\n\n\ndef "
        + Q3_FN.split("(")[0]
        + "(*args, **kwargs):\n    forge(_calls[0])\n    _calls[0] += 1\n    return None\n"
    )

    # The new venv imports grader and reference_impls from the wheel, torch from this venv.
    where = json.loads(
        _run(
            [
                python,
                "-c",
                "import json, grader, reference_impls, torch; "
                "print(json.dumps([grader.__file__, reference_impls.__file__, torch.__file__]))",
            ],
            timeout=120,
            env=env,
            cwd=course,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert _inside(where[0], site / "grader"), where
    assert _inside(where[1], site / "reference_impls"), where
    assert not _inside(where[2], venv), "torch should come from the shared site folder"
    return WheelVenv(venv, python, site, shared, course, env)


def test_cheating_student_gets_nothing_from_the_installed_wheel(wheel_venv: WheelVenv) -> None:
    out = wheel_venv.course.parent / "out"
    _run(
        [
            wheel_venv.venv / "bin" / "grader",
            "grade",
            EXAM,
            f"submissions/{EXAM}",
            "--out",
            out,
            "--workers",
            "2",
            "--quiet",
        ],
        timeout=600,
        env=wheel_venv.env,
        cwd=wheel_venv.course,
    )
    results = json.loads((out / "results.json").read_text())
    q3 = {
        s["student"]: next(q for q in s["questions"] if q["question_id"] == "Q3")
        for s in results["students"]
    }
    # The honest student's correct code passes: the run is no vacuous zero for everyone.
    assert q3["paper"]["max_marks"] == 2
    assert q3["paper"]["marks"] == 2, q3["paper"]["feedback"]
    # The cheater's q3.py returns the reference's answer when it can import it.
    cheat = q3["cheating"]
    assert cheat["marks"] == 0, f"the cheater got {cheat['marks']}/2 on Q3: {cheat['feedback']}"
    assert cheat["cases"] and not any(c["passed"] for c in cheat["cases"]), cheat["feedback"]

    # A forged sandbox failure is the forger's own zero, not a grader error (the run exits 0).
    assert (q3["forger"]["status"], q3["forger"]["marks"]) == ("incorrect", 0), q3["forger"]
    # So are forged case records: no sandbox_error, no borrowed CPU reading or output.
    forged = q3["recordforger"]
    assert (forged["status"], forged["marks"]) == ("incorrect", 0), forged
    assert not any(c["passed"] for c in forged["cases"]), forged["feedback"]
    assert "All tests passed!" not in forged["feedback"], forged["feedback"]

    rows = (out / "gradebook.csv").read_text().splitlines()
    header = rows[0].split(",")
    marks = {r.split(",")[0]: r.split(",")[header.index("Q3")] for r in rows[1:]}
    assert float(marks["cheating"]) == 0 and float(marks["paper"]) == 2, marks


def test_a_new_course_validates_and_grades_with_the_installed_wheel(
    wheel_venv: WheelVenv,
) -> None:
    """`grader new course`, `validate` and `grade` (sandboxed) as a user runs them: the
    wheel's console script, in a course folder outside the repository whose references
    are its own (nothing added to the installed `reference_impls`)."""
    grader = wheel_venv.venv / "bin" / "grader"
    root = wheel_venv.course.parent
    exam = "week-1"
    _run(
        [grader, "new", "course", "new-course", "--exam", exam],
        timeout=120,
        env=wheel_venv.env,
        cwd=root,
    )
    course = root / "new-course"
    assert not _inside(course, REPO)
    _run([grader, "validate", "questions/"], timeout=300, env=wheel_venv.env, cwd=course)
    _run(
        [grader, "grade", f"questions/{exam}/exam.yaml", f"submissions/{exam}", "--out", "out"]
        + ["--workers", "2", "--quiet"],
        timeout=600,
        env=wheel_venv.env,
        cwd=course,
    )
    results = json.loads((course / "out" / "results.json").read_text())
    code = {
        s["student"]: next(q for q in s["questions"] if q["question_id"] == "code-softmax")
        for s in results["students"]
    }
    assert code["ada"]["marks"] == 2, code["ada"]["feedback"]
    assert code["ben"]["marks"] == 0, code["ben"]["feedback"]
    rows = (course / "out" / "gradebook.csv").read_text().splitlines()
    header = rows[0].split(",")
    totals = {r.split(",")[0]: float(r.split(",")[header.index("Total")]) for r in rows[2:]}
    assert totals == {"ada": 10.0, "ben": 0.0}, totals
    # the verbs added since, as installed: a notebook kit and the similarity report
    exam_file = f"questions/{exam}/exam.yaml"
    for argv in (
        ["kit", exam_file, "--out", "kit", "--format", "ipynb"],
        ["similarity", exam_file, "--out", "out"],
    ):
        _run([grader, *argv], timeout=300, env=wheel_venv.env, cwd=course)
    assert json.loads((course / "kit" / f"{exam}.ipynb").read_text())["cells"]
    assert "evidence" in (course / "out" / "similarity.html").read_text()


PROBE = """
import importlib, json, os, sys

LOOK_FOR = ("grader", "reference_impls")
PATHS = {paths!r}


def solve(x):
    imports = {{}}
    for name in ("reference_impls", "reference_impls.exam_tasks.q3", "grader", "grader.keys"):
        try:
            importlib.import_module(name)
            imports[name] = "imported"
        except ModuleNotFoundError:
            imports[name] = "ModuleNotFoundError"
        except BaseException as exc:
            imports[name] = type(exc).__name__
    try:
        site = sorted(os.listdir("/sandbox/site"))
    except OSError as exc:
        site = type(exc).__name__
    suspicious = []
    for folder in [p for p in sys.path if p and os.path.isdir(p)]:
        for name in os.listdir(folder):
            if name in LOOK_FOR or name.endswith((".pth", ".egg-link")) or name.startswith("__editable__"):
                suspicious.append(os.path.join(folder, name))
    visible = [p for p in PATHS if os.path.exists(p)]
    return json.dumps({{"imports": imports, "site": site, "suspicious": suspicious,
                       "visible": visible, "path": sys.path}})
"""

DRIVER = """
import json, sys
import grader, reference_impls, torch
from grader.sandbox import CaseInput, CodeJob, SandboxRunner
from grader.sandbox import _bwrap

source = open(sys.argv[1], "rb").read()
runner = SandboxRunner(workers=1)
try:
    (outcome,) = runner.run(CodeJob(
        files={"probe.py": source}, entry="probe.py", function="solve",
        cases=[CaseInput(args=(torch.zeros(1),), visible=True, name="probe")],
    ))
finally:
    runner.close()
mounts = _bwrap.package_mounts() if hasattr(_bwrap, "package_mounts") else None
print(MARKER + json.dumps({
    "grader": grader.__file__, "reference_impls": reference_impls.__file__,
    "status": outcome.status, "message": outcome.message, "value": outcome.value,
    "mounts": mounts,
}))
"""


def test_sandbox_of_the_installed_wheel_holds_no_grader_nor_references(
    wheel_venv: WheelVenv,
) -> None:
    # What exists on the host and must not exist in the sandbox (folders that only hold a
    # mount point, like a site folder hidden by an empty tmpfs, may).
    host = [wheel_venv.site / name for name in PACKAGES]
    for folder in map(Path, wheel_venv.shared):
        host += [folder / name for name in PACKAGES]
        host += [*folder.glob("__editable__*"), *folder.glob("*.pth"), *folder.glob("*.egg-link")]
    host += [REPO / name for name in (*PACKAGES, "questions", "submissions", "pyproject.toml")]
    host += [wheel_venv.course / "questions", wheel_venv.course / "submissions"]
    paths = sorted({str(p) for p in host if p.exists()})
    assert str(wheel_venv.site / "reference_impls") in paths
    probe = wheel_venv.course.parent / "probe.py"
    probe.write_text(PROBE.format(paths=paths))
    out = _run(
        [wheel_venv.python, "-c", DRIVER.replace("MARKER", repr(MARKER)), probe],
        timeout=300,
        env=wheel_venv.env,
        cwd=wheel_venv.course,
    )
    line = next(x for x in reversed(out.stdout.splitlines()) if x.startswith(MARKER))
    report = json.loads(line[len(MARKER) :])
    # The driver itself ran the wheel's grader.
    assert _inside(report["grader"], wheel_venv.site), report["grader"]
    assert _inside(report["reference_impls"], wheel_venv.site), report["reference_impls"]

    assert report["status"] == "ok", report["message"]
    seen = json.loads(report["value"])
    assert seen["imports"] == {
        "reference_impls": "ModuleNotFoundError",
        "reference_impls.exam_tasks.q3": "ModuleNotFoundError",
        "grader": "ModuleNotFoundError",
        "grader.keys": "ModuleNotFoundError",
    }, seen
    site = seen["site"]
    assert isinstance(site, list) and {"numpy", "torch"} <= set(site), site
    assert not {"grader", "reference_impls"} & set(site), site
    assert not [
        n for n in site if n.endswith((".pth", ".egg-link")) or n.startswith("__editable__")
    ], site
    assert seen["suspicious"] == [], seen
    assert seen["visible"] == [], f"host folders visible in the sandbox: {seen['visible']}"

    # On the host side too: only numpy, torch and their requirements are mounted.
    for source, target in report["mounts"]:
        name = Path(source).name
        assert name not in ("grader", "reference_impls") and not name.endswith(".pth"), source
        assert not _inside(source, wheel_venv.venv), source
        assert target.startswith("/sandbox/site/"), target
