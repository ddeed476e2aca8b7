"""YAML reading that remembers where every value came from.

PyYAML's safe loader builds plain values and forgets positions. Authors need errors that
point at a line, so this module composes the node tree, rejects duplicate keys (which
YAML would silently overwrite), and returns the plain value together with a map from field
path (a tuple of keys and indices) to the 1-based (line, column) of that node.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from grader.errors import Problem

__all__ = ["Located", "load_located", "format_path", "YamlSyntaxError"]

Path = tuple[str | int, ...]


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


def _construct(
    node: yaml.Node,
    path: Path,
    positions: dict[Path, tuple[int, int]],
    problems: list[Problem],
    file: str,
    loader: yaml.SafeLoader,
) -> Any:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                problems.append(
                    Problem(
                        file,
                        line,
                        col,
                        format_path(path),
                        f"a key must be a plain scalar, got {key!r}",
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
    return loader.construct_object(node, deep=True)


def load_located(text: str, file: str) -> Located:
    """Parse one YAML document from ``text``; raise ``YamlSyntaxError`` naming file and line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        raise YamlSyntaxError(
            [Problem(file, line, col, "", f"not valid YAML: {exc.problem or exc}")]
        ) from None
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
    except yaml.YAMLError as exc:
        raise YamlSyntaxError([Problem(file, None, None, "", f"not valid YAML: {exc}")]) from None
    if problems:
        raise YamlSyntaxError(problems)
    return Located(file, value, positions)
