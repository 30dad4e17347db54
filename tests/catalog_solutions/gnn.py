import numpy as np


def normalized_adjacency(A):
    A_tilde = A + np.eye(len(A))
    d = 1 / np.sqrt(A_tilde.sum(axis=1))
    return d[:, None] * A_tilde * d[None, :]


def gcn_layer(A_hat, H, W):
    return np.maximum(0, A_hat @ H @ W)
