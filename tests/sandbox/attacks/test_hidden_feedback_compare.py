"""Hidden-case feedback cannot carry hidden inputs out.

A student's code sees the hidden inputs and chooses what it returns, so it can encode a
hidden input into any detail of the returned value that a message quotes: a shape, a
length, dict keys, a class name, a count of wrong elements, the index of a NaN, the
position of the first differing token, which element of a structure is wrong. Each attack
below returns two values that differ only in the encoded secret (1234 or 4321): the
hidden-case message must be the same for both, and quote neither. The visible-case message
(``show_values=True``) is shown to differ, so each attack really encodes something.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pytest
import torch

from grader.sandbox import Comparison, compare

SECRETS = ("1234", "4321")


def leaky_class(secret: str) -> object:
    """An instance of a class whose name and module the student chose."""
    cls = type(f"Leak{secret}", (), {"__module__": f"mod{secret}"})
    return cls()


def nan_at(index: int, n: int = 5000) -> torch.Tensor:
    x = torch.zeros(n)
    x[index] = float("nan")
    return x


def inf_at(index: int, n: int = 5000) -> torch.Tensor:
    x = torch.zeros(n)
    x[index] = float("inf")
    return x


def wrong_at(index: int, n: int = 5000, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    x = torch.zeros(n, dtype=dtype)
    x[index] = 7
    return x


def wrong_count(count: int, n: int = 5000) -> torch.Tensor:
    x = torch.zeros(n)
    x[:count] = 7.0
    return x


def tokens_differing_at(position: int, n: int = 5000) -> list[int]:
    tokens = list(range(n))
    tokens[position] = -1
    return tokens


def quoting_checker(expected: Any, actual: Any) -> tuple[bool, str]:
    return False, f"your value was {actual!r}"


class Attack(NamedTuple):
    expected: Any
    rule: Any
    encode: Any
    """secret (int) -> the student's value carrying it."""


ATTACKS: dict[str, Attack] = {
    "tensor shape": Attack(torch.zeros(2, 3), "allclose", lambda s: torch.zeros(3, 7, s)),
    "array shape": Attack(np.zeros((2, 3)), "allclose", lambda s: np.zeros((s, 1))),
    "tensor rank and shape": Attack(torch.zeros(2, 3), "exact", lambda s: torch.zeros(*[1] * (s % 7 + 1), s)),
    "list length": Attack([1.0, 2.0, 3.0], "allclose", lambda s: [0.0] * s),
    "tuple length": Attack((torch.zeros(2), 1.0), "allclose", lambda s: (torch.zeros(2),) * s),
    "dict keys chosen by the student": Attack({"logits": 1.0, "loss": 2.0}, "allclose",
                                              lambda s: {f"secret{s}": 1.0, "logits": 1.0}),
    "dict keys missing": Attack({f"k{i}": float(i) for i in range(13)}, "allclose",
                                lambda s: {f"k{i}": float(i) for i in range(13) if (s >> i) & 1}),
    "class name and module": Attack(torch.zeros(2), "allclose", lambda s: leaky_class(str(s))),
    "class name in a list": Attack([1, 2], "exact", lambda s: [1, leaky_class(str(s))]),
    "class name for a scalar": Attack(1.0, "allclose", lambda s: leaky_class(str(s))),
    "builtin type for a tensor": Attack(torch.zeros(2), "allclose", lambda s: s if s == 1234 else str(s)),
    "builtin type for a list": Attack([1, 2], "exact", lambda s: str(s) if s == 1234 else s),
    "dtype": Attack(torch.zeros(4), "allclose", lambda s: torch.zeros(4, dtype=torch.float64 if s == 1234 else torch.int64)),
    "device and shape": Attack(torch.zeros(2), "allclose", lambda s: torch.zeros(s, device="meta")),
    "NaN index": Attack(torch.zeros(5000), "allclose", nan_at),
    "NaN count": Attack(torch.zeros(5000), "allclose", lambda s: torch.where(torch.arange(5000) < s, float("nan"), 0.0)),
    "Inf index": Attack(torch.zeros(5000), "allclose", inf_at),
    "Inf sign for a scalar": Attack(1.0, "allclose", lambda s: float("inf") if s == 1234 else float("-inf")),
    "wrong value index (allclose)": Attack(torch.zeros(5000), "allclose", wrong_at),
    "wrong value count (allclose)": Attack(torch.zeros(5000), "allclose", wrong_count),
    "wrong value index (exact, integers)": Attack(torch.zeros(5000, dtype=torch.int64), "exact",
                                                  lambda s: wrong_at(s, dtype=torch.int64)),
    "wrong value index (numpy)": Attack(np.zeros(5000), "allclose", lambda s: wrong_at(s).double().numpy()),
    "scalar value": Attack(1.0, "allclose", lambda s: float(s)),
    "int value": Attack(1, "exact", lambda s: s),
    "string value": Attack("yes", "exact", lambda s: f"no{s}"),
    "which list element fails": Attack([torch.zeros(2)] * 5000, "allclose",
                                       lambda s: [torch.zeros(3) if i == s else torch.zeros(2) for i in range(5000)]),
    "which dict value fails": Attack({f"k{i}": torch.zeros(2) for i in range(5000)}, "allclose",
                                     lambda s: {f"k{i}": torch.zeros(3) if i == s else torch.zeros(2) for i in range(5000)}),
    "which list element is NaN": Attack([1.0] * 5000, "allclose",
                                        lambda s: [float("nan") if i == s else 1.0 for i in range(5000)]),
    "nested length": Attack([[1.0, 2.0]], "allclose", lambda s: [[0.0] * s]),
    "tokens position": Attack(list(range(5000)), "tokens", tokens_differing_at),
    "tokens length": Attack([1, 2, 3], "tokens", lambda s: [1, 2, 3] + [0] * s),
    "tokens tensor shape": Attack([1, 2, 3], "tokens", lambda s: torch.zeros(2, s, dtype=torch.long)),
    "tokens dtype": Attack([1, 2, 3], "tokens", lambda s: torch.zeros(3, dtype=torch.float64 if s == 1234 else torch.float16)),
    "tokens odd type": Attack([1, 2, 3], "tokens", lambda s: leaky_class(str(s))),
    "set counts": Attack([1, 2, 3], "set", lambda s: list(range(100, 100 + s))),
    "set unexpected values": Attack([1, 2, 3], "set", lambda s: [1, 2, s]),
    "set odd element": Attack([1, 2, 3], "set", lambda s: [1, 2, leaky_class(str(s))]),
    "set odd type": Attack([1, 2, 3], "set", lambda s: leaky_class(str(s))),
    "custom checker quoting the value": Attack(1, quoting_checker, lambda s: s),
    "custom checker returning Comparison": Attack(1, lambda e, a: Comparison(False, f"got {a}"), lambda s: s),
}


def hidden(attack: Attack, secret: str) -> Comparison:
    return compare(attack.expected, attack.encode(int(secret)), attack.rule)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_the_hidden_message_is_the_same_whatever_the_secret(name: str) -> None:
    attack = ATTACKS[name]
    first, second = (hidden(attack, s) for s in SECRETS)
    assert not first.passed and not second.passed
    assert first.message == second.message, name


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_the_hidden_message_quotes_nothing_of_the_student_value(name: str) -> None:
    for secret in SECRETS:
        message = hidden(ATTACKS[name], secret).message
        assert message
        assert secret not in message and secret[:2] not in message
        assert "Leak" not in message and "mod" not in message and "secret" not in message


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_the_visible_message_would_have_carried_the_secret(name: str) -> None:
    """Each attack is real: the detailed message of a visible case tells the two apart (the
    device is checked before the shape, so that attack's shape is not shown either)."""
    if name == "device and shape":
        pytest.skip("only one wrong device (meta) is at hand, and the device is checked before the shape")
    attack = ATTACKS[name]
    shown = [compare(attack.expected, attack.encode(int(s)), attack.rule, show_values=True).message
             for s in SECRETS]
    assert shown[0] != shown[1], name


def test_hidden_messages_are_fixed_phrases_plus_facts_about_the_expected_value() -> None:
    cases = {
        "tensor shape": "does not have correct shape (expected a 2-D tensor)",
        "array shape": "does not have correct shape (expected a 2-D array)",
        "list length": "does not have correct length",
        "dict keys chosen by the student": "does not have correct keys",
        "class name and module": "has the wrong type (expected a torch.Tensor)",
        "dtype": "does not have correct dtype (expected float32)",
        "device and shape": "is on the wrong device (expected cpu)",
        "NaN index": "contains NaN",
        "Inf index": "contains Inf",
        "wrong value index (exact, integers)": "does not have correct values",
        "tokens position": "differs from the expected sequence",
        "which list element fails": "has an element that does not have correct shape",
        "custom checker quoting the value": "is not correct",
    }
    for name, message in cases.items():
        assert hidden(ATTACKS[name], SECRETS[0]).message == message, name
