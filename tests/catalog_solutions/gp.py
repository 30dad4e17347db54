import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular


def rbf_kernel(X1, X2, length_scale, variance):
    sq = ((X1[:, None, :] - X2[None, :, :]) ** 2).sum(-1)
    return variance * np.exp(-sq / (2 * length_scale**2))


def posterior(X, y, X_star, length_scale, variance, noise):
    K = rbf_kernel(X, X, length_scale, variance) + noise * np.eye(len(X))
    L = np.linalg.cholesky(K)
    K_s = rbf_kernel(X, X_star, length_scale, variance)
    mean = K_s.T @ cho_solve((L, True), y)
    V = solve_triangular(L, K_s, lower=True)
    return mean, rbf_kernel(X_star, X_star, length_scale, variance) - V.T @ V


def log_marginal_likelihood(X, y, length_scale, variance, noise):
    K = rbf_kernel(X, X, length_scale, variance) + noise * np.eye(len(X))
    c, lower = cho_factor(K, lower=True)
    alpha = cho_solve((c, lower), y)
    return float(-0.5 * y @ alpha - np.sum(np.log(np.diag(c))) - 0.5 * len(X) * np.log(2 * np.pi))
