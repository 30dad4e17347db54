import numpy as np
from scipy.special import logsumexp


def _forward(log_pi, log_A, log_B):
    log_alpha = np.empty_like(log_B)
    log_alpha[0] = log_pi + log_B[0]
    for t in range(1, len(log_B)):
        log_alpha[t] = log_B[t] + logsumexp(log_alpha[t - 1][:, None] + log_A, axis=0)
    return log_alpha


def forward_log_likelihood(log_pi, log_A, log_B):
    return float(logsumexp(_forward(log_pi, log_A, log_B)[-1]))


def posterior_marginals(log_pi, log_A, log_B):
    log_alpha = _forward(log_pi, log_A, log_B)
    log_beta = np.zeros_like(log_B)
    for t in range(len(log_B) - 2, -1, -1):
        log_beta[t] = logsumexp(log_A + log_B[t + 1] + log_beta[t + 1], axis=1)
    log_gamma = log_alpha + log_beta
    return np.exp(log_gamma - logsumexp(log_gamma, axis=1, keepdims=True))
