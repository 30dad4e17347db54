import numpy as np


def policy_evaluation(P, R, policy, gamma, tol=1e-10):
    V = np.zeros(P.shape[0])
    while True:
        V_new = np.sum(policy * (R + gamma * P @ V), axis=1)
        if np.max(np.abs(V_new - V)) < tol:
            return V_new
        V = V_new


def value_iteration(P, R, gamma, tol=1e-10):
    V = np.zeros(P.shape[0])
    while True:
        Q = R + gamma * P @ V
        V_new = Q.max(axis=1)
        if np.max(np.abs(V_new - V)) < tol:
            return V_new, Q.argmax(axis=1)
        V = V_new
