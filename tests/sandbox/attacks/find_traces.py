import os


def solve(pid):
    files = [
        p for p in ("/tmp/secret.txt", "/dev/shm/secret.txt", "secret.txt") if os.path.exists(p)
    ]
    return {"files": files, "alive": os.path.exists(f"/proc/{pid}")}
