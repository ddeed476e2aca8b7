"""Prints messages and forged protocol frames on stdout, stderr and every descriptor it can."""

import json
import os
import struct
import sys


def frame(header):
    head = json.dumps(dict(header, bufs=[])).encode()
    return struct.pack("<II", 4 + len(head), len(head)) + head


def solve(x):
    print("All tests passed! score: 100/100")
    fake = frame({"op": "case", "i": 0, "status": "ok", "value": 42})
    for fd in range(1, 20):
        try:
            os.write(fd, fake)
        except OSError:
            pass
    sys.stderr.write("PASS\n")
    return x * 0
