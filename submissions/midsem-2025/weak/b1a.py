import torch


def rnn_grad_A(A, B, b, C, x, y_hat):
    h = [torch.zeros(A.shape[0], dtype=A.dtype)]
    for t in range(x.shape[0]):
        h.append(A @ h[-1] + B @ x[t] + b)
    dA = torch.zeros_like(A)
    dh_next = torch.zeros(A.shape[0], dtype=A.dtype)
    for t in range(x.shape[0], 0, -1):
        dh = C.T @ (C @ h[t] - y_hat[t - 1]) + A.T @ dh_next
        dA += torch.outer(dh, h[t])  # MISTAKE: h_t instead of h_{t-1}
        dh_next = dh
    return dA
