def solve(x):
    x = x.clone().requires_grad_(True)
    (x**2).sum().backward()
    return x.grad
