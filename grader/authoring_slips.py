"""Authoring slips that every field can be valid without: caught by `grader validate`.

* **Input kinds that change between visible and hidden cases.** An argument built as a
  NumPy array in the visible cases and as a torch tensor in the hidden ones (or the other
  way round) fails the students who wrote for what the visible cases showed them. Each
  array generator's ``kind`` defaults to ``torch``; a question *says* it passes both kinds
  by writing ``kind`` explicitly on both sides. A difference where either side leaves
  ``kind`` to its default is an error, located at the hidden spec.
* **Two code parts naming the same file with different stubs.** The student kit writes a
  file once, so the second stub never reaches the students. An error at the second part's
  ``file``, naming where the first is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from grader._yaml import Located, format_path
from grader.errors import Problem
from grader.schema import CodeQuestion, Generated

__all__ = ["CodePart", "input_kind_problems", "stub_clash_problems"]

FieldPath = tuple[str | int, ...]

_ARRAY_GENERATORS = ("normal", "uniform", "randint", "tensor")
_KIND_NAMES = {"numpy": "a NumPy array", "torch": "a torch tensor"}
_DEFAULT_KIND = "torch"


@dataclass(frozen=True)
class _Kind:
    """One array an argument spec builds: its kind, whether ``kind`` was written, where."""

    kind: str
    explicit: bool
    path: FieldPath


def _kinds(spec: Any, path: FieldPath) -> Iterator[_Kind]:
    """Every array ``spec`` builds (inside lists, mappings and choices; not inside the
    arguments of a support-module ``construct``, which the author's own code receives)."""
    if isinstance(spec, Generated):
        for name in _ARRAY_GENERATORS:
            sub = getattr(spec, name)
            if sub is not None:
                explicit = "kind" in sub.model_fields_set
                yield _Kind(sub.kind, explicit, (*path, name, "kind") if explicit else path)
        if spec.choice is not None:
            yield from _kinds(spec.choice, (*path, "choice"))
    elif isinstance(spec, Mapping):
        if len(spec) == 1:
            ((key, sub),) = spec.items()
            if key in _ARRAY_GENERATORS and isinstance(sub, Mapping):
                explicit = "kind" in sub
                kind = sub.get("kind", _DEFAULT_KIND)
                yield _Kind(str(kind), explicit, (*path, key, "kind") if explicit else path)
                return
            if key == "construct":
                return
        for key, sub in spec.items():
            yield from _kinds(sub, (*path, key))
    elif isinstance(spec, list):
        for i, sub in enumerate(spec):
            yield from _kinds(sub, (*path, i))


def _arg_kinds(
    cases: Iterable[tuple[FieldPath, Mapping[str, Any]]],
) -> dict[str, list[_Kind]]:
    found: dict[str, list[_Kind]] = {}
    for at, args in cases:
        for name, spec in args.items():
            found.setdefault(name, []).extend(_kinds(spec, (*at, "args", name)))
    return found


def input_kind_problems(located: Located, question: CodeQuestion, at: FieldPath) -> list[Problem]:
    """An error for every argument of ``question`` (at ``at`` in ``located``) that its
    hidden cases build as another kind of array than its visible cases, unsaid."""
    if question.hidden is None or not question.visible:
        return []
    visible = _arg_kinds(((*at, "visible", i), c.args) for i, c in enumerate(question.visible))
    hidden_cases = [((*at, "hidden"), question.hidden.args)] + [
        ((*at, "hidden", "extra", i), c.args) for i, c in enumerate(question.hidden.extra)
    ]
    hidden = _arg_kinds(hidden_cases)
    problems: list[Problem] = []
    for name, shown in visible.items():
        for h in hidden.get(name, []):
            other = next(
                (v for v in shown if v.kind != h.kind and not (v.explicit and h.explicit)), None
            )
            if other is None:
                continue
            line, _ = located.where(other.path)
            seen_at = f"line {line}" if line is not None else format_path(other.path)
            problems.append(
                located.problem(
                    h.path,
                    f"question {question.id!r}: argument {name!r} is "
                    f"{_KIND_NAMES.get(h.kind, h.kind)} in this hidden case but "
                    f"{_KIND_NAMES.get(other.kind, other.kind)} in the visible case at "
                    f"{seen_at}; write the same `kind:` on both, or write `kind:` explicitly "
                    "on both when the question means to pass both kinds",
                )
            )
            break  # one problem per hidden spec
    return problems


@dataclass(frozen=True)
class CodePart:
    """A code question or part, and where it is written."""

    located: Located
    path: FieldPath
    question: CodeQuestion


def stub_clash_problems(parts: Iterable[CodePart]) -> list[Problem]:
    """An error at every code part whose ``file`` an earlier part names with another stub."""
    first: dict[str, CodePart] = {}
    problems: list[Problem] = []
    for part in parts:
        name = part.question.file
        earlier = first.setdefault(name, part)
        if earlier is part or earlier.question.stub == part.question.stub:
            continue
        line, _ = earlier.located.where((*earlier.path, "file"))
        where = earlier.located.file + (f":{line}" if line is not None else "")
        problems.append(
            part.located.problem(
                (*part.path, "file"),
                f"question {part.question.id!r}: file {name!r} is also the file of "
                f"{earlier.question.id!r} ({where}) with another stub, and a student kit "
                "holds one stub per file; give this part its own file, or the same stub",
            )
        )
    return problems
