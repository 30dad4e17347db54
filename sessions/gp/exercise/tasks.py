"""Toy tasks for Gaussian process regression: uncertainty in gaps, marginal-likelihood optima,
kernel design for extrapolation, and the cubic cost of exact inference."""

from __future__ import annotations

import contextlib
import functools
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from threadpoolctl import threadpool_limits  # noqa: E402

from mlseminar.testing import load_sibling  # noqa: E402

gp = load_sibling(__file__, "gp")

DPI = 100


def _single_blas_thread(task):
    """Run a task with one BLAS thread.

    The matrices here are small enough that a second thread gains little, and on a busy machine
    OpenBLAS threads that wait for each other made a 250 x 250 Cholesky a hundred times slower.
    One thread also gives the scaling task timings that follow the flop count.
    """

    @functools.wraps(task)
    def run(figures_dir: Path) -> dict:
        with threadpool_limits(limits=1, user_api="blas"):
            return task(figures_dir=figures_dir)

    return run


@contextlib.contextmanager
def _jitter_warnings_silenced():
    """Silence the jitter warning, which sampling on a dense grid of inputs triggers every time."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="kernel matrix is not positive definite", category=RuntimeWarning)
        yield


def _save(fig: plt.Figure, figures_dir: Path, name: str) -> None:
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(figures_dir / name, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


def _plot_posterior(ax, x_grid, mean, variance, samples, X, y, truth, title):
    band = 2.0 * np.sqrt(variance)
    ax.fill_between(x_grid, mean - band, mean + band, color="tab:blue", alpha=0.2, label="mean ± 2 sd")
    for i, sample in enumerate(samples):
        ax.plot(x_grid, sample, color="tab:blue", lw=0.8, alpha=0.6, label="posterior samples" if i == 0 else None)
    ax.plot(x_grid, mean, color="tab:blue", lw=2, label="posterior mean")
    if truth is not None:
        ax.plot(x_grid, truth, "k--", lw=1, label="true function")
    ax.plot(X[:, 0], y, "o", color="tab:red", ms=4, label="data")
    ax.set_title(title)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")


# ---------------------------------------------------------------------------------------------
# Task 1: uncertainty in a gap, before and after fitting the hyperparameters
# ---------------------------------------------------------------------------------------------


def _gap_function(x):
    return np.sin(2.0 * x) + 0.3 * x


@_single_blas_thread
def task_gap(figures_dir: Path) -> dict:
    """Show prior and posterior before and after fitting: the 2-sd band widens in the gap and beyond the data."""
    rng = np.random.default_rng(1)
    kernel = gp.SquaredExponential()
    noise_sd = 0.15

    # Inputs on [-4, 4] with the gap (-0.5, 1.5) left empty; predictions run to +-6.
    x_train = np.concatenate([rng.uniform(-4.0, -0.5, 14), rng.uniform(1.5, 4.0, 10)])
    X = np.sort(x_train)[:, None]  # (N, 1)
    y = _gap_function(X[:, 0]) + noise_sd * rng.standard_normal(len(X))
    x_grid = np.linspace(-6.0, 6.0, 241)
    X_grid = x_grid[:, None]  # (M, 1)

    # A deliberately poor start: a short length scale and a large noise variance.
    theta_init = np.log([1.0, 0.25])
    noise_init = 0.25
    before = gp.GPRegressor(kernel, theta_init, noise_init)
    before.fit(X, y, optimise=False)
    after = gp.GPRegressor(kernel, theta_init, noise_init)
    fit = after.fit(X, y, rng=rng, n_restarts=5)

    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), sharex=True, sharey=True)
    results = {}
    for row, (label, model) in enumerate([("initial", before), ("fitted", after)]):
        signal_variance, length_scale = np.exp(model.theta)
        description = f"$\\sigma_f^2$={signal_variance:.2f}, $\\ell$={length_scale:.2f}, $\\sigma_n^2$={model.noise_variance:.3f}"

        with _jitter_warnings_silenced():
            prior = gp.sample_prior(kernel, model.theta, X_grid, 4, rng) + model.y_mean
        axis = axes[row, 0]
        for i, sample in enumerate(prior):
            axis.plot(x_grid, sample, lw=1, label="prior samples" if i == 0 else None)
        axis.set_title(f"Prior samples, {label}: {description}", fontsize=10)
        axis.set_xlabel("x")
        axis.set_ylabel("f(x)")

        mean, variance = model.predict(X_grid)
        with _jitter_warnings_silenced():
            samples = model.sample_posterior(X_grid, 3, rng)
        _plot_posterior(
            axes[row, 1],
            x_grid,
            mean,
            variance,
            samples,
            X,
            y,
            _gap_function(x_grid),
            f"Posterior, {label}: log ML = {model.log_marginal_likelihood_value:.1f}",
        )
        for axis in axes[row]:
            axis.axvspan(-0.5, 1.5, color="grey", alpha=0.12, label="gap (no data)")

        # Average 2-sd half-width of the latent band inside the data, in the gap and beyond the data.
        in_data = ((x_grid > -4.0) & (x_grid < -0.5)) | ((x_grid > 1.5) & (x_grid < 4.0))
        in_gap = (x_grid > -0.5) & (x_grid < 1.5)
        outside = np.abs(x_grid) > 5.0
        results[label] = {
            "signal_variance": float(signal_variance),
            "length_scale": float(length_scale),
            "noise_variance": float(model.noise_variance),
            "log_marginal_likelihood": float(model.log_marginal_likelihood_value),
            "band_half_width_in_data": float(np.mean(2 * np.sqrt(variance[in_data]))),
            "band_half_width_in_gap": float(np.mean(2 * np.sqrt(variance[in_gap]))),
            "band_half_width_beyond_data": float(np.mean(2 * np.sqrt(variance[outside]))),
        }
    axes[0, 0].legend(loc="lower left", fontsize=8)
    axes[0, 1].legend(loc="lower left", fontsize=8, ncol=2)
    axes[0, 0].set_ylim(-4.5, 4.5)
    fig.suptitle("GP regression on data with a gap: before and after maximising the marginal likelihood")
    fig.tight_layout()
    _save(fig, figures_dir, "gap.png")

    results["n_restarts"] = len(fit.restarts)
    return results


# ---------------------------------------------------------------------------------------------
# Task 2: two local optima of the marginal likelihood
# ---------------------------------------------------------------------------------------------


def _two_optima_data():
    """Eight noisy points from a GP with ell = 1, sigma_f^2 = 1, sigma_n = 0.1; seed 0 gives two optima."""
    rng = np.random.default_rng(0)
    n_points = 8
    X = rng.uniform(-5.0, 5.0, (n_points, 1))
    K_y = gp.SquaredExponential()(np.zeros(2), X) + 0.01 * np.eye(n_points)
    y = np.linalg.cholesky(K_y) @ rng.standard_normal(n_points)
    return X, y


@_single_blas_thread
def task_two_optima(figures_dir: Path) -> dict:
    """Map the marginal likelihood over length scale and noise, with its two local optima and both fits."""
    rng = np.random.default_rng(2)
    kernel = gp.SquaredExponential()
    X, y = _two_optima_data()

    # The signal variance stays at 1 (equal bounds), so the landscape is a function of two numbers.
    bounds = np.array([[0.0, 0.0], np.log([0.05, 100.0]), np.log([1e-3, 3.0])])  # log sigma_f^2, log ell, log sigma_n^2
    length_scales = np.exp(np.linspace(np.log(0.2), np.log(60.0), 90))
    noise_sds = np.exp(np.linspace(np.log(0.02), np.log(1.5), 80))
    landscape = np.empty((len(noise_sds), len(length_scales)))
    for i, noise_sd in enumerate(noise_sds):
        for j, length_scale in enumerate(length_scales):
            landscape[i, j] = gp.log_marginal_likelihood(kernel, np.log([1.0, length_scale]), noise_sd**2, X, y)

    # One start in each basin; a random restart could land in either.
    starts = {"wiggly": (0.7, 0.05**2), "smooth": (10.0, 0.7**2)}
    optima = {}
    for label, (length_scale, noise_variance) in starts.items():
        fit = gp.fit_hyperparameters(
            kernel, X, y, rng, n_restarts=0, bounds=bounds, theta_init=np.log([1.0, length_scale]), noise_variance_init=noise_variance
        )
        optima[label] = fit

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    axes[2].sharey(axes[1])
    axis = axes[0]
    top = landscape.max()
    # Levels in nats below the global maximum, denser near the top where the two optima sit.
    levels = top - np.array([30, 15, 8, 5, 3, 2, 1, 0.5, 0.0])
    contour = axis.contourf(length_scales, noise_sds, landscape, levels=levels, cmap="viridis", extend="min")
    fig.colorbar(contour, ax=axis, label="log marginal likelihood")
    markers = {"wiggly": ("o", "tab:red"), "smooth": ("s", "tab:orange")}
    for label, fit in optima.items():
        marker, color = markers[label]
        axis.plot(np.exp(fit.theta[1]), np.sqrt(fit.noise_variance), marker, color=color, ms=9, mec="white", label=f"{label} optimum ({fit.log_marginal_likelihood:.2f})")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("length scale $\\ell$")
    axis.set_ylabel("noise standard deviation $\\sigma_n$")
    axis.set_title("Log marginal likelihood ($\\sigma_f^2 = 1$)")
    axis.legend(loc="lower left", fontsize=8)

    x_grid = np.linspace(-7.0, 7.0, 300)
    results = {}
    for axis, (label, fit) in zip(axes[1:], optima.items()):
        mean, variance = gp.posterior(kernel, fit.theta, fit.noise_variance, X, y, x_grid[:, None])
        length_scale, noise_sd = np.exp(fit.theta[1]), np.sqrt(fit.noise_variance)
        _plot_posterior(axis, x_grid, mean, variance + fit.noise_variance, [], X, y, None, "")
        axis.set_title(f"{label.capitalize()} fit: $\\ell$={length_scale:.2f}, $\\sigma_n$={noise_sd:.2f}, log ML={fit.log_marginal_likelihood:.2f}", fontsize=10)
        axis.legend(loc="lower left", fontsize=8)
        results[label] = {
            "length_scale": float(length_scale),
            "noise_sd": float(noise_sd),
            "log_marginal_likelihood": float(fit.log_marginal_likelihood),
        }
    fig.suptitle("Two explanations of the same eight points (bands include the noise: mean ± 2 sd of y)")
    fig.tight_layout()
    _save(fig, figures_dir, "two_optima.png")
    return results


# ---------------------------------------------------------------------------------------------
# Task 3: a sum kernel extrapolates a periodic pattern
# ---------------------------------------------------------------------------------------------


def _trend_periodic_function(x):
    return 0.5 * x + 0.02 * x**2 + np.sin(2.0 * np.pi * x / 1.6)


@_single_blas_thread
def task_periodic(figures_dir: Path) -> dict:
    """Show that squared exponential plus periodic extrapolates the period, while squared exponential alone reverts to the mean."""
    rng = np.random.default_rng(3)
    noise_sd = 0.2
    X = np.sort(rng.uniform(0.0, 10.0, 80))[:, None]  # (N, 1)
    y = _trend_periodic_function(X[:, 0]) + noise_sd * rng.standard_normal(len(X))
    x_grid = np.linspace(0.0, 15.0, 400)
    extrapolation = x_grid > 10.0

    # The trend's squared exponential gets long length scales, the periodic part periods up to 3.
    span_variance = np.log([1e-2, 1e3])
    models = {
        "squared exponential": (
            gp.SquaredExponential(),
            np.log([1.0, 1.0]),
            np.array([span_variance, np.log([0.05, 50.0]), np.log([1e-4, 10.0])]),
        ),
        "squared exponential + periodic": (
            gp.SquaredExponential() + gp.Periodic(),
            np.log([10.0, 20.0, 1.0, 1.0, 1.5]),
            np.array(
                [span_variance, np.log([2.0, 100.0]), span_variance, np.log([0.1, 10.0]), np.log([0.3, 3.0]), np.log([1e-4, 10.0])]
            ),
        ),
    }

    fig, axes = plt.subplots(2, 1, figsize=(11, 7.5), sharex=True, sharey=True)
    results = {}
    truth = _trend_periodic_function(x_grid)
    for axis, (label, (kernel, theta_init, bounds)) in zip(axes, models.items()):
        model = gp.GPRegressor(kernel, theta_init, 0.1)
        model.fit(X, y, rng=rng, n_restarts=8, bounds=bounds)
        mean, variance = model.predict(x_grid[:, None])
        with _jitter_warnings_silenced():
            samples = model.sample_posterior(x_grid[:, None], 2, rng)
        _plot_posterior(axis, x_grid, mean, variance, samples, X, y, truth, "")
        axis.axvspan(10.0, 15.0, color="grey", alpha=0.12, label="extrapolation")
        rmse = float(np.sqrt(np.mean((mean[extrapolation] - truth[extrapolation]) ** 2)))
        axis.set_title(f"{label}: extrapolation RMSE {rmse:.2f}, log ML {model.log_marginal_likelihood_value:.1f}")
        axis.legend(loc="upper left", fontsize=8, ncol=2)
        results[label] = {
            "extrapolation_rmse": rmse,
            "log_marginal_likelihood": float(model.log_marginal_likelihood_value),
            "hyperparameters": {name.replace("log_", ""): round(float(value), 4) for name, value in zip(kernel.param_names, np.exp(model.theta))},
            "noise_variance": float(model.noise_variance),
        }
    fig.suptitle("Trend plus periodic data: which kernel carries the pattern past x = 10")
    fig.tight_layout()
    _save(fig, figures_dir, "periodic.png")
    results["true_period"] = 1.6
    return results


# ---------------------------------------------------------------------------------------------
# Task 4: the cubic cost of exact inference
# ---------------------------------------------------------------------------------------------


def _best_time(function, n_repeats):
    """Return the minimum wall time over repeats, which is the least disturbed by other processes."""
    times = []
    for _ in range(n_repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


@_single_blas_thread
def task_scaling(figures_dir: Path) -> dict:
    """Time fit and predict against N on log axes to show the cubic cost of exact inference."""
    rng = np.random.default_rng(4)
    kernel = gp.SquaredExponential()
    theta = np.log([1.0, 0.5])
    noise_variance = 0.01
    sizes = np.array([125, 250, 500, 1000, 2000, 3000])
    X_star = np.linspace(0.0, 10.0, 200)[:, None]  # (M, 1)

    fit_times, predict_times = [], []
    for n_points in sizes:
        X = rng.uniform(0.0, 10.0, (n_points, 1))
        y = np.sin(X[:, 0]) + 0.1 * rng.standard_normal(n_points)
        n_repeats = 3

        # One marginal-likelihood and gradient evaluation is the cost of each optimiser step.
        fit_times.append(_best_time(lambda: gp.log_marginal_likelihood_and_gradient(kernel, theta, noise_variance, X, y), n_repeats))
        predict_times.append(_best_time(lambda: gp.posterior(kernel, theta, noise_variance, X, y, X_star), n_repeats))
        print(f"  N = {n_points}: fit step {fit_times[-1]:.3f} s, predict {predict_times[-1]:.3f} s")

    # The empirical exponent over the largest sizes, where the O(N^3) factorisation dominates.
    log_sizes = np.log(sizes)
    fit_slope = float(np.polyfit(log_sizes[-3:], np.log(fit_times[-3:]), 1)[0])
    predict_slope = float(np.polyfit(log_sizes[-3:], np.log(predict_times[-3:]), 1)[0])

    fig, axis = plt.subplots(figsize=(7.5, 5.5))
    axis.loglog(sizes, fit_times, "o-", label=f"log ML + gradient (slope {fit_slope:.2f})")
    axis.loglog(sizes, predict_times, "s-", label=f"condition + predict at 200 points (slope {predict_slope:.2f})")
    reference = fit_times[-1] * (sizes / sizes[-1]) ** 3.0
    axis.loglog(sizes, reference, "k--", lw=1, label="slope 3 ($\\propto N^3$)")
    axis.loglog(sizes, fit_times[-1] * (sizes / sizes[-1]) ** 2.0, "k:", lw=1, label="slope 2 ($\\propto N^2$)")
    axis.set_xticks(sizes, [str(n) for n in sizes])
    axis.minorticks_off()
    axis.set_xlabel("number of training points N")
    axis.set_ylabel("wall time (s)")
    axis.set_title("Cost of exact GP inference against N (one BLAS thread)")
    axis.legend(fontsize=9)
    axis.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    _save(fig, figures_dir, "scaling.png")
    return {
        "sizes": sizes.tolist(),
        "fit_step_seconds": [float(t) for t in fit_times],
        "predict_seconds": [float(t) for t in predict_times],
        "fit_slope_largest_three": fit_slope,
        "predict_slope_largest_three": predict_slope,
    }
