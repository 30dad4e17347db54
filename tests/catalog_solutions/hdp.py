import numpy as np
from scipy.special import gammaln


def crp_log_prob(assignments, alpha):
    counts = np.bincount(assignments)
    N, K = len(assignments), len(counts)
    return float(K * np.log(alpha) + gammaln(alpha) - gammaln(alpha + N) + np.sum(gammaln(counts)))


def stick_breaking_weights(betas):
    remaining = np.concatenate([[1.0], np.cumprod(1 - betas)[:-1]])
    return betas * remaining
