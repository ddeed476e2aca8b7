"""compare(): exact types, no broadcasting, NaN never equal, PrairieLearn-style messages for
visible cases, fixed phrases plus facts about the expected value for hidden ones (attacks on
hidden feedback: tests/sandbox/attacks/test_hidden_feedback_compare.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grader.sandbox import Comparison, Tolerance, compare, tolerance_for


def test_shape_mismatch_is_named_without_broadcasting() -> None:
    result = compare(np.zeros((3, 1)), np.zeros(3), show_values=True)
    assert result == Comparison(False, "does not have correct shape--got: (3,), expected: (3, 1)")


def test_hidden_shape_mismatch_gives_only_the_expected_rank() -> None:
    result = compare(np.zeros((3, 1)), np.zeros(3))
    assert result == Comparison(False, "does not have correct shape (expected a 2-D array)")
    assert compare(torch.zeros(3, 1), torch.zeros(3)).message == (
        "does not have correct shape (expected a 2-D tensor)"
    )


def test_dtype_mismatch_is_named() -> None:
    result = compare(torch.zeros(2), torch.zeros(2, dtype=torch.float64), show_values=True)
    assert result.message == "does not have correct dtype--got: float64, expected: float32"
    hidden = compare(torch.zeros(2), torch.zeros(2, dtype=torch.float64))
    assert hidden.message == "does not have correct dtype (expected float32)"


def test_nan_fails_even_against_an_expected_nan() -> None:
    result = compare(
        torch.tensor([float("nan"), 1.0]), torch.tensor([float("nan"), 1.0]), show_values=True
    )
    assert not result.passed
    assert result.message == "contains NaN at 1 of 2 positions (first at index (0,))"
    hidden = compare(torch.tensor([float("nan"), 1.0]), torch.tensor([float("nan"), 1.0]))
    assert hidden == Comparison(False, "contains NaN")
    assert not compare(float("nan"), float("nan")).passed


def test_inf_where_finite_expected_is_named() -> None:
    result = compare(torch.tensor([1.0, 2.0]), torch.tensor([1.0, float("inf")]), show_values=True)
    assert result.message == "contains Inf at 1 of 2 positions (first at index (1,))"
    assert compare(torch.tensor([1.0, 2.0]), torch.tensor([1.0, float("inf")])).message == (
        "contains Inf"
    )


def test_wrong_device_is_named() -> None:
    expected = torch.zeros(2, device="meta")
    result = compare(expected, torch.zeros(2), show_values=True)
    assert result.message == "is on the wrong device--got: cpu, expected: meta"
    assert compare(expected, torch.zeros(2)).message == "is on the wrong device (expected meta)"


def test_wrong_type_is_named() -> None:
    assert compare(torch.zeros(2), np.zeros(2), show_values=True).message == (
        "has the wrong type--got: numpy.ndarray, expected: torch.Tensor"
    )
    assert compare(torch.zeros(2), np.zeros(2)).message == (
        "has the wrong type (expected a torch.Tensor)"
    )
    assert compare(3, "x").message == "has the wrong type (expected an int)"


def test_allclose_uses_the_dtype_tolerance() -> None:
    e = torch.tensor([1.0, 2.0])
    assert compare(e, e + 1e-6).passed
    assert not compare(e, e + 1e-2).passed
    assert compare(e, e + 1e-2, tolerances={"float32": Tolerance(rtol=0.0, atol=0.1)}).passed
    assert compare(e.half(), (e + 1e-3).half()).passed
    assert tolerance_for("float32", "cuda") == tolerance_for("tf32")


def test_hidden_value_mismatch_does_not_quote_numbers() -> None:
    message = compare(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0])).message
    assert message == (
        "does not have correct values (some elements differ by more than rtol=0.0001, atol=1e-05)"
    )
    shown = compare(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0]), show_values=True).message
    assert shown == (
        "does not have correct values--1 of 2 elements differ by more than rtol=0.0001, "
        "atol=1e-05 (largest difference 1 at index (1,))"
    )
    exact = compare(torch.tensor([1, 2]), torch.tensor([1, 3]), "exact")
    assert exact.message == "does not have correct values"


def test_bool_is_not_an_int_in_exact_comparison() -> None:
    assert not compare(1, True, "exact").passed


def test_tokens_rule_names_the_first_differing_position() -> None:
    assert compare([1, 2, 3], torch.tensor([1, 2, 3]), "tokens").passed
    assert (
        compare([1, 2, 3], [1, 5, 3], "tokens", show_values=True).message
        == "differs from the expected sequence at position 1--got: 5, expected: 2"
    )
    assert (
        compare([1, 2], [1, 2, 3], "tokens", show_values=True).message
        == "does not have correct length--got: 3, expected: 2"
    )


def test_hidden_tokens_rule_gives_no_position_or_length() -> None:
    assert compare([1, 2, 3], [1, 5, 3], "tokens").message == "differs from the expected sequence"
    assert compare([1, 2], [1, 2, 3], "tokens").message == "does not have correct length"
    assert compare([1, 2], torch.zeros(2, 2, dtype=torch.long), "tokens").message == (
        "does not have correct shape (expected a 1-D sequence)"
    )


def test_set_rule_ignores_order() -> None:
    assert compare([1, 2, 3], [3, 1, 2], "set").passed
    assert (
        compare([1, 2, 3], [3, 1], "set", show_values=True).message
        == "is missing 1 expected element and has 0 unexpected elements--unexpected: []"
    )
    assert compare([1, 2, 3], [3, 1], "set").message == "does not have correct elements"


def test_custom_checker_may_return_bool_or_pair() -> None:
    assert compare(1, 2, lambda e, a: a > e).passed
    assert compare(1, 0, lambda e, a: (a > e, "too small"), show_values=True).message == "too small"


def test_hidden_custom_checker_message_is_replaced() -> None:
    def quoting(e: object, a: object) -> tuple[bool, str]:
        return False, f"got {a!r}"

    assert compare(1, 0, quoting).message == "is not correct"
    assert compare(1, 0, quoting, show_values=True).message == "got 0"


def test_nested_values_name_the_path() -> None:
    result = compare({"y": [torch.zeros(2)]}, {"y": [torch.zeros(3)]}, show_values=True)
    assert result.message == "['y'][0] does not have correct shape--got: (3,), expected: (2,)"


def test_hidden_nested_values_name_neither_the_path_nor_the_element() -> None:
    result = compare({"y": [torch.zeros(2)]}, {"y": [torch.zeros(3)]})
    assert result.message == "has an element that does not have correct shape"


@pytest.mark.parametrize("rule", ["exact", "allclose"])
def test_empty_arrays_of_the_same_shape_pass(rule: str) -> None:
    assert compare(np.zeros((0, 3)), np.zeros((0, 3)), rule).passed  # type: ignore[arg-type]
