"""An on-disk cache of the keys reference functions compute, for `grader validate` (issue 18).

Checking a bank's checker configuration needs the printed paper's keys, and a key such as
``{ref: "zero:zero_memory_bytes", args: {...}}`` is computed by calling the reference, which
imports torch or sympy (seconds). The value of a call depends only on what the call reads,
so it is stored on disk under a fingerprint of all of that:

* the call: the reference (``module:function``), its arguments and the index taken;
* every file under the folders a reference can come from and import from (the course's
  reference folders, in the order they are searched, and the installed ``reference_impls``
  package, data files included), by content;
* the Python, torch, numpy and sympy versions, and the machine's architecture.

Any change to one of these is a different fingerprint, so the key is computed afresh; an
edited reference (or a module it imports, or a data file it reads) is never served stale.
Only results that are plain JSON (numbers, strings, booleans, lists, string-keyed
mappings) are stored, and only from calls that return: a failure is recomputed, and
reported, every time. A reference that reads files outside those folders is not tracked:
``grader validate --no-cache`` computes every key afresh.

The cache is used only inside ``caching(folder)`` (`grader validate` without --deep);
grading and the deep checks always call the reference.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from grader.references import REFERENCE_PACKAGE

__all__ = ["caching", "cached_call", "default_cache_folder"]

FORMAT = 1
"""Bumped when what is stored, or how a key is turned into it, changes."""

_FOLDER: ContextVar[Path | None] = ContextVar("grader_key_cache_folder", default=None)
_TREE_HASHES: ContextVar[dict[Path, str]] = ContextVar("grader_key_cache_trees")
"""Each folder's hash, computed once per ``caching`` block (files do not change within one
`grader validate`)."""


def default_cache_folder() -> Path:
    """``$GRADER_CACHE_DIR/keys``, else ``$XDG_CACHE_HOME/llm-exam-grader/keys``, else
    ``~/.cache/llm-exam-grader/keys``."""
    if os.environ.get("GRADER_CACHE_DIR"):
        return Path(os.environ["GRADER_CACHE_DIR"]) / "keys"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llm-exam-grader" / "keys"


@contextlib.contextmanager
def caching(folder: Path | None) -> Iterator[None]:
    """Within the block, ``cached_call`` keeps computed keys in ``folder`` (None: off)."""
    token, trees = _FOLDER.set(folder), _TREE_HASHES.set({})
    try:
        yield
    finally:
        _FOLDER.reset(token)
        _TREE_HASHES.reset(trees)


def _is_plain(value: Any) -> bool:
    """Whether ``value`` comes back from JSON as itself (a tuple would come back a list)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if type(value) is list:
        return all(_is_plain(v) for v in value)
    if type(value) is dict:
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _reference_roots(folders: Sequence[Path]) -> list[Path]:
    """The course's reference folders, in search order, then the ``reference_impls`` package."""
    roots = [f.resolve() for f in folders]
    spec = importlib.util.find_spec(REFERENCE_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        roots += [Path(p).resolve() for p in spec.submodule_search_locations]
    return roots


def _tree_hash(root: Path) -> str:
    """A hash of every file under ``root``: names and contents (``__pycache__`` left out)."""
    known = _TREE_HASHES.get()
    if root not in known:
        h = hashlib.sha256()
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(names):
                path = Path(folder, name)
                h.update(str(path.relative_to(root)).encode() + b"\0")
                h.update(hashlib.sha256(path.read_bytes()).digest())
        known[root] = h.hexdigest()
    return known[root]


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "-"


@functools.cache
def _environment() -> tuple[str, str, tuple[str, ...]]:
    """Python's version, the machine's architecture and the versions of the libraries a
    reference computes with (read once per process: searching them is slow)."""
    return sys.version, platform.machine(), tuple(_version(d) for d in ("torch", "numpy", "sympy"))


def _fingerprint(ref: str, args: Any, index: Any, folders: Sequence[Path]) -> str:
    roots = _reference_roots(folders)
    what = {
        "format": FORMAT,
        "call": [ref, args, index],
        "roots": [[str(r), _tree_hash(r) if r.is_dir() else "-"] for r in roots],
        "environment": _environment(),
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def cached_call(
    ref: str, args: Any, index: Any, folders: Sequence[Path], compute: Callable[[], Any]
) -> Any:
    """``compute()`` (the reference ``ref`` called on ``args``, ``index`` taken), or the value
    it returned before on the same sources and versions while ``caching`` is on."""
    folder = _FOLDER.get()
    if folder is None or not _is_plain(args) or not _is_plain(index):
        return compute()
    try:
        entry = folder / f"{_fingerprint(ref, args, index, folders)}.json"
    except OSError:  # a reference folder that cannot be read: leave it to the call
        return compute()
    try:
        return json.loads(entry.read_text(encoding="utf-8"))["value"]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not there yet, or unreadable: compute it
    value = compute()
    if _is_plain(value):
        _store(entry, value)
    return value


def _store(entry: Path, value: Any) -> None:
    """Write ``entry`` whole or not at all; a cache that cannot be written is no cache."""
    written: str | None = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=entry.parent, suffix=".tmp", delete=False
        ) as tmp:
            written = tmp.name
            json.dump({"value": value}, tmp)
        os.replace(written, entry)
    except OSError:
        if written is not None:
            with contextlib.suppress(OSError):
                os.unlink(written)
