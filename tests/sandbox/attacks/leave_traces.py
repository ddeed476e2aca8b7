"""Leaves files, a thread and a detached grandchild behind, then reports the grandchild's pid."""

import os
import threading
import time


def solve(x):
    for path in ("/tmp/secret.txt", "/dev/shm/secret.txt", "secret.txt"):
        with open(path, "w") as fh:
            fh.write("answers")
    threading.Thread(target=time.sleep, args=(1000,), daemon=False).start()
    r, w = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(w, str(os.getpid()).encode())
            time.sleep(1000)
        os._exit(0)
    return int(os.read(r, 32))
