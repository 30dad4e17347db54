import numpy as np


def gaussian_kl(mu, log_var):
    return 0.5 * np.sum(np.exp(log_var) + mu**2 - 1.0 - log_var, axis=1)


def bernoulli_log_likelihood(x, logits):
    # log sigmoid(l) = -logaddexp(0, -l) and log(1 - sigmoid(l)) = -logaddexp(0, l)
    return -np.sum(x * np.logaddexp(0, -logits) + (1 - x) * np.logaddexp(0, logits), axis=1)
