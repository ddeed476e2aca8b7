"""YAML reading that remembers where every value came from.

PyYAML's safe loader builds plain values and forgets positions. Authors need errors that
point at a line, so this module composes the node tree, rejects duplicate keys (which
YAML would silently overwrite), and returns the plain value together with a map from field
path (a tuple of keys and indices) to the 1-based (line, column) of that node.

Files are hostile until proven otherwise, so composing is bounded: nesting deeper than
``MAX_DEPTH`` levels, an alias that refers to the node it sits inside, and aliases that
would expand the document past ``MAX_NODES`` values (a "billion laughs" bomb) are refused
with the line and field where the limit was crossed, in time and memory proportional to
the text. Plain anchors and aliases, which authors use to share a block, still load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from grader.errors import Problem

__all__ = [
    "Located",
    "load_located",
    "format_path",
    "YamlSyntaxError",
    "MAX_DEPTH",
    "MAX_NODES",
]

Path = tuple[str | int, ...]

MAX_DEPTH = 64
"""Deepest nesting of lists and mappings accepted, counted after aliases are expanded
(the seed banks nest about 10 levels)."""

MAX_NODES = 200_000
"""Most values (scalars, lists, mappings) a document may hold once aliases are expanded
(the largest seed bank holds about 3,000)."""


@dataclass(frozen=True)
class Located:
    """A YAML document's plain value plus the position of every node in it."""

    file: str
    value: Any
    positions: Mapping[Path, tuple[int, int]]

    def where(self, path: Path) -> tuple[int | None, int | None]:
        """Line and column of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            if p in self.positions:
                return self.positions[p]
            if not p:
                return None, None
            p = p[:-1]

    def problem(self, path: Path, message: str) -> Problem:
        """A ``Problem`` located at ``path`` in this file."""
        line, col = self.where(path)
        return Problem(self.file, line, col, format_path(path), message)


class YamlSyntaxError(Exception):
    """The text is not YAML, or has duplicate keys; carries the located problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def format_path(path: Path) -> str:
    """``("questions", 3, "options", 1, "text")`` -> ``questions[3].options[1].text``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_PATH_SHOWN = 6  # a too-deep error names the first levels of its field path, not all 64


class _TooComplex(Exception):
    """Composing crossed a limit; ``mark`` is where, ``path`` the field being composed."""

    def __init__(self, message: str, mark: yaml.Mark, path: Path) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.path = path


try:  # libyaml scans in linear time; PyYAML's own scanner is quadratic in flow nesting
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None


_SafeBase: Any = yaml.SafeLoader
if _CParser is not None:

    class _LibyamlSafeLoader(Composer, _CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        """PyYAML's safe loader, with libyaml's parser under PyYAML's own composer."""

        def __init__(self, text: str) -> None:
            _CParser.__init__(self, text)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)

    _SafeBase = _LibyamlSafeLoader


class _BoundedLoader(_SafeBase):  # type: ignore[misc]  # PyYAML ships no types
    """A safe loader whose composer refuses deep nesting, recursive aliases and alias bombs.

    Every node composed counts once; an alias counts the whole size of the node it names,
    and reaches as deep as that node does, so the limits hold for the expanded document.
    """

    def __init__(self, text: str, aliases: bool) -> None:
        super().__init__(text)
        self._aliases = aliases
        self._path: list[str | int] = []
        self._depth = 0
        self._deepest = 0
        self._nodes = 0
        self._open: set[str] = set()  # anchors whose node is being composed
        self._shape: dict[str, tuple[int, int]] = {}  # anchor -> (expanded nodes, height)

    def _fail(self, message: str, mark: yaml.Mark) -> None:
        raise _TooComplex(message, mark, tuple(self._path[:_PATH_SHOWN]))

    def _count(self, nodes: int, reach: int, mark: yaml.Mark) -> None:
        self._nodes += nodes
        if self._nodes > MAX_NODES:
            self._fail(
                f"the document expands to more than {MAX_NODES:,} values (aliases * repeat "
                "what their anchor & names); write the repeated part out or share less",
                mark,
            )
        if reach > MAX_DEPTH:
            self._fail(f"nested more than {MAX_DEPTH} levels deep; flatten the structure", mark)
        self._deepest = max(self._deepest, reach)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if parent is not None and index is not None:
            key = index if isinstance(index, int) else getattr(index, "value", "?")
            self._path.append(key if isinstance(key, (int, str)) else "?")
        try:
            return self._compose_counted(parent, index)
        finally:
            if parent is not None and index is not None:
                self._path.pop()

    def _compose_counted(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            anchor = event.anchor
            if not self._aliases:
                self._fail(
                    f"YAML aliases (*{anchor}) are not accepted here; write the value out",
                    event.start_mark,
                )
            if anchor in self._open:
                self._fail(
                    f"alias *{anchor} refers to the node it is inside (&{anchor}), which "
                    "would repeat forever; remove the alias",
                    event.start_mark,
                )
            if anchor in self._shape:
                nodes, height = self._shape[anchor]
                self._count(nodes, self._depth + height, event.start_mark)
            node: yaml.Node = super().compose_node(parent, index)
            return node
        anchor = getattr(event, "anchor", None)
        self._depth += 1
        outer_deepest, self._deepest = self._deepest, self._depth
        self._count(1, self._depth, event.start_mark)
        before = self._nodes
        if anchor is not None:
            self._open.add(anchor)
        node = super().compose_node(parent, index)
        if anchor is not None:
            self._open.discard(anchor)
            self._shape[anchor] = (self._nodes - before + 1, self._deepest - self._depth + 1)
        self._deepest = max(outer_deepest, self._deepest)
        self._depth -= 1
        return node


def _construct(
    node: yaml.Node,
    path: Path,
    positions: dict[Path, tuple[int, int]],
    problems: list[Problem],
    file: str,
    loader: yaml.SafeLoader,
) -> Any:
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    positions[path] = (line, col)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = (
                _scalar(key_node, path, problems, file, loader)
                if isinstance(key_node, yaml.ScalarNode)
                else None
            )
            if not isinstance(key, (str, int, float, bool)) or key is None:
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                problems.append(
                    Problem(
                        file,
                        line,
                        col,
                        format_path(path),
                        "a key must be a plain scalar (a name or a number), "
                        f"got {_shown(key_node)}",
                    )
                )
                continue
            if key in result:
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                problems.append(
                    Problem(
                        file, line, col, format_path((*path, str(key))), f"duplicate key {key!r}"
                    )
                )
                continue
            child = (*path, key if isinstance(key, str) else str(key))
            result[key] = _construct(value_node, child, positions, problems, file, loader)
            # Point at the key's line: that is where an author looks for a field.
            positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, (*path, i), positions, problems, file, loader)
            for i, item in enumerate(node.value)
        ]
    return _scalar(node, path, problems, file, loader)


def _shown(node: yaml.Node) -> str:
    """A short description of a node for a message: a scalar's text, or what it is."""
    if isinstance(node, yaml.ScalarNode):
        text = repr(node.value)
        return text if len(text) <= 40 else text[:37] + "..."
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


def _scalar(
    node: yaml.Node, path: Path, problems: list[Problem], file: str, loader: yaml.SafeLoader
) -> Any:
    """The plain value of a scalar node; a tagged value that cannot be built (``!!int x``,
    a date like ``2024-02-30``, ``!!timestamp x``) is a located problem, not a crash."""
    try:
        return loader.construct_object(node, deep=True)
    except Exception as exc:  # noqa: BLE001 - PyYAML's scalar builders fail in many ways
        detail = getattr(exc, "problem", None) or exc
        problems.append(
            Problem(
                file,
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                format_path(path),
                f"cannot read {_shown(node)} as {node.tag.rpartition(':')[2]}: {detail}",
            )
        )
        return None


def _not_valid(file: str, exc: yaml.MarkedYAMLError) -> YamlSyntaxError:
    """The located error for YAML that does not parse, at the mark PyYAML gives."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    col = mark.column + 1 if mark else None
    return YamlSyntaxError([Problem(file, line, col, "", f"not valid YAML: {exc.problem or exc}")])


def load_located(text: str, file: str, *, aliases: bool = True) -> Located:
    """Parse one YAML document from ``text``; raise ``YamlSyntaxError`` naming file and line.

    Never raises anything else, whatever the text, and stays within ``MAX_DEPTH`` and
    ``MAX_NODES``. ``aliases=False`` refuses every alias (for files written by students).
    """
    loader = _BoundedLoader(text, aliases)
    try:
        node = loader.get_single_node()
    except _TooComplex as exc:
        line, col = exc.mark.line + 1, exc.mark.column + 1
        field = format_path(exc.path) + ("..." if len(exc.path) == _PATH_SHOWN else "")
        raise YamlSyntaxError([Problem(file, line, col, field, exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        raise _not_valid(file, exc) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError([Problem(file, None, None, "", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if node is None:
        return Located(file, None, {(): (1, 1)})
    positions: dict[Path, tuple[int, int]] = {}
    problems: list[Problem] = []
    try:
        value = _construct(node, (), positions, problems, file, loader)
    except yaml.MarkedYAMLError as exc:  # a merge key (<<) that names no mapping
        raise _not_valid(file, exc) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError([Problem(file, None, None, "", f"not valid YAML: {exc}")]) from None
    if problems:
        raise YamlSyntaxError(problems)
    return Located(file, value, positions)
