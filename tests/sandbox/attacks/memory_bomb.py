def solve(x):
    hoard = []
    while True:
        hoard.append(bytearray(1 << 30))  # 1 GiB a step
