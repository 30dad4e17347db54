import numpy as np


def gaussian_entropy(log_sigma):
    return float(np.sum(log_sigma) + 0.5 * len(log_sigma) * (1 + np.log(2 * np.pi)))


def reparam_elbo_gradient(mu, log_sigma, grad_log_joint, eps):
    sigma = np.exp(log_sigma)
    g = np.array([grad_log_joint(mu + sigma * e) for e in eps])
    return g.mean(axis=0), (g * sigma * eps).mean(axis=0) + 1.0
