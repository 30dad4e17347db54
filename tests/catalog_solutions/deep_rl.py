import numpy as np


def policy_probs(theta):
    e = np.exp(theta - theta.max())
    return e / e.sum()


def reinforce_gradient(theta, action, reward):
    grad_log = -policy_probs(theta)
    grad_log[action] += 1.0
    return reward * grad_log
