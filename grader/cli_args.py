"""Argument types for the command line: a wrong number, file or folder is refused by argparse.

Each function is an argparse ``type=``: it takes the text typed and returns the value, or
raises ``argparse.ArgumentTypeError`` with what was wrong and what to pass instead; argparse
then prints one line naming the option (``argument --out: ...``) and exits with status 2,
before any work starts.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = [
    "whole_number",
    "positive_number",
    "positive_real",
    "port_number",
    "existing_file",
    "existing_folder",
    "existing_path",
    "output_folder",
    "output_file",
]


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def whole_number(text: str) -> int:
    """A whole number, 0 or more (``--variants`` of ``validate`` and ``render``)."""
    value = _integer(text, "a whole number, 0 or more")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more, got {text!r}")
    return value


def positive_number(text: str) -> int:
    """A whole number, 1 or more (``--workers``)."""
    value = _integer(text, "a whole number, 1 or more")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number, 1 or more, got {text!r}")
    return value


def positive_real(text: str) -> float:
    """A number more than 0, fractions allowed (``0.5``, ``2``)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number more than 0, got {text!r}")
    return value


def port_number(text: str) -> int:
    """A TCP port, 1 to 65535, or 0 for a free one."""
    value = _integer(text, "a port number, 0 to 65535")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number, 0 to 65535, got {text!r}")
    return value


def existing_file(text: str) -> str:
    """A file that exists (``--roster``, ``--secret-file``)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; pass a file")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no file {text!r}; check the path")
    return text


def existing_folder(text: str) -> str:
    """A folder that exists (``--kit``)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a file, not a folder")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no folder {text!r}; check the path")
    return text


def existing_path(text: str) -> str:
    """A file or a folder that exists (an LMS download: a zip or its unpacked folder)."""
    if not Path(text).exists():
        raise argparse.ArgumentTypeError(f"nothing at {text!r}; check the path")
    return text


def _file_above(path: Path) -> Path | None:
    """The first of ``path`` and its parents that exists and is not a folder, if any."""
    for p in (path, *path.parents):
        if p.exists() or p.is_symlink():
            return None if p.is_dir() else p
    return None


def output_folder(text: str) -> str:
    """A folder to write into: it may not exist yet (it is created), but it, or a folder
    above it, may not be a file (``--out``)."""
    blocker = _file_above(Path(text))
    if blocker is not None:
        raise argparse.ArgumentTypeError(
            f"{str(blocker)!r} is a file, not a folder; pass a folder to write into"
        )
    return text


def output_file(text: str) -> str:
    """A file to write: not a folder, and in a folder that exists (``--out FILE``)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; pass the file to write")
    parent = path.parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(
            f"no folder {str(parent)!r} to write {path.name!r} into; create it first"
        )
    return text
