"""Reference implementations named in banks: ``module:function``, looked up in a course's
own folders first, then in the installed ``reference_impls`` package.

A course declares ``references: [refs/]`` in its exam or bank; ``course_refs.attention:softmax``
is then ``refs/course_refs/attention.py`` (or ``.../attention/__init__.py``). Each folder's
modules are imported under a package name of their own, keyed by the folder
(``_grader_course_<hash>.course_refs.attention``), never through ``sys.path``: two courses
loaded in one process never see each other's modules, and relative imports between a
course's modules work. Reference code is trusted instructor code and runs in the grader,
never in the sandbox.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import importlib.util
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["REFERENCE_PACKAGE", "check_ref", "course_module_file", "defines", "resolve_ref"]

REFERENCE_PACKAGE = "reference_impls"
"""The installed library of references: a module not found in a course's folders is here."""


def course_module_file(module_name: str, folders: Sequence[Path]) -> tuple[Path, Path] | None:
    """(folder, file) of the dotted ``module_name`` in the first of ``folders`` that has it."""
    parts = module_name.split(".")
    for folder in folders:
        base = folder.joinpath(*parts)
        for file in (base.with_name(base.name + ".py"), base / "__init__.py"):
            if file.is_file():
                return folder, file
    return None


def _folder_package(folder: Path) -> str:
    """The name of the synthetic package whose path is ``folder`` (created once)."""
    resolved = folder.resolve()
    name = "_grader_course_" + hashlib.sha256(str(resolved).encode()).hexdigest()[:16]
    if name not in sys.modules:
        package = types.ModuleType(name, f"Course references in {resolved}")
        package.__path__ = [str(resolved)]
        sys.modules[name] = package
    return name


def _import(full: str, ref: str, shown: str) -> types.ModuleType:
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (exc.name == full or full.startswith(exc.name + ".")):
            raise LookupError(f"{ref!r}: there is no module {shown!r}") from None
        raise LookupError(f"{ref!r}: importing {shown!r} failed: {exc}") from None
    except Exception as exc:  # any failure of the author's module is theirs to fix
        raise LookupError(
            f"{ref!r}: importing {shown!r} failed: {type(exc).__name__}: {exc}"
        ) from None


def resolve_ref(ref: str, folders: Sequence[Path] = ()) -> Any:
    """The function ``ref`` (``module:function``) names: ``module`` is looked up in the
    course's ``folders`` first, then as ``reference_impls.<module>``; raise ``LookupError``
    saying where it looked."""
    module_name, _, func_name = ref.partition(":")
    found = course_module_file(module_name, folders)
    if found is not None:
        folder, file = found
        module = _import(f"{_folder_package(folder)}.{module_name}", ref, str(file))
        shown = str(file)
    else:
        shown = f"{REFERENCE_PACKAGE}.{module_name}"
        try:
            module = _import(shown, ref, shown)
        except LookupError as exc:
            if "there is no module" not in str(exc):
                raise
            if not folders:
                raise LookupError(
                    f"{exc}; a course's own module needs its folder under `references:` "
                    "in the exam or the bank"
                ) from None
            where = ", ".join(str(f) for f in folders)
            raise LookupError(f"{exc}, nor a module {module_name!r} in {where}") from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise LookupError(f"{ref!r}: module {shown!r} has no function {func_name!r}")
    return func


def _package_module_file(module_name: str) -> Path | None:
    """The source file of ``reference_impls.<module_name>``, found without importing it
    (nor its packages, whose modules import torch)."""
    spec = importlib.util.find_spec(REFERENCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        base = Path(root).joinpath(*module_name.split("."))
        for file in (base.with_name(base.name + ".py"), base / "__init__.py"):
            if file.is_file():
                return file
    return None


def defines(file: Path, name: str) -> bool | None:
    """Whether the module ``file`` defines ``name`` at its top level (a def, class,
    assignment or import), read from its syntax tree without running it; None when that
    cannot be told so (a star import, a module ``__getattr__``). Raises ``SyntaxError``."""
    tree = _syntax_tree(file.read_bytes(), str(file))
    unsure = False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == name:
                return True
            unsure |= node.name == "__getattr__"
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    unsure = True
                elif (alias.asname or alias.name.split(".")[0]) == name:
                    return True
        elif isinstance(node, ast.If | ast.Try):
            unsure = True  # a conditional definition: leave it to the import
    return None if unsure else False


@functools.lru_cache(maxsize=64)
def _syntax_tree(source: bytes, filename: str) -> ast.Module:
    """The syntax tree of ``source``, parsed once per text: loading a bank checks every
    reference it names, most of them in the same few modules (the tree is never changed)."""
    return ast.parse(source, filename=filename)


def check_ref(ref: str, folders: Sequence[Path] = ()) -> None:
    """Check that ``ref`` names a function the way ``resolve_ref`` would find it, from the
    module's source alone (no import: loading a bank must not import torch); raise
    ``LookupError`` as ``resolve_ref`` does. Where the source cannot tell, it imports.
    A module that fails only when imported is caught by ``validate --deep`` and grading."""
    module_name, _, func_name = ref.partition(":")
    found = course_module_file(module_name, folders)
    file = found[1] if found is not None else _package_module_file(module_name)
    if file is None:
        resolve_ref(ref, folders)  # says where it looked
        return
    try:
        known = defines(file, func_name)
    except (SyntaxError, ValueError, OSError) as exc:
        raise LookupError(f"{ref!r}: reading {file} failed: {type(exc).__name__}: {exc}") from None
    if known is None:
        resolve_ref(ref, folders)
    elif not known:
        raise LookupError(f"{ref!r}: module {str(file)!r} has no function {func_name!r}")
