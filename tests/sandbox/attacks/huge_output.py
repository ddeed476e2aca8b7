def solve(x):
    while True:
        print("x" * 100_000)
