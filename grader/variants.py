"""Per-student exam variants: a seed from an HMAC, parameters drawn from it.

A variant is fixed by the course secret, the exam id and the student id:
``seed = HMAC-SHA256(secret, exam_id + "\\0" + student_id)``, so knowing one's own id
does not reveal anyone else's variant. Without a secret every student gets variant 0,
which is the printed paper: every parameter at its default.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from grader.errors import InfrastructureError
from grader.schema.params import ParamSpec

__all__ = ["PAPER_VARIANT", "read_secret", "variant_seed", "draw_params", "question_rng"]

PAPER_VARIANT = 0
"""The variant that reproduces the printed paper exactly."""


def read_secret(secret_file: str | Path | None = None) -> bytes | None:
    """The course secret from ``secret_file`` or ``$GRADER_SECRET``; ``None`` when neither
    is set."""
    if secret_file is not None:
        try:
            data = Path(secret_file).read_bytes().strip()
        except OSError as exc:
            raise InfrastructureError(
                f"cannot read the secret file {str(secret_file)!r}: {exc}"
            ) from None
        if not data:
            raise InfrastructureError(f"the secret file {str(secret_file)!r} is empty")
        return data
    env = os.environ.get("GRADER_SECRET", "").strip()
    return env.encode() if env else None


def variant_seed(secret: bytes | None, exam_id: str, student_id: str) -> int:
    """The student's variant: 0 without a secret, else a 63-bit HMAC-derived seed (never 0)."""
    if not secret:
        return PAPER_VARIANT
    digest = hmac.new(secret, f"{exam_id}\0{student_id}".encode(), hashlib.sha256).digest()
    return (int.from_bytes(digest[:8], "big") >> 1) or 1


def question_rng(variant: int, question_id: str) -> np.random.Generator:
    """An independent generator per (variant, question), stable across code changes elsewhere."""
    qhash = int.from_bytes(hashlib.sha256(question_id.encode()).digest()[:8], "big")
    return np.random.default_rng([variant, qhash])


def _draw(spec: ParamSpec, rng: np.random.Generator) -> Any:
    if spec.choices is not None:
        return spec.choices[int(rng.integers(len(spec.choices)))]
    if spec.int_range is not None:
        low, high = spec.int_range
        return int(rng.integers(low, high + 1))
    if spec.uniform is not None:
        lo, hi = spec.uniform
        value = float(rng.uniform(lo, hi))
        return round(value, spec.decimals) if spec.decimals is not None else value
    return spec.default


def draw_params(params: Mapping[str, ParamSpec], variant: int, question_id: str) -> dict[str, Any]:
    """Parameter values of one question in one variant (defaults for variant 0)."""
    if variant == PAPER_VARIANT:
        return {name: spec.default for name, spec in params.items()}
    rng = question_rng(variant, question_id)
    return {name: _draw(spec, rng) for name, spec in params.items()}
