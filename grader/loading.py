"""Loading question banks and exams from YAML, with every mistake located.

``load_exam`` is what the rest of the grader calls; ``validate_paths`` is what
``grader validate`` calls. Both collect *all* problems (pydantic validates a whole file
at once; the cross-file checks run after) and raise or return them together, each with
file, line, column and field path.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import importlib.util
import json
import re
import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from grader._yaml import Located, YamlSyntaxError, format_path, load_located
from grader.authoring_slips import CodePart, input_kind_problems, stub_clash_problems
from grader.errors import AuthoringError, Problem
from grader.references import (
    REFERENCE_PACKAGE,
    check_ref,
    course_module_file,
    defines,
    resolve_ref,
)
from grader.schema import Bank, CodeQuestion, Exam, MultipartQuestion, Question
from grader.schema._base import REF_PATTERN
from grader.schema.cases import ConstructSpec, Generated
from grader.schema.params import RefCall
from grader.schema.questions import MARKS_EPS

__all__ = [
    "read_model_file",
    "LoadedBank",
    "LoadedExam",
    "load_bank",
    "load_exam",
    "find_exam_file",
    "validate_paths",
    "exam_references_of_banks",
    "resolve_ref",
    "question_hash",
    "DEFAULT_QUESTIONS_DIR",
    "REFERENCE_PACKAGE",
]

ModelT = TypeVar("ModelT", bound=BaseModel)

DEFAULT_QUESTIONS_DIR = Path("questions")

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Largest bank or exam file read (the largest seed bank is about 33 kB): keeps loading a
hostile file bounded in time and memory."""


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class LoadedBank:
    """A validated bank and where it came from."""

    path: Path
    bank: Bank
    located: Located
    exam_references: tuple[Path, ...] = ()
    """Reference folders declared by the exam that uses this bank (absolute)."""

    @property
    def folder(self) -> Path:
        """Folder that support files are relative to."""
        return self.path.parent

    @property
    def reference_folders(self) -> tuple[Path, ...]:
        """Folders searched for the course's own references: the bank's, then its exam's."""
        own = _reference_folders(self.folder, self.bank.references)
        return own + tuple(f for f in self.exam_references if f not in own)

    def support_sources(self, question: CodeQuestion) -> dict[str, bytes]:
        """Support modules of a code question: file name -> content (not secret)."""
        return {Path(rel).name: (self.folder / rel).read_bytes() for rel in question.support}


@dataclass(frozen=True)
class LoadedExam:
    """A validated exam with its questions resolved from its banks."""

    path: Path
    exam: Exam
    banks: tuple[LoadedBank, ...]
    questions: dict[str, Question] = field(repr=False)
    question_bank: dict[str, LoadedBank] = field(repr=False)
    _hashes: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def ordered_ids(self) -> list[str]:
        """Question ids in print order."""
        return [q for s in self.exam.sections for q in s.questions]

    def hash_of(self, question_id: str) -> str:
        """Content hash of a question (its model and support files) as loaded: computed once
        per question, since every submission's result records it."""
        known = self._hashes.get(question_id)
        if known is None:
            known = self._hashes[question_id] = question_hash(
                self.questions[question_id], self.question_bank[question_id]
            )
        return known


def _reference_folders(base: Path, declared: Sequence[str]) -> tuple[Path, ...]:
    """The declared reference folders, relative to ``base``, as absolute paths."""
    return tuple((base / rel).resolve() for rel in declared)


def question_hash(question: Question, bank: LoadedBank) -> str:
    """sha256 of a question's canonical JSON, its support files and the course's own reference
    modules it names: changes when any of them is edited. References in the installed
    ``reference_impls`` are not hashed (they change with the grader's version)."""
    h = hashlib.sha256(json.dumps(question.model_dump(mode="json"), sort_keys=True).encode())
    for sub in _code_parts(question):
        for rel in sub.support:
            path = bank.folder / rel
            h.update(rel.encode())
            h.update(path.read_bytes() if path.is_file() else b"")
    folders = bank.reference_folders
    if folders:
        files = {
            found[1]
            for _, kind, ref in _walk_refs(question, ())
            if kind == "reference"
            and (found := course_module_file(ref.partition(":")[0], folders)) is not None
        }
        for file in sorted(files):
            h.update(file.name.encode())
            h.update(file.read_bytes())
    return h.hexdigest()[:16]


# ----------------------------------------------------------------- pydantic -> Problem


def _child_type(tp: Any, key: str | int) -> Any:
    """The annotation reached from ``tp`` by one step of a pydantic error location."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _child_type(typing.get_args(tp)[0], key)
    if origin in (typing.Union, types.UnionType):
        for member in typing.get_args(tp):
            name = getattr(member, "__name__", "")
            if isinstance(member, type) and issubclass(member, BaseModel):
                lit = member.model_fields.get("type")
                tags = typing.get_args(lit.annotation) if lit is not None else ()
                if key == name or key in tags:
                    return member
        return None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if isinstance(key, str):
            for name, f in tp.model_fields.items():
                if key in (name, f.alias):
                    return f.annotation
        return None
    if origin in (list, tuple, Sequence):
        args = typing.get_args(tp)
        return args[0] if args else None
    if origin is dict:
        args = typing.get_args(tp)
        return args[1] if len(args) == 2 else None
    return None


def _model_keys(tp: Any) -> list[str]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items()]
    return []


_SCALAR_TAGS = {
    "int",
    "float",
    "bool",
    "str",
    "none",
    "list[any]",
    "list",
    "dict[str,any]",
    "tuple",
}


def _problems_from_validation(
    exc: ValidationError, located: Located, root: type[BaseModel]
) -> list[Problem]:
    """Turn pydantic errors into located problems, dropping union-member noise."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors(include_url=False):
        data: Any = located.value
        tp: Any = root
        real: list[str | int] = []
        parent_tp: Any = None
        noise = False
        for part in err["loc"]:
            if isinstance(data, dict) and part in data:
                parent_tp, tp = tp, _child_type(tp, part)
                data = data[part]
                real.append(part)
            elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
                parent_tp, tp = tp, _child_type(tp, part)
                data = data[part]
                real.append(part)
            elif err["type"] == "extra_forbidden" and part == err["loc"][-1]:
                parent_tp = tp
                real.append(part)
            elif err["type"] == "missing" and part == err["loc"][-1]:
                parent_tp = tp
                real.append(part)
            else:
                # A discriminator tag or union member name: not in the data.
                tag = str(part).replace(" ", "").lower()
                if isinstance(data, dict) and tag in _SCALAR_TAGS:
                    noise = True
                if not isinstance(data, dict) and str(part)[:1].isupper():
                    noise = True
                member = _child_type(tp, part)
                tp = member if member is not None else tp
        if noise:
            continue
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            real.append("type")
        path = tuple(real)
        message = _friendly(err, parent_tp, data)
        key = (format_path(path), message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(located.problem(path, message))
    return problems


def _friendly(err: Any, parent_tp: Any, data: Any) -> str:
    kind = err["type"]
    loc = err["loc"]
    if kind == "extra_forbidden":
        allowed = _model_keys(parent_tp)
        hint = ""
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            hint = f"; did you mean {close[0]!r}?"
        elif allowed:
            hint = f"; allowed keys here: {', '.join(allowed)}"
        return f"unknown key {loc[-1]!r}{hint}"
    if kind == "missing":
        return f"missing required field {loc[-1]!r}"
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return f"unknown type {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return (
            "missing required field 'type' "
            "(mcq, numeric, expression, ordering, text, code, multipart)"
        )
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    shown = repr(err.get("input"))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if (
        kind.startswith(("greater", "less", "too_"))
        or kind.endswith(("_type", "_parsing"))
        or kind
        in (
            "string_pattern_mismatch",
            "literal_error",
        )
    ):
        return f"{msg[0].lower()}{msg[1:]} (got {shown})"
    return msg


# ------------------------------------------------------------------- reference checks


def _code_parts(question: Question) -> Iterator[CodeQuestion]:
    if isinstance(question, CodeQuestion):
        yield question
    elif isinstance(question, MultipartQuestion):
        for p in question.parts:
            if isinstance(p, CodeQuestion):
                yield p


def _walk_refs(
    value: Any, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str, str]]:
    """Yield (path, kind, ref) for every reference-like value in a model tree."""
    if isinstance(value, RefCall):
        yield (*path, "ref"), "reference", value.ref
        yield from _walk_refs(value.args, (*path, "args"))
    elif isinstance(value, ConstructSpec):
        yield (*path, "fn"), "support", value.fn
        yield from _walk_refs(value.args, (*path, "args"))
    elif isinstance(value, Generated):
        for name, f in type(value).model_fields.items():
            sub = getattr(value, name)
            if sub is not None:
                yield from _walk_refs(sub, (*path, f.alias or name))
    elif isinstance(value, CodeQuestion):
        yield (*path, "reference"), "reference", value.reference
        for i, m in enumerate(value.mutants):
            yield (*path, "mutants", i, "fn"), "reference", m.fn
        if value.compare.custom:
            yield (*path, "compare", "custom"), "reference", value.compare.custom
        for name in ("visible", "hidden", "complexity"):
            yield from _walk_refs(getattr(value, name), (*path, name))
    elif isinstance(value, BaseModel):
        for name, f in type(value).model_fields.items():
            yield from _walk_refs(getattr(value, name), (*path, f.alias or name))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _walk_refs(v, (*path, k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _walk_refs(v, (*path, i))


def _support_function_exists(folder: Path, support: Sequence[str], ref: str) -> str | None:
    module_name, _, func_name = ref.partition(":")
    files = {Path(s).stem: folder / s for s in support}
    if module_name not in files:
        names = ", ".join(files) or "none"
        return f"{ref!r}: {module_name!r} is not one of this question's support modules ({names})"
    path = files[module_name]
    if not path.is_file():
        return None  # reported as a missing support file
    try:  # from the source first: a support module may import torch
        known = defines(path, func_name)
    except (SyntaxError, ValueError, OSError) as exc:
        return f"{ref!r}: reading {path} failed: {type(exc).__name__}: {exc}"
    if known is not None:
        return None if known else f"{ref!r}: {path.name} has no function {func_name!r}"
    spec = importlib.util.spec_from_file_location(f"_support_{module_name}", path)
    if spec is None or spec.loader is None:
        return f"{ref!r}: cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)  # trusted author code, shipped to students
    except Exception as exc:  # noqa: BLE001 - report any failure of author code
        return f"{ref!r}: importing {path} failed: {type(exc).__name__}: {exc}"
    if not callable(getattr(module, func_name, None)):
        return f"{ref!r}: {path.name} has no function {func_name!r}"
    return None


def _raw_ref_problems(
    located: Located, value: Any, path: tuple[str | int, ...], folders: Sequence[Path]
) -> list[Problem]:
    """Unresolvable references inside a question that is invalid for other reasons."""
    problems: list[Problem] = []
    if isinstance(value, dict):
        for key, sub in value.items():
            here = (*path, key)
            refs = [(here, sub)] if key in ("ref", "reference", "custom") else []
            if key == "mutants" and isinstance(sub, list):
                refs = [
                    ((*here, j), m.get("fn") if isinstance(m, dict) else m)
                    for j, m in enumerate(sub)
                ]
            for where, ref in refs:
                if isinstance(ref, str) and re.match(REF_PATTERN, ref):
                    try:
                        check_ref(ref, folders)
                    except LookupError as exc:
                        problems.append(located.problem(where, f"unresolvable reference: {exc}"))
            if not refs:
                problems.extend(_raw_ref_problems(located, sub, here, folders))
    elif isinstance(value, list):
        for j, sub in enumerate(value):
            problems.extend(_raw_ref_problems(located, sub, (*path, j), folders))
    return problems


def _check_bank_semantics(loaded: LoadedBank) -> list[Problem]:
    problems: list[Problem] = []
    code_parts: list[CodePart] = []
    folders = loaded.reference_folders
    for i, rel in enumerate(loaded.bank.references):
        if not (loaded.folder / rel).is_dir():
            problems.append(
                loaded.located.problem(
                    ("references", i),
                    f"reference folder {rel!r} not found (looked at {loaded.folder / rel})",
                )
            )
    for qi, question in enumerate(loaded.bank.questions):
        if question is None:  # invalid on its own; already reported
            continue
        base: tuple[str | int, ...] = ("questions", qi)
        if not question.topic:
            problems.append(
                loaded.located.problem((*base, "id"), f"question {question.id!r} needs a `topic`")
            )
        subs: list[tuple[tuple[str | int, ...], Any]] = [(base, question)]
        if isinstance(question, MultipartQuestion):
            subs += [((*base, "parts", pi), p) for pi, p in enumerate(question.parts)]
        for path, sub in subs:
            if isinstance(sub, CodeQuestion):
                code_parts.append(CodePart(loaded.located, path, sub))
                problems += input_kind_problems(loaded.located, sub, path)
                for si, rel in enumerate(sub.support):
                    if not (loaded.folder / rel).is_file():
                        problems.append(
                            loaded.located.problem(
                                (*path, "support", si),
                                f"support file {rel!r} not found next to the bank",
                            )
                        )
        for path, kind, ref in _walk_refs(question, base):
            if kind == "reference":
                try:
                    check_ref(ref, folders)  # from the source: loading imports no torch
                except LookupError as exc:
                    problems.append(loaded.located.problem(path, f"unresolvable reference: {exc}"))
            else:
                msg = _support_function_exists(loaded.folder, _support_at(subs, path), ref)
                if msg:
                    problems.append(
                        loaded.located.problem(path, f"unresolvable support function: {msg}")
                    )
    return problems + stub_clash_problems(code_parts)


def _support_at(
    subs: Sequence[tuple[tuple[str | int, ...], Any]], path: tuple[str | int, ...]
) -> list[str]:
    """The support modules of the code part that the field at ``path`` belongs to (a
    multipart question's parts each have their own)."""
    owner = max(
        (p for p, sub in subs if isinstance(sub, CodeQuestion) and path[: len(p)] == p),
        key=len,
        default=None,
    )
    found = dict(subs).get(owner) if owner is not None else None
    return found.support if isinstance(found, CodeQuestion) else []


# ------------------------------------------------------------------------- loading


def _read(path: Path) -> Located:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise AuthoringError(
                [
                    Problem(
                        str(path),
                        None,
                        None,
                        "",
                        f"the file is {size:,} bytes; a bank or exam file may hold at most "
                        f"{MAX_FILE_BYTES:,}: split it into several banks",
                    )
                ]
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthoringError([Problem(str(path), None, None, "", f"cannot read: {exc}")]) from None
    try:
        return _parsed(text, str(path))
    except YamlSyntaxError as exc:
        raise AuthoringError(exc.problems) from None


@functools.lru_cache(maxsize=64)
def _parsed(text: str, file: str) -> Located:
    """``load_located`` of one file's text, parsed once per process for the same text and
    name: validating an exam reads its banks several times (as banks, through the exam, for
    the checkers). Keyed by the text itself, so an edited file is parsed again; a ``Located``
    is never changed by its readers. Syntax errors are raised again on every read."""
    return load_located(text, file)


def _partial_bank_problems(
    path: Path, located: Located, exam_references: tuple[Path, ...]
) -> list[Problem]:
    """Problems pydantic cannot see while the bank as a whole is invalid.

    Duplicate ids are found on the raw data, and every question that is valid on its own
    is checked for unresolvable references, so one pass reports every mistake.
    """
    raw = located.value.get("questions") if isinstance(located.value, dict) else None
    if not isinstance(raw, list):
        return []
    declared = located.value.get("references")
    if not (isinstance(declared, list) and all(isinstance(d, str) for d in declared)):
        declared = []
    folders = _reference_folders(path.parent, declared) + exam_references
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    valid: list[Question] = []
    adapter: TypeAdapter[Question] = TypeAdapter(Question)
    for i, item in enumerate(raw):
        qid = item.get("id") if isinstance(item, dict) else None
        if isinstance(qid, str):
            if qid in seen:
                problems.append(
                    located.problem(
                        ("questions", i, "id"),
                        f"duplicate question id {qid!r} (first at questions[{seen[qid]}])",
                    )
                )
            else:
                seen[qid] = i
        try:
            valid.append(adapter.validate_python(item))
        except ValidationError:
            valid.append(None)  # type: ignore[arg-type]
            problems.extend(_raw_ref_problems(located, item, ("questions", i), folders))
    bank = Bank.model_construct(bank="?", references=declared, questions=valid)
    fake = LoadedBank(path, bank, located, exam_references)
    problems.extend(_check_bank_semantics(fake))
    return problems


def _load_bank_located(
    path: Path, located: Located, exam_references: tuple[Path, ...] = ()
) -> LoadedBank:
    try:
        bank = Bank.model_validate(located.value)
    except ValidationError as exc:
        problems = _problems_from_validation(exc, located, Bank)
        known = {str(p) for p in problems}
        extra = [
            p for p in _partial_bank_problems(path, located, exam_references) if str(p) not in known
        ]
        dup_msgs = [p for p in problems if "question ids repeat" in p.message]
        if dup_msgs and any("duplicate question id" in p.message for p in extra):
            problems = [p for p in problems if p not in dup_msgs]
        raise AuthoringError(problems + extra) from None
    loaded = LoadedBank(path, bank, located, exam_references)
    problems = _check_bank_semantics(loaded)
    if problems:
        raise AuthoringError(problems)
    return loaded


def read_model_file(path: Path, root: type[ModelT], what: str) -> ModelT:
    """Read the YAML file ``path`` as a ``root``; raise ``AuthoringError`` naming the file,
    line and field of every problem (``what`` names the file for the heading)."""
    located = _read(path)
    try:
        return root.model_validate(located.value)
    except ValidationError as exc:
        raise AuthoringError(_problems_from_validation(exc, located, root), what) from None


def load_bank(path: str | Path, exam_references: Sequence[Path] = ()) -> LoadedBank:
    """Load and fully check one bank file; raise ``AuthoringError`` listing every problem.
    ``exam_references``: the reference folders of the exam that uses it (absolute)."""
    path = Path(path)
    return _load_bank_located(path, _read(path), tuple(exam_references))


def _declared_question_ids(located: Located) -> set[str] | None:
    """The ``id`` of every question a bank file declares, valid or not; ``None`` when the
    file has no readable list of questions."""
    raw = located.value.get("questions") if isinstance(located.value, dict) else None
    if not isinstance(raw, list):
        return None
    return {q["id"] for q in raw if isinstance(q, dict) and isinstance(q.get("id"), str)}


def _load_exam_located(path: Path, located: Located) -> LoadedExam:
    try:
        exam = Exam.model_validate(located.value)
    except ValidationError as exc:
        raise AuthoringError(_problems_from_validation(exc, located, Exam)) from None
    problems: list[Problem] = []
    banks: list[LoadedBank] = []
    # Questions of banks that did not load: their own problems say why, once; the exam
    # does not add a "no question X" line for each of them.
    invalid_ids: set[str] = set()
    unknown_ids = False
    references = _reference_folders(path.parent, exam.references)
    for i, (rel, folder) in enumerate(zip(exam.references, references, strict=True)):
        if not folder.is_dir():
            problems.append(
                located.problem(
                    ("references", i), f"reference folder {rel!r} not found (looked at {folder})"
                )
            )
    for i, rel in enumerate(exam.banks):
        bank_path = path.parent / rel
        if not bank_path.is_file():
            problems.append(
                located.problem(
                    ("banks", i), f"bank file {rel!r} not found (looked at {bank_path})"
                )
            )
            continue
        try:
            bank_located = _read(bank_path)
        except AuthoringError as exc:
            problems.extend(exc.problems)
            unknown_ids = True  # any missing question may be in the unreadable bank
            continue
        try:
            banks.append(_load_bank_located(bank_path, bank_located, references))
        except AuthoringError as exc:
            problems.extend(exc.problems)
            declared = _declared_question_ids(bank_located)
            if declared is None:
                unknown_ids = True
            else:
                invalid_ids |= declared
    questions: dict[str, Question] = {}
    owner: dict[str, LoadedBank] = {}
    for b in banks:
        for q in b.bank.questions:
            if q.id in questions:
                problems.append(
                    b.located.problem(
                        ("bank",), f"question id {q.id!r} is also in {owner[q.id].path}"
                    )
                )
            questions[q.id] = q
            owner[q.id] = b
    for si, section in enumerate(exam.sections):
        total = 0.0
        for qi, qid in enumerate(section.questions):
            if qid not in questions:
                if unknown_ids or qid in invalid_ids:
                    continue
                close = difflib.get_close_matches(qid, list(questions), n=1, cutoff=0.4)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append(
                    located.problem(
                        ("sections", si, "questions", qi),
                        f"no question {qid!r} in this exam's banks{hint}",
                    )
                )
                continue
            total += questions[qid].marks
        if not problems and abs(total - section.marks) > MARKS_EPS:
            problems.append(
                located.problem(
                    ("sections", si, "marks"),
                    f"section {section.title!r} is worth {section.marks:g} marks "
                    f"but its questions add up to {total:g}",
                )
            )
    problems += _exam_stub_clashes(exam, questions, owner)
    if problems:
        raise AuthoringError(problems)
    used = {q for s in exam.sections for q in s.questions}
    return LoadedExam(
        path,
        exam,
        tuple(banks),
        {k: v for k, v in questions.items() if k in used},
        {k: v for k, v in owner.items() if k in used},
    )


def _exam_stub_clashes(
    exam: Exam, questions: dict[str, Question], owner: dict[str, LoadedBank]
) -> list[Problem]:
    """Code parts of different banks of ``exam`` that name one file with different stubs
    (each bank's own clashes are reported when it loads), in the exam's order."""
    parts: list[CodePart] = []
    for qid in dict.fromkeys(q for s in exam.sections for q in s.questions):
        if qid not in questions:
            continue
        bank = owner[qid]
        qi = next(i for i, q in enumerate(bank.bank.questions) if q.id == qid)
        question = questions[qid]
        if isinstance(question, CodeQuestion):
            parts.append(CodePart(bank.located, ("questions", qi), question))
        elif isinstance(question, MultipartQuestion):
            parts += [
                CodePart(bank.located, ("questions", qi, "parts", pi), p)
                for pi, p in enumerate(question.parts)
                if isinstance(p, CodeQuestion)
            ]
    return stub_clash_problems(parts)


def find_exam_file(exam: str | Path, questions_dir: Path = DEFAULT_QUESTIONS_DIR) -> Path:
    """An exam file path, or the file under ``questions_dir`` whose ``exam:`` id matches."""
    as_path = Path(exam)
    if as_path.suffix in (".yaml", ".yml") or as_path.is_file():
        if not as_path.is_file():
            raise AuthoringError([Problem(str(as_path), None, None, "", "exam file not found")])
        return as_path
    found: list[Path] = []
    known: list[str] = []
    for path in sorted(questions_dir.rglob("*.y*ml")):
        try:
            head = _read(path).value
        except AuthoringError:  # a broken file is reported when it is loaded or validated
            continue
        if isinstance(head, dict) and "exam" in head:
            known.append(str(head["exam"]))
            if head["exam"] == str(exam):
                found.append(path)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise AuthoringError(
            [
                Problem(
                    str(p), None, None, "exam", f"exam id {str(exam)!r} is defined more than once"
                )
                for p in found
            ]
        )
    hint = f" Known exams: {', '.join(sorted(known))}." if known else ""
    raise AuthoringError(
        [
            Problem(
                str(questions_dir),
                None,
                None,
                "",
                f"no exam with id {str(exam)!r} under {questions_dir}.{hint}",
            )
        ]
    )


def load_exam(exam: str | Path, questions_dir: Path = DEFAULT_QUESTIONS_DIR) -> LoadedExam:
    """Load an exam by id (searched under ``questions_dir``) or by path, with its banks."""
    path = find_exam_file(exam, questions_dir)
    return _load_exam_located(path, _read(path))


def _yaml_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(x for x in p.rglob("*") if x.suffix in (".yaml", ".yml")))
        else:
            files.append(p)
    return files


def exam_references_of_banks(files: Iterable[Path]) -> dict[Path, tuple[Path, ...]]:
    """For every bank used by an exam among ``files``: the reference folders that exam
    declares (so a bank validated on its own finds the course's references too)."""
    found: dict[Path, tuple[Path, ...]] = {}
    for path in files:
        try:
            value = _read(path).value
        except AuthoringError:
            continue
        if not (isinstance(value, dict) and "exam" in value):
            continue
        banks, declared = value.get("banks"), value.get("references")
        if not (isinstance(banks, list) and isinstance(declared, list)):
            continue
        folders = _reference_folders(path.parent, [d for d in declared if isinstance(d, str)])
        for rel in banks:
            if isinstance(rel, str):
                bank = (path.parent / rel).resolve()
                found[bank] = found.get(bank, ()) + folders
    return found


def validate_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Check every bank and exam file under ``paths``; return (files checked, problems)."""
    files = _yaml_files(paths)
    exam_references = exam_references_of_banks(f for f in files if f.is_file())
    problems: list[Problem] = []
    bank_errors: dict[Path, list[Problem]] = {}
    for path in files:
        if not path.exists():
            problems.append(Problem(str(path), None, None, "", "no such file or folder"))
            continue
        try:
            located = _read(path)
        except AuthoringError as exc:
            problems.extend(exc.problems)
            continue
        value = located.value
        try:
            if isinstance(value, dict) and "exam" in value:
                _load_exam_located(path, located)
            elif isinstance(value, dict) and "bank" in value:
                _load_bank_located(path, located, exam_references.get(path.resolve(), ()))
            else:
                problems.append(
                    located.problem(
                        (),
                        "neither a bank (top-level key `bank`) nor an exam (top-level key `exam`)",
                    )
                )
        except AuthoringError as exc:
            for p in exc.problems:
                bank_errors.setdefault(Path(p.file), []).append(p)
    # An exam re-reports its banks' problems: keep each problem once.
    unique: dict[str, Problem] = {}
    for plist in bank_errors.values():
        for p in plist:
            unique.setdefault(str(p), p)
    problems.extend(unique.values())
    return files, problems
