import numpy as np


def logistic_fisher(w, X):
    p = 1 / (1 + np.exp(-X @ w))
    return (X * (p * (1 - p))[:, None]).T @ X / len(X)


def natural_gradient(w, X, y, damping):
    p = 1 / (1 + np.exp(-X @ w))
    grad = X.T @ (p - y) / len(X)
    return np.linalg.solve(logistic_fisher(w, X) + damping * np.eye(len(w)), grad)
