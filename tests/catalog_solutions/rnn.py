import numpy as np


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _steps(params, X):
    H = params["b"].shape[0] // 4
    h, c = np.zeros(H), np.zeros(H)
    cache = []
    for x in X:
        v = np.concatenate([x, h])
        a = params["W"] @ v + params["b"]
        i, f, o, g = _sigmoid(a[:H]), _sigmoid(a[H:2 * H]), _sigmoid(a[2 * H:3 * H]), np.tanh(a[3 * H:])
        c_prev = c
        c = f * c + i * g
        h = o * np.tanh(c)
        cache.append((v, i, f, o, g, c_prev, c))
    return h, cache


def lstm_forward(params, X):
    H = params["b"].shape[0] // 4
    out, h, c = [], np.zeros(H), np.zeros(H)
    for x in X:
        a = params["W"] @ np.concatenate([x, h]) + params["b"]
        i, f, o, g = _sigmoid(a[:H]), _sigmoid(a[H:2 * H]), _sigmoid(a[2 * H:3 * H]), np.tanh(a[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        out.append(h)
    return np.array(out)


def loss_and_grad(params, X, target):
    H = params["b"].shape[0] // 4
    D = X.shape[1]
    h, cache = _steps(params, X)
    loss = 0.5 * np.sum((h - target) ** 2)
    dW, db = np.zeros_like(params["W"]), np.zeros_like(params["b"])
    dh, dc = h - target, np.zeros(H)
    for v, i, f, o, g, c_prev, c in reversed(cache):
        tanh_c = np.tanh(c)
        do = dh * tanh_c
        dc = dc + dh * o * (1 - tanh_c**2)
        di, df, dg = dc * g, dc * c_prev, dc * i
        da = np.concatenate([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g**2)])
        dW += np.outer(da, v)
        db += da
        dv = params["W"].T @ da
        dh = dv[D:]
        dc = dc * f
    return float(loss), {"W": dW, "b": db}
