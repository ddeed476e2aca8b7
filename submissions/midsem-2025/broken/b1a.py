import torch


def rnn_grad_A(A, B, b, C, x, y_hat):
    """dL/dA by backpropagation through time (the paper's three boxed steps)."""
    T = x.shape[0]
    h = [torch.zeros(A.shape[0], dtype=A.dtype)]  # h_0 = 0
    for t in range(T):
        h.append(A @ h[-1] + B @ x[t] + b)  # h_t = A h_{t-1} + B x_t + b
    dA = torch.zeros_like(A)
    dh_next = torch.zeros(A.shape[0], dtype=A.dtype)  # dL/dh_{T+1} = 0
    for t in range(T, 0, -1):
        dy = C @ h[t] - y_hat[t - 1]  # Step 1: dL/dy_t = y_t - yhat_t
        dh = C.T @ dy + A.T @ dh_next  # Step 2: dL/dh_t = C^T dL/dy_t + A^T dL/dh_{t+1}
        dA += torch.outer(dh, h[t - 1])  # Step 3: dL/dA += dL/dh_t h_{t-1}^T
        dh_next = dh
    return dA
