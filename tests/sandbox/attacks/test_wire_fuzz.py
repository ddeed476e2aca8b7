"""Hostile bytes from the sandbox: the decoder builds every allowed dtype at every rank (0-d
included) and every odd value, and whatever the bytes, it either returns a plain value or
raises WireError: anything else would leave a worker out of the pool and hang a class."""

from __future__ import annotations

import itertools
import json
import random

import numpy as np
import pytest
import torch

from grader.sandbox import _wire

ODD_FLOATS = [0.0, -0.0, 1.5, float("nan"), float("inf"), -float("inf"), 1e-310, 3.4e38]
SHAPES = [(), (1,), (0,), (3,), (2, 0), (2, 3), (1, 1, 1), (2, 1, 2, 1)]


def values(dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape))
    if dtype == "bool":
        return (np.arange(n) % 2 == 0).reshape(shape)
    layout = np.dtype(_wire.DTYPES[dtype if dtype != "bfloat16" else "float32"])
    if layout.kind == "f":
        pool = ODD_FLOATS
    else:
        info = np.iinfo(layout)
        pool = [info.min, info.max, 0, 1, -1 if info.min < 0 else 2]
    return np.array([pool[k % len(pool)] for k in range(n)], dtype=layout).reshape(shape)


@pytest.mark.parametrize("dtype", sorted(_wire.DTYPES))
@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_every_dtype_and_rank_round_trips(dtype: str, kind: str) -> None:
    if kind == "numpy" and dtype == "bfloat16":
        pytest.skip("numpy has no bfloat16")
    for shape in SHAPES:
        arr = values(dtype, shape)
        value = torch.from_numpy(arr.copy()) if kind == "torch" else arr
        if dtype == "bfloat16":
            value = torch.from_numpy(arr.copy()).to(torch.bfloat16)
        buffers: list[bytes] = []
        tree = json.loads(json.dumps(_wire.encode(value, buffers)))
        got = _wire.Decoder(buffers).decode(tree)
        assert type(got) is type(value)
        assert tuple(got.shape) == shape
        assert str(got.dtype).removeprefix("torch.") == dtype
        a = got.float().numpy() if kind == "torch" else got
        b = value.float().numpy() if kind == "torch" else value
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def test_a_zero_dim_bool_tensor_decodes_to_a_tensor() -> None:
    buffers: list[bytes] = []
    tree = _wire.encode(torch.tensor(True), buffers)
    got = _wire.Decoder(buffers).decode(tree)
    assert type(got) is torch.Tensor and got.dtype == torch.bool and got.shape == () and bool(got)


def test_bool_bytes_other_than_0_and_1_are_true() -> None:
    for shape in [(), (3,)]:
        n = int(np.prod(shape))
        node = {"t": "array", "kind": "torch", "dtype": "bool", "shape": list(shape), "buf": 0}
        got = _wire.Decoder([bytes([0xFE] * n)]).decode(node)
        assert got.dtype == torch.bool and bool(got.all())


def _mutations(tree: object, rng: random.Random) -> object:
    """A random hostile edit of an encoded tree."""
    odd = [None, -1, 2**70, 1.5, "x", [], {}, {"t": "array"}, "nan", [1] * 9, True]
    text = json.dumps(tree)
    doc = json.loads(text)
    node = doc
    while isinstance(node, dict) and rng.random() < 0.7:
        key = rng.choice(sorted(node))
        if isinstance(node[key], dict | list) and node[key]:
            node = node[key] if isinstance(node[key], dict) else node[key][0]
            continue
        node[key] = rng.choice(odd)
        return doc
    if isinstance(node, dict) and node:
        node[rng.choice(sorted(node))] = rng.choice(odd)
    return doc


def test_any_edit_of_the_tree_or_the_bytes_is_a_value_or_a_wire_error() -> None:
    rng = random.Random(1234)
    seeds = [
        torch.tensor(True),
        torch.arange(6, dtype=torch.int64).reshape(2, 3),
        np.zeros((2, 2), dtype=np.float16),
        (torch.ones(2, dtype=torch.bfloat16), {"k": [1, 2.5, "s"]}),
    ]
    for seed in seeds:
        buffers: list[bytes] = []
        tree = _wire.encode(seed, buffers)
        for _ in range(400):
            bad = _mutations(tree, rng)
            bufs = list(buffers)
            if bufs and rng.random() < 0.3:
                cut = rng.randrange(len(bufs[0]) + 2)
                bufs[0] = bufs[0][:cut] + bytes(rng.randrange(3))
            try:
                _wire.Decoder(bufs, max_bytes=1 << 20).decode(bad)
            except _wire.WireError:
                pass


def test_frames_with_hostile_headers_raise_wire_error_only() -> None:
    rng = random.Random(99)
    good = _wire.pack({"op": "case", "i": 0}, [b"abc"])
    for _ in range(2000):
        data = bytearray(good)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        reader = _wire.FrameReader(1 << 16)
        try:
            reader.feed(bytes(data))
        except _wire.WireError:
            pass
    for junk in itertools.islice(
        (bytes(rng.randrange(256) for _ in range(n)) for n in range(64)), 64
    ):
        try:
            _wire.FrameReader(1 << 16).feed(junk)
        except _wire.WireError:
            pass


def test_hostile_case_records_raise_wire_error_or_read_as_bad_output_only() -> None:
    # A record's fixed fields come from the supervisor, its rest from the student's process:
    # mangled anywhere, it is either a broken sandbox (WireError) or that case's bad_output,
    # never an exception that would leave the worker out of the pool.
    from grader.sandbox._messages import record_message
    from grader.sandbox._protocol import RUNNER_STATUSES

    rng = random.Random(7)
    rest = _wire.pack({"value": _wire.encode(torch.arange(3.0), bufs := [])}, bufs)[4:]
    head = _wire.GRADER_RECORD.pack(_wire.RECORD_MARK, 0, 1, 0, 0.5, 0.1, -1, 3)
    good = head + b"out" + rest
    j, i, h, got = record_message(good)
    assert (j, i, h["status"], h["cpu"], h["stdout"]) == (0, 1, "ok", 0.5, "out")
    for _ in range(3000):
        data = bytearray(good)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(len(data) + 1)]
        try:
            j, i, h, got = record_message(bytes(data))
        except _wire.WireError:
            continue
        assert type(j) is int and type(i) is int and type(h) is dict
        assert h["status"] in RUNNER_STATUSES  # never a verdict of the supervisor's
