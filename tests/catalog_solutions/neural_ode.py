import numpy as np


def rk4_integrate(f, z0, t0, t1, n_steps):
    z, t = np.array(z0, dtype=float), t0
    h = (t1 - t0) / n_steps
    for _ in range(n_steps):
        k1 = f(z, t)
        k2 = f(z + h / 2 * k1, t + h / 2)
        k3 = f(z + h / 2 * k2, t + h / 2)
        k4 = f(z + h * k3, t + h)
        z, t = z + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4), t + h
    return z


def adjoint_gradient(theta, z0, t1, target, n_steps):
    D = len(z0)
    z1 = rk4_integrate(lambda z, t: theta @ z, z0, 0.0, t1, n_steps)

    # Augmented backward state: z, a and the accumulated gradient, integrated from t1 to 0.
    def backward(state, t):
        z, a = state[:D], state[D:2 * D]
        return np.concatenate([theta @ z, -theta.T @ a, -np.outer(a, z).ravel()])

    start = np.concatenate([z1, z1 - target, np.zeros(D * D)])
    end = rk4_integrate(backward, start, t1, 0.0, n_steps)
    return end[2 * D:].reshape(D, D)
