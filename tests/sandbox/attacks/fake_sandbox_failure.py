"""Claims the sandbox broke, to turn its zero into a grader `error` (graded again, never
counted): forged `unfit`/`armed` frames on every descriptor, at import time and in each
case, then an exit before returning anything."""

import json
import os
import struct


def frame(header):
    head = json.dumps(dict(header, bufs=[])).encode()
    return struct.pack("<II", 4 + len(head), len(head)) + head


def forge():
    lies = frame({"op": "unfit", "why": "the sandbox broke, not the student"})
    lies += frame({"op": "case", "i": 0, "status": "sandbox_error", "detail": "grader's side"})
    for fd in range(1, 20):
        try:
            os.write(fd, lies)
        except OSError:
            pass


forge()


def solve(x):
    forge()
    os._exit(0)
