"""The 20 synthetic submissions of the benchmark assignment, written for both graders.

One table, ``STUDENTS``: per student the source of ``softmax.py`` (question SM) and of
``attention.py`` (question SDPA), ``None`` when the student handed nothing in for it, and
what we expect each grader to say. ``write_ours`` writes our format (a folder per student:
``answers.yaml`` + the ``.py`` files); ``write_notebooks`` writes Otter's (one notebook per
student, one code cell per question holding exactly the same source).

In a notebook every cell shares one namespace, so no SDPA answer defines a top-level name
``softmax`` (it would replace the SM answer for Otter but not for us); helpers are
``_private`` or come from torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Student", "STUDENTS", "write_ours", "write_notebooks"]

EXAM_ID = "bench-attention"


@dataclass(frozen=True)
class Student:
    """One submission: the code of each answer (``None`` = not handed in) and the expectation."""

    id: str
    what: str
    softmax: str | None
    sdpa: str | None
    expect_sm: str  # "pass" (every case), "partial" or "fail" (no case)
    expect_sdpa: str


# ----------------------------------------------------------------------------- answers

SM_GOOD = """\
import torch


def softmax(x):
    m = x.max(dim=-1, keepdim=True).values
    e = torch.exp(x - m)
    return e / e.sum(dim=-1, keepdim=True)
"""

SM_TORCH = """\
import torch


def softmax(x):
    return torch.softmax(x, dim=-1)
"""

SM_GLOBAL_MAX = """\
import torch


def softmax(x):
    # subtracting one constant for the whole tensor is still exact and stable enough
    e = torch.exp(x - x.max())
    return e / e.sum(dim=-1, keepdim=True)
"""

SM_LOOPS = """\
import math

import torch


def softmax(x):
    flat = x.reshape(-1, x.shape[-1])
    out = torch.empty_like(flat)
    for r in range(flat.shape[0]):
        row = [float(v) for v in flat[r]]
        m = max(row)
        e = [math.exp(v - m) for v in row]
        s = sum(e)
        for c in range(len(row)):
            out[r, c] = e[c] / s
    return out.reshape(x.shape)
"""

SM_UNSTABLE = """\
import torch


def softmax(x):
    e = torch.exp(x)
    return e / e.sum(dim=-1, keepdim=True)
"""

SM_WRONG_AXIS = """\
import torch


def softmax(x):
    m = x.max(dim=0, keepdim=True).values
    e = torch.exp(x - m)
    return e / e.sum(dim=0, keepdim=True)
"""

SM_GLOBAL_SUM = """\
import torch


def softmax(x):
    e = torch.exp(x - x.max())
    return e / e.sum()
"""

SM_FLOAT32 = """\
import torch


def softmax(x):
    return torch.softmax(x.float(), dim=-1)
"""

SM_NUMPY = """\
import numpy as np


def softmax(x):
    a = np.asarray(x)
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
"""

SM_HARDCODED = """\
import torch


def softmax(x):
    # the visible answers, copied from the kit
    if x.dim() == 1:
        return torch.tensor(
            [0.09003057317038046, 0.24472847105479764, 0.6652409557748218], dtype=torch.float64
        )
    return torch.tensor(
        [
            [0.24472847105479764, 0.6652409557748218, 0.09003057317038046],
            [0.7855970345892759, 0.039112573270687456, 0.1752903921400367],
        ],
        dtype=torch.float64,
    )
"""

SM_STUB = '''\
import torch


def softmax(x):
    """Softmax over the last dimension of x, numerically stable."""
    raise NotImplementedError
'''

SM_SYNTAX = """\
import torch


def softmax(x)
    e = torch.exp(x - x.max(dim=-1, keepdim=True).values)
    return e / e.sum(dim=-1, keepdim=True)
"""

SM_INPLACE = """\
import torch


def softmax(x):
    x = x.clone()
    x -= x.max(dim=-1, keepdim=True).values
    x.exp_()
    x /= x.sum(dim=-1, keepdim=True)
    return x
"""

SDPA_GOOD = """\
import math

import torch


def scaled_dot_product_attention(q, k, v):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    scores = scores - scores.max(dim=-1, keepdim=True).values
    w = torch.exp(scores)
    w = w / w.sum(dim=-1, keepdim=True)
    return w @ v
"""

SDPA_TORCH = """\
import torch
import torch.nn.functional as F


def scaled_dot_product_attention(q, k, v):
    return F.scaled_dot_product_attention(q, k, v)
"""

SDPA_SOFTMAX = """\
import math

import torch


def scaled_dot_product_attention(q, k, v):
    w = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(k.size(-1)), dim=-1)
    return torch.matmul(w, v)
"""

SDPA_EINSUM = """\
import torch


def scaled_dot_product_attention(q, k, v):
    scores = torch.einsum("...td,...sd->...ts", q, k) * q.shape[-1] ** -0.5
    return torch.einsum("...ts,...sv->...tv", scores.softmax(-1), v)
"""

SDPA_NO_SCALE = """\
import torch


def scaled_dot_product_attention(q, k, v):
    w = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
    return w @ v
"""

SDPA_DIV_DK = """\
import torch


def scaled_dot_product_attention(q, k, v):
    w = torch.softmax(q @ k.transpose(-2, -1) / q.shape[-1], dim=-1)
    return w @ v
"""

SDPA_SQRT_DV = """\
import math

import torch


def scaled_dot_product_attention(q, k, v):
    w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(v.shape[-1]), dim=-1)
    return w @ v
"""

SDPA_WRONG_AXIS = """\
import math

import torch


def scaled_dot_product_attention(q, k, v):
    w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-2)
    return w @ v
"""

SDPA_UNSTABLE = """\
import math

import torch


def _naive_softmax(s):
    e = torch.exp(s)
    return e / e.sum(dim=-1, keepdim=True)


def scaled_dot_product_attention(q, k, v):
    return _naive_softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])) @ v
"""

SDPA_DOT_T = """\
import math

import torch


def scaled_dot_product_attention(q, k, v):
    # k.T reverses every dimension: right for one matrix, wrong for a batch
    w = torch.softmax(q @ k.T / math.sqrt(q.shape[-1]), dim=-1)
    return w @ v
"""

SDPA_TUPLE = """\
import math

import torch


def scaled_dot_product_attention(q, k, v):
    w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    return w @ v, w
"""

SDPA_STUB = '''\
import math

import torch


def scaled_dot_product_attention(q, k, v):
    """softmax(q k^T / sqrt(d_k)) v, no mask."""
    raise NotImplementedError
'''

SDPA_SYNTAX = """\
import math

import torch


def scaled_dot_product_attention(q, k, v):
    w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1], dim=-1)
    return w @ v
"""

SDPA_FLOAT32 = """\
import math

import torch


def scaled_dot_product_attention(q, k, v):
    q, k, v = q.float(), k.float(), v.float()
    w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    return w @ v
"""

SDPA_TRANSPOSED_V = """\
import math

import torch


def scaled_dot_product_attention(q, k, v):
    w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    return w @ v.flip(-2)
"""

# ----------------------------------------------------------------------------- the class

STUDENTS: list[Student] = [
    Student("s01", "both right, explicit max subtraction", SM_GOOD, SDPA_GOOD, "pass", "pass"),
    Student("s02", "both right, torch built-ins", SM_TORCH, SDPA_TORCH, "pass", "pass"),
    Student(
        "s03", "both right, global max; softmax inline", SM_GLOBAL_MAX, SDPA_SOFTMAX, "pass", "pass"
    ),
    Student("s04", "both right, Python loops; einsum", SM_LOOPS, SDPA_EINSUM, "pass", "pass"),
    Student("s05", "both right, in-place on a copy", SM_INPLACE, SDPA_SOFTMAX, "pass", "pass"),
    Student(
        "s06",
        "numerically unstable softmax, twice",
        SM_UNSTABLE,
        SDPA_UNSTABLE,
        "partial",
        "partial",
    ),
    Student("s07", "missing 1/sqrt(d_k)", SM_GOOD, SDPA_NO_SCALE, "pass", "partial"),
    Student("s08", "scales by 1/d_k", SM_TORCH, SDPA_DIV_DK, "pass", "partial"),
    Student("s09", "scales by 1/sqrt(d_v)", SM_GOOD, SDPA_SQRT_DV, "pass", "partial"),
    Student(
        "s10",
        "softmax over the wrong axis, twice",
        SM_WRONG_AXIS,
        SDPA_WRONG_AXIS,
        "partial",
        "partial",
    ),
    Student(
        "s11",
        "normalises by the sum of the whole tensor; k.T",
        SM_GLOBAL_SUM,
        SDPA_DOT_T,
        "partial",
        "partial",
    ),
    Student("s12", "syntax error in softmax.py", SM_SYNTAX, SDPA_GOOD, "fail", "pass"),
    Student("s13", "syntax error in attention.py", SM_GOOD, SDPA_SYNTAX, "pass", "fail"),
    Student(
        "s14",
        "the stubs, untouched (raise NotImplementedError)",
        SM_STUB,
        SDPA_STUB,
        "fail",
        "fail",
    ),
    Student("s15", "returns (output, weights)", SM_TORCH, SDPA_TUPLE, "pass", "fail"),
    Student("s16", "computes in float32", SM_FLOAT32, SDPA_FLOAT32, "fail", "fail"),
    Student("s17", "returns a NumPy array", SM_NUMPY, SDPA_SOFTMAX, "fail", "pass"),
    Student(
        "s18", "hard-codes the visible answers; SM only", SM_HARDCODED, None, "partial", "fail"
    ),
    Student("s19", "SDPA only, keys in reverse order", None, SDPA_TRANSPOSED_V, "fail", "partial"),
    Student("s20", "both right, second copy of s01", SM_GOOD, SDPA_GOOD, "pass", "pass"),
]

FILES = {"SM": "softmax.py", "SDPA": "attention.py"}


def write_ours(dest: Path) -> Path:
    """A folder per student under ``dest``: ``answers.yaml`` naming the ``.py`` files."""
    dest.mkdir(parents=True, exist_ok=True)
    for s in STUDENTS:
        folder = dest / s.id
        folder.mkdir()
        lines = [f"# {s.what}", f"student: {s.id}", f"exam: {EXAM_ID}", "answers:"]
        for qid, src in (("SM", s.softmax), ("SDPA", s.sdpa)):
            if src is not None:
                (folder / FILES[qid]).write_text(src)
                lines.append(f"  {qid}: {FILES[qid]}")
        if lines[-1] == "answers:":
            lines[-1] = "answers: {}"
        (folder / "answers.yaml").write_text("\n".join(lines) + "\n")
    return dest


def _cell(kind: str, source: str) -> dict[str, object]:
    cell: dict[str, object] = {
        "cell_type": kind,
        "metadata": {},
        "source": source.splitlines(keepends=True),
    }
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def notebook(s: Student) -> dict[str, object]:
    """The student's notebook: the assignment's cells with their answers in the code cells."""
    from benchmarks.otter_assignment.otter_build import STUBS  # noqa: PLC0415 - one source for the stubs

    cells = [
        _cell("markdown", "# Softmax and scaled dot-product attention\n"),
        _cell(
            "markdown",
            "**Question SM.** Write `softmax(x)` over the last dimension, numerically stable.\n",
        ),
        _cell("code", s.softmax if s.softmax is not None else STUBS["SM"]),
        _cell(
            "markdown",
            "**Question SDPA.** Write `scaled_dot_product_attention(q, k, v)`; "
            "return only the output.\n",
        ),
        _cell("code", s.sdpa if s.sdpa is not None else STUBS["SDPA"]),
    ]
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_notebooks(dest: Path) -> dict[str, Path]:
    """One ``<id>.ipynb`` per student under ``dest``; returns id -> path."""
    dest.mkdir(parents=True, exist_ok=True)
    out = {}
    for s in STUDENTS:
        path = dest / f"{s.id}.ipynb"
        path.write_text(json.dumps(notebook(s), indent=1) + "\n")
        out[s.id] = path
    return out
