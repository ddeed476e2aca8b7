"""Framing and value encoding between the grader and the sandbox; never pickle.

This file is standalone (standard library and numpy; torch imported lazily) because it is
also mounted read-only into the sandbox next to ``_worker.py``.

A frame is ``u32 length`` + payload; a payload is ``u32 header length`` + a JSON header +
raw buffers whose lengths the header lists under ``"bufs"``, or, for the one message sent
per case (a case's result), a *record*: ``RECORD_MARK`` where a header's length would be,
fixed binary fields (``RUNNER_RECORD`` from a runner, ``GRADER_RECORD`` from the
supervisor) and a frame payload with the rest (the value). A record is read without
parsing JSON, and the supervisor forwards its rest to the grader as it came, unread.
Values are JSON trees where every JSON object is a tag: ``{"t": "tuple"}``, ``{"t":
"dict"}``, ``{"t": "array"}`` (raw little-endian bytes, ``kind`` numpy or torch, dtype
from an allowlist) and ``{"t": "construct"}``. The decoder treats every byte as hostile:
sizes are checked before reading, the header before any allocation, ``shape`` x itemsize
against the buffer length, depth, item counts and string lengths are bounded, and only
plain ``numpy.ndarray`` / ``torch.Tensor`` objects are ever built.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
from typing import Any

import numpy as np

MAX_HEADER_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32
MAX_ITEMS = 200_000
MAX_STR = 1_000_000
MAX_NDIM = 8

DTYPES: dict[str, str] = {
    "bool": "|b1",
    "int8": "|i1",
    "uint8": "|u1",
    "int16": "<i2",
    "int32": "<i4",
    "int64": "<i8",
    "float16": "<f2",
    "bfloat16": "<u2",  # raw bits; rebuilt as torch.bfloat16
    "float32": "<f4",
    "float64": "<f8",
}
"""Allowed dtypes and the numpy layout of their bytes on the wire. No complex, no object."""


_ENCODER = json.JSONEncoder(separators=(",", ":"))
_DECODER = json.JSONDecoder()
"""Made once: ``json.dumps``/``json.loads`` with options build a new coder per call, a few
microseconds of every frame (three or four frames cross a pipe per case)."""
_LITTLE_ENDIAN = sys.byteorder == "little"


RECORD_MARK = 0xFFFF_FFFF
"""The first four bytes of a record's payload: never a header's length (``MAX_HEADER_BYTES``)."""
RECORD = "record"
"""The ``op`` under which ``FrameReader`` hands over a record (its whole payload, one buffer)."""
RUNNER_RECORD = struct.Struct("<IBIdq")
"""A runner's case record: mark, status code (``_protocol.STATUS_CODES``), case index, the
runner's seconds, FLOPs (-1: not counted); then the rest as a frame payload."""
GRADER_RECORD = struct.Struct("<IBIIddqI")
"""The supervisor's case record: mark, status code, case index, job index, CPU seconds it
measured (NaN: not measured), the runner's seconds and FLOPs, bytes of printed output that
follow; then that output and the runner's rest, as it came."""
_MARK = struct.pack("<I", RECORD_MARK)


class WireError(Exception):
    """Raised when bytes do not form a valid frame or value; the message is student-safe."""


class _ConstructFailed(Exception):
    """A ``construct`` callback raised (its exception is the cause): not the bytes' fault."""


# --------------------------------------------------------------------------- frames


def pack(header: dict[str, Any], buffers: list[bytes] | None = None) -> bytes:
    """One frame: length prefix, header JSON (with ``bufs`` filled in) and raw buffers."""
    buffers = buffers or []
    header = dict(header, bufs=[len(b) for b in buffers])
    head = _ENCODER.encode(header).encode()
    payload_len = 4 + len(head) + sum(len(b) for b in buffers)
    return b"".join([struct.pack("<II", payload_len, len(head)), head, *buffers])


def pack_record(
    code: int, i: int, seconds: float, flops: int, rest: dict[str, Any], buffers: list[bytes]
) -> bytes:
    """A runner's case record (``RUNNER_RECORD``) with ``rest`` and ``buffers`` behind it."""
    rest_frame = pack(rest, buffers)
    head = RUNNER_RECORD.pack(RECORD_MARK, code, i, seconds, flops)
    return b"".join([struct.pack("<I", len(head) + len(rest_frame) - 4), head, rest_frame[4:]])


def unpack(
    payload: bytes | bytearray | memoryview, *, max_header: int = MAX_HEADER_BYTES
) -> tuple[dict[str, Any], list[bytes]]:
    """Split a frame payload (without its length prefix) into header and buffers."""
    view = memoryview(payload)
    if len(view) < 4:
        raise WireError("truncated frame: no header length")
    (head_len,) = struct.unpack_from("<I", view, 0)
    if head_len > max_header or 4 + head_len > len(view):
        raise WireError(f"frame header of {head_len} bytes does not fit the frame")
    try:
        header = _DECODER.decode(str(view[4 : 4 + head_len], "utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError included
        raise WireError("frame header is not valid JSON") from exc
    if not isinstance(header, dict):
        raise WireError("frame header is not a JSON object")
    sizes = header.get("bufs", [])
    if not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes):
        raise WireError("frame header has an invalid buffer list")
    if 4 + head_len + sum(sizes) != len(view):
        raise WireError("frame length does not match its buffers (truncated or padded)")
    buffers: list[bytes] = []
    pos = 4 + head_len
    for size in sizes:
        buffers.append(bytes(view[pos : pos + size]))
        pos += size
    return header, buffers


def read_frame(fd: int, max_bytes: int) -> tuple[dict[str, Any], list[bytes]] | None:
    """Blocking read of one frame from ``fd``; None at a clean end of file."""
    prefix = _read_exact(fd, 4)
    if prefix is None:
        return None
    (size,) = struct.unpack("<I", prefix)
    if size > max_bytes:
        raise WireError(f"frame of {size} bytes exceeds the limit of {max_bytes}")
    payload = _read_exact(fd, size)
    if payload is None:
        raise WireError("truncated frame")
    return unpack(payload)


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks: list[bytes] = []
    got = 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            if got == 0:
                return None
            raise WireError("truncated frame")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd``."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class FrameReader:
    """Incremental frame parser for non-blocking pipes with a hard size bound."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[dict[str, Any], list[bytes]]]:
        """Add bytes; return the frames now complete. Raises WireError on a bad frame."""
        self._buf += data
        frames = []
        while len(self._buf) >= 4:
            (size,) = struct.unpack_from("<I", self._buf, 0)
            if size > self.max_bytes:
                raise WireError(f"frame of {size} bytes exceeds the limit of {self.max_bytes}")
            if len(self._buf) < 4 + size:
                break
            payload = bytes(self._buf[4 : 4 + size])
            del self._buf[: 4 + size]
            if payload[:4] == _MARK:  # a record: read by its receiver, field by field
                frames.append(({"op": RECORD}, [payload]))
            else:
                frames.append(unpack(payload))
        return frames


# --------------------------------------------------------------------------- encoding


def _bounded(value: int | str) -> int | str:
    """An int or a str within the wire's limits. Both ends check them: the encoder so that the
    student hears what is wrong with the value, the decoder because its bytes are hostile."""
    if type(value) is int and abs(value) >= 1 << 63:
        raise WireError("is an integer that does not fit in 64 bits")
    if type(value) is str and len(value) > MAX_STR:
        raise WireError(f"is a string longer than {MAX_STR} characters")
    return value


def encode(value: Any, buffers: list[bytes], *, depth: int = 0) -> Any:
    """JSON tree for ``value``, appending array bytes to ``buffers``.

    Accepts exactly: None, bool, int, float, str, list, tuple, dict with str keys, plain
    ``numpy.ndarray`` and plain ``torch.Tensor`` (no subclasses: ``type(x) is``), and
    ``Construct``-like objects exposing ``fn``/``args``/``kwargs`` via ``construct_tag``.
    """
    if depth > MAX_DEPTH:
        raise WireError(f"is nested more than {MAX_DEPTH} levels deep")
    t = type(value)
    if value is None or t is bool:
        return value
    if t is int or t is str:
        return _bounded(value)
    if t is float:
        return value if math.isfinite(value) else {"t": "float", "v": repr(value)}
    if t is list:
        return [encode(v, buffers, depth=depth + 1) for v in value]
    if t is tuple:
        return {"t": "tuple", "items": [encode(v, buffers, depth=depth + 1) for v in value]}
    if t is dict:
        if not all(type(k) is str for k in value):
            raise WireError("is a dict whose keys are not all strings")
        return {
            "t": "dict",
            "items": [[k, encode(v, buffers, depth=depth + 1)] for k, v in value.items()],
        }
    if t is np.ndarray:
        return _encode_numpy(value, buffers)
    if isinstance(value, np.generic) and type(value) in _NUMPY_SCALARS:
        return encode(value.item(), buffers, depth=depth)
    tag = getattr(t, "__wire_construct__", None)
    if tag is True:
        return {
            "t": "construct",
            "fn": value.fn,
            "args": [encode(v, buffers, depth=depth + 1) for v in value.args],
            "kwargs": encode(dict(value.kwargs), buffers, depth=depth + 1),
        }
    torch = _torch_if_loaded()
    if torch is not None and isinstance(value, torch.Tensor):
        if t is not torch.Tensor and t is not torch.nn.Parameter:
            raise WireError(
                f"is a torch.Tensor subclass ({t.__name__}); return a plain torch.Tensor"
            )
        return _encode_torch(value, buffers, torch)
    if isinstance(value, np.ndarray):
        raise WireError(f"is a numpy.ndarray subclass ({t.__name__}); return a plain numpy.ndarray")
    raise WireError(
        f"has type {t.__name__}, which cannot be checked; "
        "return tensors, arrays, numbers, strings or lists of them"
    )


_NUMPY_SCALARS = (
    np.bool_,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.float16,
    np.float32,
    np.float64,
)


def _array_node(
    kind: str, dtype: str, shape: Any, data: bytes, buffers: list[bytes]
) -> dict[str, Any]:
    """The ``{"t": "array"}`` node of an array whose bytes are appended to ``buffers``."""
    buffers.append(data)
    return {
        "t": "array",
        "kind": kind,
        "dtype": dtype,
        "shape": list(shape),
        "buf": len(buffers) - 1,
    }


def _encode_numpy(arr: Any, buffers: list[bytes]) -> dict[str, Any]:
    name = arr.dtype.name
    if name not in DTYPES or arr.dtype.hasobject:
        raise WireError(f"is a numpy array of dtype {arr.dtype}, which is not allowed")
    data = np.ascontiguousarray(arr, dtype=np.dtype(DTYPES[name])).tobytes()
    return _array_node("numpy", name, arr.shape, data, buffers)


def _encode_torch(tensor: Any, buffers: list[bytes], torch: Any) -> dict[str, Any]:
    if tensor.layout is not torch.strided or tensor.is_quantized or tensor.is_meta:
        raise WireError("is a sparse, quantized or meta tensor; return a dense tensor")
    name = str(tensor.dtype).removeprefix("torch.")
    if name not in DTYPES:
        raise WireError(f"is a tensor of dtype {name}, which is not allowed")
    device = str(tensor.device)
    if (
        _LITTLE_ENDIAN
        and name != "bfloat16"
        and device == "cpu"
        and tensor.is_contiguous()
        and not tensor.is_conj()
        and not tensor.is_neg()
    ):  # the common case: its own bytes are the wire's (DTYPES are little-endian)
        data = tensor.detach().numpy().tobytes()
        return {**_array_node("torch", name, tensor.shape, data, buffers), "device": device}
    t = tensor.detach().resolve_conj().resolve_neg().cpu().contiguous()
    if name == "bfloat16":
        t = t.view(torch.int16)
    data = t.numpy().astype(np.dtype(DTYPES[name]), copy=False).tobytes()
    return {**_array_node("torch", name, tensor.shape, data, buffers), "device": device}


def _torch_if_loaded() -> Any:
    import sys

    return sys.modules.get("torch")


# --------------------------------------------------------------------------- decoding


class Decoder:
    """Rebuild values from a tree and buffers, trusting nothing.

    ``device`` places torch tensors (``None``: the device recorded on the wire, if it is
    ``cpu`` or an available CUDA device). ``construct`` is called for construct tags;
    without it they are rejected (results never contain them).
    """

    def __init__(
        self,
        buffers: list[bytes],
        *,
        device: str | None = None,
        construct: Any = None,
        max_bytes: int = 1 << 62,
    ) -> None:
        self.buffers = buffers
        self.used: set[int] = set()
        self.items = 0
        self.device = device
        self.construct = construct
        self.max_bytes = max_bytes
        self.total = 0
        self.devices: list[str] = []

    def decode(self, node: Any, depth: int = 0) -> Any:
        """The value of ``node``. Raises WireError, and nothing else, for any tree or bytes
        that do not form an allowed value (an exception of ``construct`` passes through)."""
        try:
            return self._decode(node, depth)
        except (WireError, _ConstructFailed):
            raise
        except Exception as exc:  # noqa: BLE001 -- hostile input the checks above did not foresee
            raise WireError("contains a malformed value") from exc

    def build(self, node: Any) -> Any:
        """``decode`` for inputs: a failing ``construct`` raises its own exception."""
        try:
            return self.decode(node)
        except _ConstructFailed as exc:
            raise exc.__cause__ from None  # type: ignore[misc]

    def _decode(self, node: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise WireError(f"is nested more than {MAX_DEPTH} levels deep")
        self.items += 1
        if self.items > MAX_ITEMS:
            raise WireError(f"has more than {MAX_ITEMS} items")
        t = type(node)
        if node is None or t is bool or t is float:
            return node
        if t is int or t is str:
            return _bounded(node)
        if t is list:
            return [self._decode(v, depth + 1) for v in node]
        if t is not dict:
            raise WireError("contains a value of an unknown kind")
        tag = node.get("t")
        if tag == "float" and node.get("v") in ("nan", "inf", "-inf"):
            return float(node["v"])
        if tag == "tuple" and type(node.get("items")) is list:
            return tuple(self._decode(v, depth + 1) for v in node["items"])
        if tag == "dict" and type(node.get("items")) is list:
            out: dict[str, Any] = {}
            for pair in node["items"]:
                if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                    raise WireError("contains a malformed dict")
                out[pair[0]] = self._decode(pair[1], depth + 1)
            return out
        if tag == "array":
            return self._array(node)
        if tag == "construct" and self.construct is not None:
            fn = node.get("fn")
            if type(fn) is not str or type(node.get("args")) is not list:
                raise WireError("contains a malformed construct")
            args = [self._decode(v, depth + 1) for v in node["args"]]
            kwargs = self._decode(node.get("kwargs"), depth + 1)
            if type(kwargs) is not dict:
                raise WireError("contains a malformed construct")
            try:
                return self.construct(fn, args, kwargs)
            except Exception as exc:  # noqa: BLE001 -- the question's support code failed
                raise _ConstructFailed() from exc
        raise WireError("contains a value of an unknown kind")

    def _array(self, node: dict[str, Any]) -> Any:
        kind, name, shape, idx = (
            node.get("kind"),
            node.get("dtype"),
            node.get("shape"),
            node.get("buf"),
        )
        if kind not in ("numpy", "torch") or type(name) is not str or name not in DTYPES:
            raise WireError(f"is an array of dtype {name!r}, which is not allowed")
        if kind == "numpy" and name == "bfloat16":
            raise WireError("is a numpy array of dtype bfloat16, which is not allowed")
        if (
            type(shape) is not list
            or len(shape) > MAX_NDIM
            or not all(type(s) is int and 0 <= s < 1 << 40 for s in shape)
        ):
            raise WireError(f"is an array with an invalid shape (at most {MAX_NDIM} dimensions)")
        if type(idx) is not int or not 0 <= idx < len(self.buffers) or idx in self.used:
            raise WireError("refers to a missing array buffer")
        self.used.add(idx)
        layout = np.dtype(DTYPES[name])
        count = math.prod(shape)
        nbytes = count * layout.itemsize
        self.total += nbytes
        if self.total > self.max_bytes:
            raise WireError(f"is larger than the limit of {self.max_bytes} bytes")
        buf = self.buffers[idx]
        if len(buf) != nbytes:
            raise WireError(f"declares shape {tuple(shape)} but carries {len(buf)} bytes")
        if name == "bool":  # any non-zero byte is True; never reinterpret odd bytes as bool
            # (np.asarray: a 0-d comparison gives a numpy scalar, not an array)
            arr = np.asarray(np.frombuffer(buf, dtype=np.uint8, count=count).reshape(shape) != 0)
        else:
            arr = np.frombuffer(buf, dtype=layout, count=count).reshape(shape).copy()
        if kind == "numpy":
            return arr.astype(arr.dtype.newbyteorder("="), copy=False)
        import torch

        if name == "bfloat16":
            tensor = torch.from_numpy(arr.view(np.int16).astype(np.int16)).view(torch.bfloat16)
        else:
            tensor = torch.from_numpy(arr.astype(arr.dtype.newbyteorder("="), copy=False))
        device = self.device
        if device is None:
            wire_device = node.get("device", "cpu")
            if type(wire_device) is not str or not _valid_device(wire_device):
                raise WireError("names an invalid device")
            device = wire_device
        self.devices.append(device)
        return tensor.to(device) if device != "cpu" else tensor


def _valid_device(name: str) -> bool:
    if name == "cpu":
        return True
    if name == "cuda" or (name.startswith("cuda:") and name[5:].isdigit() and len(name) < 10):
        import torch

        return bool(torch.cuda.is_available())
    return False
