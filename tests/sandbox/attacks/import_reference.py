import reference_impls  # noqa: F401


def solve(x):
    return x * 2 + 1
