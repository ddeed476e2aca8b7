"""The decoder treats everything that comes back as hostile bytes."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import torch

from grader.sandbox import _wire


def roundtrip(value: object) -> object:
    buffers: list[bytes] = []
    tree = _wire.encode(value, buffers)
    header, bufs = _wire.unpack(_wire.pack({"v": tree}, buffers)[4:])
    return _wire.Decoder(bufs).decode(header["v"])


def test_values_survive_the_round_trip_with_exact_types() -> None:
    value = [
        1,
        2.5,
        "s",
        None,
        True,
        (1, 2),
        {"a": np.arange(3, dtype=np.int16)},
        torch.tensor([1.5, float("nan")], dtype=torch.bfloat16),
        float("inf"),
    ]
    back = roundtrip(value)
    assert back[:6] == [1, 2.5, "s", None, True, (1, 2)]
    assert back[6]["a"].dtype == np.int16
    assert back[7].dtype == torch.bfloat16 and back[7][0].item() == 1.5
    assert back[8] == float("inf")


def test_truncated_frame_is_rejected() -> None:
    frame = _wire.pack({"op": "case"}, [b"abcd"])
    with pytest.raises(_wire.WireError, match="truncated|does not match"):
        _wire.unpack(frame[4:-1])
    assert _wire.FrameReader(1 << 20).feed(frame[:-1]) == []  # waits for the rest
    with pytest.raises(_wire.WireError, match="truncated"):
        _wire.unpack(b"\x01")


def test_frame_larger_than_the_bound_is_rejected_before_reading_it() -> None:
    with pytest.raises(_wire.WireError, match="exceeds the limit"):
        _wire.FrameReader(1024).feed(struct.pack("<I", 10**9))


def test_huge_declared_shape_is_rejected_before_allocation() -> None:
    node = {
        "t": "array",
        "kind": "numpy",
        "dtype": "float64",
        "shape": [1 << 39, 1 << 39],
        "buf": 0,
    }
    with pytest.raises(_wire.WireError):
        _wire.Decoder([b"\0" * 8], max_bytes=1 << 20).decode(node)
    node = {"t": "array", "kind": "numpy", "dtype": "float64", "shape": [1000], "buf": 0}
    with pytest.raises(_wire.WireError, match="carries 8 bytes"):
        _wire.Decoder([b"\0" * 8]).decode(node)


def test_object_and_complex_dtypes_are_rejected() -> None:
    with pytest.raises(_wire.WireError, match="not allowed"):
        _wire.encode(np.array([object()], dtype=object), [])
    with pytest.raises(_wire.WireError, match="not allowed"):
        _wire.encode(np.zeros(2, dtype=np.complex64), [])
    node = {"t": "array", "kind": "numpy", "dtype": "object", "shape": [1], "buf": 0}
    with pytest.raises(_wire.WireError, match="not allowed"):
        _wire.Decoder([b"\0" * 8]).decode(node)


def test_unknown_tags_and_reused_buffers_are_rejected() -> None:
    with pytest.raises(_wire.WireError):
        _wire.Decoder([]).decode({"t": "pickle", "data": "gASV"})
    node = {"t": "array", "kind": "numpy", "dtype": "uint8", "shape": [1], "buf": 0}
    with pytest.raises(_wire.WireError, match="missing array buffer"):
        _wire.Decoder([b"\0"]).decode([node, node])


def test_tensor_subclass_is_refused_at_encoding() -> None:
    class Sub(torch.Tensor):
        pass

    with pytest.raises(_wire.WireError, match="subclass"):
        _wire.encode(torch.zeros(2).as_subclass(Sub), [])


def test_constructs_are_refused_in_results() -> None:
    with pytest.raises(_wire.WireError):
        _wire.Decoder([]).decode(
            {"t": "construct", "fn": "os:system", "args": ["id"], "kwargs": None}
        )


def test_deep_nesting_is_refused() -> None:
    node: object = 1
    for _ in range(100):
        node = [node]
    with pytest.raises(_wire.WireError, match="nested"):
        _wire.Decoder([]).decode(node)
