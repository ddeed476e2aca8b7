"""The package's public surface is its ``__all__``, and every name in it exists."""

from __future__ import annotations

import grader


def test_every_public_name_is_importable() -> None:
    for name in grader.__all__:
        assert hasattr(grader, name), name


def test_public_surface_is_short_and_sorted() -> None:
    assert grader.__all__ == sorted(grader.__all__, key=str)
    assert len(grader.__all__) <= 30
