import numpy as np


def kalman_filter(y, F, Q, H, R, m0, P0):
    T, D = len(y), len(m0)
    means, covs = np.empty((T, D)), np.empty((T, D, D))
    m, P, log_likelihood = m0, P0, 0.0
    for t in range(T):
        if t > 0:
            m, P = F @ m, F @ P @ F.T + Q
        if not np.all(np.isnan(y[t])):
            S = H @ P @ H.T + R
            r = y[t] - H @ m
            K = np.linalg.solve(S, H @ P).T
            m, P = m + K @ r, P - K @ S @ K.T
            _, logdet = np.linalg.slogdet(S)
            log_likelihood += -0.5 * (r @ np.linalg.solve(S, r) + logdet + len(r) * np.log(2 * np.pi))
        means[t], covs[t] = m, P
    return means, covs, log_likelihood
