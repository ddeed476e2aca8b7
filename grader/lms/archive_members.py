"""Reading an LMS download (a zip or a folder) without trusting a byte of it.

Every name and size in a download is chosen by students, so each member is checked before
it is read, and a member that fails a check becomes a ``Refused`` with the reason instead
of stopping the import:

- a name must be relative, with no ``..``, empty or hidden (``.``-leading) part, no
  backslash, drive letter or control character, each part at most 255 bytes;
- symbolic links are refused (in a zip: the Unix mode kept in the member's external
  attributes; in a folder: ``lstat``), and so is anything that is not a regular file;
- a member may hold at most ``MAX_MEMBER_BYTES`` (the grader's own limit for a submitted
  file, ``grader.submissions.MAX_FILE_BYTES``), counted while reading, not taken from the
  zip's declared size; only LMS metadata files (``submission_metadata.yml``) may be larger;
- a member that claims to expand more than ``MAX_RATIO`` times is a zip bomb and is refused;
- a whole download may declare at most ``MAX_TOTAL_BYTES`` or ``MAX_MEMBERS`` members, or
  it is refused before anything is read.

Nothing is extracted here: members come back as bytes, and the writer decides where they go.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.errors import InfrastructureError
from grader.submissions import MAX_ANSWERS_BYTES, MAX_FILE_BYTES, printable_name

__all__ = [
    "Member",
    "Refused",
    "read_members",
    "name_problem",
    "MAX_MEMBER_BYTES",
    "MAX_METADATA_BYTES",
    "MAX_TOTAL_BYTES",
    "MAX_MEMBERS",
    "MAX_RATIO",
]

MAX_MEMBER_BYTES = max(MAX_FILE_BYTES, MAX_ANSWERS_BYTES)
"""Largest student file taken from a download: the most the grader would read of it."""
MAX_METADATA_BYTES = 64 * 1024 * 1024
"""Largest LMS metadata file (a whole class's ``submission_metadata.yml``)."""
METADATA_NAMES = frozenset({"submission_metadata.yml"})
"""Base names of the metadata files that may be up to ``MAX_METADATA_BYTES``."""
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
"""Most bytes a whole download may declare once expanded."""
MAX_MEMBERS = 200_000
"""Most members (files and folders) in one download."""
MAX_RATIO = 200
"""Largest expansion (declared size / compressed size) of a member over 64 KiB."""
_RATIO_FLOOR = 64 * 1024
_DRIVE = re.compile(r"[A-Za-z]:")


@dataclass(frozen=True)
class Member:
    """One file of the download, read in full."""

    name: str
    """Its path inside the download, ``/``-separated, checked by ``name_problem``."""
    data: bytes


@dataclass(frozen=True)
class Refused:
    """One member that was not read, and why (for the TA)."""

    name: str
    """Its name as the download gives it, made printable."""
    reason: str


def name_problem(name: str) -> str | None:
    """Why ``name`` (``/``-separated) cannot be a path inside the output; ``None`` if it can."""
    if name.startswith("/") or _DRIVE.match(name):
        return "an absolute path"
    if "\\" in name:
        return "a name with a backslash"
    for part in name.split("/"):
        if part in ("", ".", ".."):
            return "a path with a '..' part" if part == ".." else "a path with an empty or '.' part"
        if part.startswith("."):
            return f"a hidden file or folder ({printable_name(part)})"
        if any(not ch.isprintable() for ch in part):
            return "a name with control characters"
        if len(part.encode("utf-8")) > 255:
            return "a name longer than 255 bytes"
    return None


def _limit(name: str) -> int:
    return MAX_METADATA_BYTES if name.rsplit("/", 1)[-1] in METADATA_NAMES else MAX_MEMBER_BYTES


def _too_large(name: str, size: int) -> str:
    return f"larger than {_limit(name) / 1e6:.1f} MB ({size} bytes or more)"


def _zip_members(path: Path) -> Iterator[Member | Refused]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InfrastructureError(
            f"{path} is not a readable zip file ({exc}); download it from the LMS again"
        ) from exc
    with zf:
        infos = zf.infolist()
        declared = sum(i.file_size for i in infos)
        if len(infos) > MAX_MEMBERS or declared > MAX_TOTAL_BYTES:
            raise InfrastructureError(
                f"{path} declares {len(infos)} members and {declared} bytes; at most "
                f"{MAX_MEMBERS} and {MAX_TOTAL_BYTES} are imported: split the download"
            )
        for info in infos:
            shown = printable_name(info.filename)
            if info.is_dir():
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                yield Refused(shown, "a symbolic link")
                continue
            problem = name_problem(info.filename)
            if problem:
                yield Refused(shown, f"unsafe name: {problem}")
                continue
            limit = _limit(info.filename)
            if info.file_size > limit:
                yield Refused(shown, _too_large(info.filename, info.file_size))
                continue
            if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * info.compress_size:
                yield Refused(
                    shown,
                    f"a zip bomb: {info.compress_size} bytes claim to expand to {info.file_size}",
                )
                continue
            try:
                with zf.open(info) as fh:
                    data = fh.read(limit + 1)
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
                yield Refused(shown, f"cannot be read ({exc})")
                continue
            if len(data) > limit:
                yield Refused(shown, _too_large(info.filename, len(data)))
                continue
            yield Member(info.filename, data)


def _folder_members(root: Path) -> Iterator[Member | Refused]:
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for entry in sorted(filenames) + [d for d in dirnames if Path(dirpath, d).is_symlink()]:
            count += 1
            if count > MAX_MEMBERS:
                raise InfrastructureError(
                    f"{root} holds more than {MAX_MEMBERS} files; import it in parts"
                )
            path = Path(dirpath, entry)
            name = path.relative_to(root).as_posix()
            shown = printable_name(name)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                yield Refused(shown, "a symbolic link")
                continue
            problem = name_problem(name)
            if problem or not stat.S_ISREG(st.st_mode):
                yield Refused(shown, f"unsafe name: {problem}" if problem else "not a regular file")
                continue
            limit = _limit(name)
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as fh:
                data = fh.read(limit + 1)
            if len(data) > limit:
                yield Refused(shown, _too_large(name, len(data)))
                continue
            yield Member(name, data)


def read_members(source: Path) -> Iterator[Member | Refused]:
    """Every file of the zip or folder ``source``, in a stable order, read or refused.

    Raises ``InfrastructureError`` when ``source`` is missing, is not a zip, or is too large
    as a whole.
    """
    if source.is_dir():
        return _folder_members(source)
    if source.is_file():
        return _zip_members(source)
    raise InfrastructureError(
        f"{source} is neither a zip file nor a folder; give the LMS download's path"
    )
