import numpy as np
from scipy import stats


def sample(params, T, rng):
    K, D = params["b"].shape
    z, x = np.empty(T, dtype=int), np.empty((T, D))
    z[0] = rng.choice(K, p=params["pi0"])
    x[0] = rng.multivariate_normal(params["mu0"], params["Sigma0"])
    for t in range(1, T):
        z[t] = rng.choice(K, p=params["P"][z[t - 1]])
        x[t] = rng.multivariate_normal(params["A"][z[t]] @ x[t - 1] + params["b"][z[t]], params["Q"][z[t]])
    y = x @ params["C"].T + params["d"] + rng.multivariate_normal(np.zeros(len(params["d"])), params["R"], size=T)
    return z, x, y


def log_joint(z, x, y, params):
    total = np.log(params["pi0"][z[0]]) + stats.multivariate_normal(params["mu0"], params["Sigma0"]).logpdf(x[0])
    for t in range(1, len(z)):
        k = z[t]
        total += np.log(params["P"][z[t - 1], k])
        total += stats.multivariate_normal(params["A"][k] @ x[t - 1] + params["b"][k], params["Q"][k]).logpdf(x[t])
    for t in range(len(z)):
        total += stats.multivariate_normal(params["C"] @ x[t] + params["d"], params["R"]).logpdf(y[t])
    return float(total)
