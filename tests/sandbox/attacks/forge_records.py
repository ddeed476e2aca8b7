"""Forges binary case records (the per-case result format, which the supervisor forwards to
the grader without reading its rest) on every descriptor it can write: on case 0 one that
claims the supervisor's CPU reading and printed output, on case 2 one that claims a verdict
only the supervisor gives (`sandbox_error`, graded again and never counted), on case 4 one
whose rest is not a frame at all. Then it returns an honest wrong value."""

import json
import os
import struct

MARK = 0xFFFFFFFF  # _wire.RECORD_MARK
OK, SANDBOX_ERROR = 0, 10  # positions in _protocol.STATUS_CODES


def record(status, i, rest):
    head = struct.pack("<IBIdq", MARK, status, i, 0.0, -1)  # _wire.RUNNER_RECORD
    return struct.pack("<I", len(head) + len(rest)) + head + rest


def frame_payload(header):
    head = json.dumps(dict(header, bufs=[])).encode()
    return struct.pack("<I", len(head)) + head


def forge(i):
    """Write case ``i``'s forged record on every descriptor this process can write."""
    if i == 0:
        claims = {"value": 0, "cpu": 12345.0, "stdout": "All tests passed!", "status": "ok"}
        lie = record(OK, i, frame_payload(claims))
    elif i == 2:
        lie = record(SANDBOX_ERROR, i, frame_payload({"detail": "a problem on the grader's side"}))
    else:
        lie = record(OK, i, b"\xff" * 9)
    for fd in range(1, 20):
        try:
            os.write(fd, lie)
        except OSError:
            pass


def solve(x):
    forge(int(x[0]))
    return x * 2
