import numpy as np


def inner_update(w, X, y, alpha):
    return w - alpha * X.T @ (X @ w - y) / len(X)


def meta_gradient(w, X_train, y_train, X_test, y_test, alpha):
    adapted = inner_update(w, X_train, y_train, alpha)
    grad_test = X_test.T @ (X_test @ adapted - y_test) / len(X_test)
    H_train = X_train.T @ X_train / len(X_train)
    return (np.eye(len(w)) - alpha * H_train).T @ grad_test
