"""Time exact GP fit plus predict at N = 2000 against scikit-learn's GaussianProcessRegressor.

Both fit a squared exponential kernel with a signal variance and a learned noise variance from the
same starting point and bounds with L-BFGS-B, then predict means and standard deviations at 500
test inputs. Each timing is the minimum over several runs, because other processes on the machine
only ever add time. The script also times a single log marginal likelihood and gradient
evaluation, since the two optimisers may take different numbers of steps. On a machine shared
with other jobs, OpenBLAS threads that wait for each other slow both libraries by a large and
varying factor, so `OPENBLAS_NUM_THREADS=1` gives steadier numbers.

Run from the repository root:

    python benchmarks/gp.py [--n-points 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

from mlseminar.testing import load_module

gp = load_module(Path(__file__).resolve().parent.parent / "sessions" / "gp" / "gp.py")

# scikit-learn's default hyperparameter bounds, (1e-5, 1e5), used for both libraries.
BOUNDS = np.log([[1e-5, 1e5]] * 3)
START = np.log([1.0, 1.0, 0.1])  # signal variance, length scale, noise variance


def make_data(n_points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 10.0, (n_points, 1))
    y = np.sin(2.0 * X[:, 0]) + 0.3 * rng.standard_normal(n_points)
    X_star = np.linspace(-1.0, 11.0, 500)[:, None]
    return X, y, X_star


def run_ours(X, y, X_star):
    kernel = gp.SquaredExponential()
    fit = gp.fit_hyperparameters(
        kernel, X, y, np.random.default_rng(0), n_restarts=0, bounds=BOUNDS, theta_init=START[:2], noise_variance_init=np.exp(START[2])
    )
    mean, variance = gp.posterior(kernel, fit.theta, fit.noise_variance, X, y, X_star)
    return fit.log_marginal_likelihood, fit.restarts[0]["n_iterations"], mean, np.sqrt(variance)


def run_sklearn(X, y, X_star):
    kernel = ConstantKernel(np.exp(START[0]), (1e-5, 1e5)) * RBF(np.exp(START[1]), (1e-5, 1e5)) + WhiteKernel(
        np.exp(START[2]), (1e-5, 1e5)
    )
    # alpha=0 because the WhiteKernel carries the noise, as the noise variance does in gp.py.
    model = GaussianProcessRegressor(kernel, alpha=0.0, optimizer="fmin_l_bfgs_b", n_restarts_optimizer=0)
    model.fit(X, y)
    mean, std = model.predict(X_star, return_std=True)
    # WhiteKernel noise is part of sklearn's predictive std; remove it to compare latent std.
    noise = model.kernel_.k2.noise_level
    latent_std = np.sqrt(np.maximum(std**2 - noise, 0.0))
    return model.log_marginal_likelihood_value_, None, mean, latent_std


def best_time(function, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-points", type=int, default=2000, help="number of training points N")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing; the minimum is reported")
    args = parser.parse_args()
    X, y, X_star = make_data(args.n_points)

    ours_time, (ours_lml, ours_iterations, ours_mean, ours_std) = best_time(lambda: run_ours(X, y, X_star), args.repeats)
    sk_time, (sk_lml, _, sk_mean, sk_std) = best_time(lambda: run_sklearn(X, y, X_star), args.repeats)

    # One objective evaluation each, at the starting point.
    params = START.copy()
    ours_step, _ = best_time(
        lambda: gp.log_marginal_likelihood_and_gradient(gp.SquaredExponential(), params[:2], np.exp(params[2]), X, y), args.repeats
    )
    model = GaussianProcessRegressor(ConstantKernel() * RBF() + WhiteKernel(np.exp(START[2])), alpha=0.0, optimizer=None).fit(X, y)
    sk_step, _ = best_time(lambda: model.log_marginal_likelihood(START, eval_gradient=True), args.repeats)

    print(f"N = {args.n_points}, 500 test points, minimum of {args.repeats} runs")
    print(f"fit + predict   gp.py {ours_time:8.3f} s   scikit-learn {sk_time:8.3f} s   ratio gp.py / scikit-learn {ours_time / sk_time:.2f}")
    print(f"one log ML+grad gp.py {ours_step:8.3f} s   scikit-learn {sk_step:8.3f} s   ratio {ours_step / sk_step:.2f}")
    print(f"log ML at the optimum: gp.py {ours_lml:.4f} ({ours_iterations} L-BFGS-B iterations), scikit-learn {sk_lml:.4f}")
    print(f"max |mean difference| {np.max(np.abs(ours_mean - sk_mean)):.2e}, max |latent sd difference| {np.max(np.abs(ours_std - sk_std)):.2e}")


if __name__ == "__main__":
    main()
