"""Toy tasks for the Kalman and particle filter session: exact tracking, Monte Carlo error, a bimodal
posterior that the extended Kalman filter misses, and the weight degeneracy of particle filters."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402

from mlseminar.testing import load_sibling  # noqa: E402

filters = load_sibling(__file__, "filters")

DPI = 100


def tracking_model():
    """Return F, H, Q, R, m0, P0 of the 2-D constant-velocity model that three of the tasks share."""
    F, H, Q, R = filters.constant_velocity_model(dt=1.0, q=0.02, r=4.0)
    m0 = np.zeros(4)
    P0 = np.diag([25.0, 25.0, 4.0, 4.0])
    return F, H, Q, R, m0, P0


def add_ellipse(ax, mean, cov, color, linestyle="-"):
    """Draw the 2-sigma ellipse {x : (x - mean)^T cov^{-1} (x - mean) = 4} of a 2-D Gaussian."""
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    angle = np.degrees(np.arctan2(eigenvectors[1, -1], eigenvectors[0, -1]))
    width, height = 2 * 2 * np.sqrt(eigenvalues[::-1])
    ax.add_patch(
        Ellipse(mean, width, height, angle=angle, fill=False, color=color, linestyle=linestyle, linewidth=1, alpha=0.8)
    )


def inside_two_sigma(x, mean, cov):
    """Return, for each step, whether x_t (T, 2) lies inside the 2-sigma ellipse of N(mean_t, cov_t)."""
    residual = x - mean  # (T, 2)
    squared = np.einsum("ti,ti->t", residual, np.linalg.solve(cov, residual[:, :, None])[:, :, 0])  # (T,)
    return squared <= 4.0


def task_tracking(figures_dir: Path) -> dict:
    """Track a 2-D target from noisy positions with the Kalman filter and the RTS smoother."""
    rng = np.random.default_rng(11)
    F, H, Q, R, m0, P0 = tracking_model()
    T = 60

    # start the truth away from the prior mean, so the first steps show the filter converging
    start = np.array([3.0, -2.0, 1.0, 0.6])
    X, Y = filters.sample_linear_gaussian(F, H, Q, R, start, 1e-6 * np.eye(4), T, rng)
    filtered = filters.kalman_filter(Y, F, H, Q, R, m0, P0)
    smoothed = filters.rts_smoother(filtered, F)

    def rmse(estimate):
        return float(np.sqrt(np.mean(np.sum((estimate[:, :2] - X[:, :2]) ** 2, axis=1))))

    coverage_filtered = inside_two_sigma(X[:, :2], filtered.means[:, :2], filtered.covs[:, :2, :2]).mean()
    coverage_smoothed = inside_two_sigma(X[:, :2], smoothed.means[:, :2], smoothed.covs[:, :2, :2]).mean()

    fig, axes = plt.subplots(1, 2, figsize=(14, 5.5))
    limits = np.array([Y.min(axis=0) - 3, Y.max(axis=0) + 3])  # (2, 2): rows lower and upper
    panels = [("Kalman filter", filtered, "tab:blue"), ("RTS smoother", smoothed, "tab:green")]
    for ax, (label, estimate, color) in zip(axes, panels):
        ax.plot(Y[:, 0], Y[:, 1], ".", color="0.55", markersize=5, label="observations")
        ax.plot(X[:, 0], X[:, 1], "k-", linewidth=1.5, label="true track")
        ax.plot(estimate.means[:, 0], estimate.means[:, 1], "-", color=color, linewidth=1.5, label=f"{label} mean")
        for t in range(0, T, 3):
            add_ellipse(ax, estimate.means[t, :2], estimate.covs[t, :2, :2], color)
        ax.plot([], [], "-", color=color, linewidth=1, label="2-sigma ellipse (every 3rd step)")
        ax.set_xlabel("position x")
        ax.set_ylabel("position y")
        ax.set_title(f"{label}: position RMSE {rmse(estimate.means):.2f}")
        ax.set_xlim(limits[:, 0])
        ax.set_ylim(limits[:, 1])
        ax.set_aspect("equal")
        ax.legend(loc="best", fontsize=8)
    fig.suptitle("Constant-velocity tracking from noisy positions (observation sd 2)")
    fig.tight_layout()
    fig.savefig(figures_dir / "tracking.png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)

    return {
        "rmse_observations": rmse(Y),
        "rmse_filtered": rmse(filtered.means),
        "rmse_smoothed": rmse(smoothed.means),
        "coverage_filtered_2sigma": float(coverage_filtered),
        "coverage_smoothed_2sigma": float(coverage_smoothed),
        "coverage_expected_2sigma": float(1 - np.exp(-2)),
        "log_likelihood": filtered.log_likelihood,
    }


def task_particle_error(figures_dir: Path) -> dict:
    """Show that the particle filter's error against the exact Kalman filter shrinks like N^(-1/2)."""
    rng = np.random.default_rng(20)
    F, H, Q, R, m0, P0 = tracking_model()
    _, Y = filters.sample_linear_gaussian(F, H, Q, R, m0, P0, 50, rng)
    exact = filters.kalman_filter(Y, F, H, Q, R, m0, P0)
    model = filters.linear_gaussian_particle_model(F, H, Q, R, m0, P0)
    particle_counts = [10, 30, 100, 300, 1000, 3000, 10000]
    n_repeats = 6

    mean_errors = np.empty((len(particle_counts), n_repeats))
    log_likelihood_errors = np.empty((len(particle_counts), n_repeats))
    for i, N in enumerate(particle_counts):
        for r in range(n_repeats):
            result = filters.bootstrap_particle_filter(Y, *model, N, rng)
            mean_errors[i, r] = np.sqrt(np.mean((result.means[:, :2] - exact.means[:, :2]) ** 2))
            log_likelihood_errors[i, r] = abs(result.log_likelihood - exact.log_likelihood)

    # Fit the slope of log error against log N where the filter no longer loses the target (N >= 1000).
    # Monte Carlo error predicts -1/2 there.
    mean_rms = np.sqrt(np.mean(mean_errors**2, axis=1))  # (len(particle_counts),)
    log_likelihood_rms = np.sqrt(np.mean(log_likelihood_errors**2, axis=1))
    large = np.array(particle_counts) >= 1000
    log_n = np.log(np.array(particle_counts)[large])
    slope_mean = np.polyfit(log_n, np.log(mean_rms[large]), 1)[0]
    slope_log_likelihood = np.polyfit(log_n, np.log(log_likelihood_rms[large]), 1)[0]

    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    counts = np.repeat(particle_counts, n_repeats)
    ax.loglog(counts, mean_errors.ravel(), "o", color="tab:blue", alpha=0.3, markersize=4)
    ax.loglog(particle_counts, mean_rms, "o-", color="tab:blue", label=f"RMS error of the filtered mean (slope for N >= 1000: {slope_mean:.2f})")
    ax.loglog(counts, log_likelihood_errors.ravel(), "s", color="tab:red", alpha=0.3, markersize=4)
    ax.loglog(
        particle_counts,
        log_likelihood_rms,
        "s-",
        color="tab:red",
        label=f"RMS log-likelihood error (slope for N >= 1000: {slope_log_likelihood:.2f})",
    )
    reference = mean_rms[-1] * np.sqrt(particle_counts[-1] / np.array(particle_counts))
    ax.loglog(particle_counts, reference, "k--", linewidth=1, label="N^(-1/2) reference")
    ax.set_xlabel("number of particles N")
    ax.set_ylabel("error against the exact Kalman filter")
    ax.set_title(f"Bootstrap particle filter on the tracking model (T = 50, {n_repeats} runs per N)")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(figures_dir / "particle_error.png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)

    return {
        "particle_counts": particle_counts,
        "rms_mean_error": [float(e) for e in mean_rms],
        "rms_log_likelihood_error": [float(e) for e in log_likelihood_rms],
        "slope_mean_error_n1000_up": float(slope_mean),
        "slope_log_likelihood_error_n1000_up": float(slope_log_likelihood),
        "exact_log_likelihood": exact.log_likelihood,
    }


def task_growth_model(figures_dir: Path) -> dict:
    """Show the extended Kalman filter losing track on the growth model while particles follow both modes."""
    rng = np.random.default_rng(30)
    T, process_variance, observation_variance, initial_variance = 60, 10.0, 1.0, 5.0
    x, y = filters.sample_growth_model(T, rng, process_variance, observation_variance, initial_variance)
    Y = y[:, None]  # (T, 1)

    # extended Kalman filter, linearised at the current mean
    extended = filters.extended_kalman_filter(
        Y,
        lambda state, t: filters.growth_transition(state, t),
        lambda state, t: filters.growth_transition_derivative(state, t).reshape(1, 1),
        lambda state, t: filters.growth_observation(state),
        lambda state, t: filters.growth_observation_derivative(state).reshape(1, 1),
        np.array([[process_variance]]),
        np.array([[observation_variance]]),
        np.zeros(1),
        np.array([[initial_variance]]),
    )

    # bootstrap particle filter on the same model
    def sample_initial(n, generator):
        return generator.normal(0.0, np.sqrt(initial_variance), size=(n, 1))

    def sample_transition(particles, t, generator):
        noise = generator.normal(0.0, np.sqrt(process_variance), size=particles.shape)
        return filters.growth_transition(particles, t) + noise

    def log_observation_density(observation, particles, t):
        residual = observation[0] - filters.growth_observation(particles[:, 0])
        return -0.5 * residual**2 / observation_variance - 0.5 * np.log(2 * np.pi * observation_variance)

    N = 2000
    particle = filters.bootstrap_particle_filter(
        Y, sample_initial, sample_transition, log_observation_density, N, rng, keep_particles=True
    )
    weights = np.exp(particle.log_weights)  # (T, N)
    states = particle.particles[:, :, 0]  # (T, N)

    # the posterior is bimodal when both signs of x carry real mass, because y depends on x only through x^2
    mass_positive = np.sum(weights * (states > 0), axis=1)  # (T,)
    bimodal = np.minimum(mass_positive, 1 - mass_positive) > 0.1
    shown_step = int(np.argmax(np.minimum(mass_positive, 1 - mass_positive) * (np.arange(T) > 5)))

    rmse_extended = float(np.sqrt(np.mean((extended.means[:, 0] - x) ** 2)))
    rmse_particle = float(np.sqrt(np.mean((particle.means[:, 0] - x) ** 2)))
    extended_sd = np.sqrt(extended.covs[:, 0, 0])
    extended_coverage = float(np.mean(np.abs(x - extended.means[:, 0]) <= 2 * extended_sd))

    # the particle filter's central 95% interval from the weighted particles
    order = np.argsort(states, axis=1)
    sorted_states = np.take_along_axis(states, order, axis=1)
    cumulative = np.cumsum(np.take_along_axis(weights, order, axis=1), axis=1)  # (T, N)
    lower = sorted_states[np.arange(T), np.argmax(cumulative >= 0.025, axis=1)]
    upper = sorted_states[np.arange(T), np.argmax(cumulative >= 0.975, axis=1)]
    particle_coverage = float(np.mean((x >= lower) & (x <= upper)))

    fig, axes = plt.subplots(1, 2, figsize=(14, 5.5), gridspec_kw={"width_ratios": [2.3, 1]})
    ax = axes[0]
    grid = np.linspace(-30, 30, 121)
    density = np.stack([np.histogram(states[t], bins=grid, weights=weights[t])[0] for t in range(T)], axis=1)
    ax.imshow(
        np.sqrt(density),
        origin="lower",
        aspect="auto",
        extent=(-0.5, T - 0.5, grid[0], grid[-1]),
        cmap="Greys",
        interpolation="nearest",
    )
    steps = np.arange(T)
    ax.fill_between(
        steps,
        extended.means[:, 0] - 2 * extended_sd,
        extended.means[:, 0] + 2 * extended_sd,
        color="tab:orange",
        alpha=0.2,
        label="EKF mean +- 2 sd",
    )
    ax.plot(steps, extended.means[:, 0], "-", color="tab:orange", linewidth=1.5, label="EKF mean")
    ax.plot(steps, particle.means[:, 0], "-", color="tab:blue", linewidth=1.5, label="particle filter mean")
    ax.plot(steps, x, "k.", markersize=6, label="true state")
    ax.plot([], [], "s", color="0.5", label="particle filter posterior (grey)")
    ax.axvline(shown_step, color="tab:red", linestyle=":", linewidth=1)
    ax.set_ylim(grid[0], grid[-1])
    ax.set_xlabel("time step t")
    ax.set_ylabel("state x_t")
    ax.set_title(f"Growth model: RMSE EKF {rmse_extended:.1f}, particle filter {rmse_particle:.1f} (N = {N})")
    ax.legend(loc="lower left", fontsize=8, ncol=2)

    ax = axes[1]
    ax.hist(states[shown_step], bins=np.linspace(-30, 30, 81), weights=weights[shown_step], density=True,
            color="tab:blue", alpha=0.5, label="particle filter posterior")
    grid_fine = np.linspace(-30, 30, 600)
    mean, sd = extended.means[shown_step, 0], extended_sd[shown_step]
    ax.plot(grid_fine, np.exp(-0.5 * ((grid_fine - mean) / sd) ** 2) / (sd * np.sqrt(2 * np.pi)), color="tab:orange",
            label="EKF Gaussian")
    ax.axvline(x[shown_step], color="k", linewidth=1.5, label="true state")
    ax.set_xlabel(f"state x_{shown_step}")
    ax.set_ylabel("filtering density")
    ax.set_title(f"Filtering distribution at t = {shown_step}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(figures_dir / "growth_model.png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)

    return {
        "rmse_ekf": rmse_extended,
        "rmse_particle": rmse_particle,
        "coverage_ekf_2sd": extended_coverage,
        "coverage_particle_95": particle_coverage,
        "bimodal_steps": int(bimodal.sum()),
        "shown_step": shown_step,
        "min_ess": float(particle.ess.min()),
    }


def task_degeneracy(figures_dir: Path) -> dict:
    """Show the weights degenerating without resampling, and in high state dimension even with it."""
    rng = np.random.default_rng(40)
    N = 1000

    # (a) the tracking model with and without resampling
    F, H, Q, R, m0, P0 = tracking_model()
    _, Y = filters.sample_linear_gaussian(F, H, Q, R, m0, P0, 60, rng)
    model = filters.linear_gaussian_particle_model(F, H, Q, R, m0, P0)
    without = filters.bootstrap_particle_filter(Y, *model, N, rng, ess_threshold=0.0)
    with_resampling = filters.bootstrap_particle_filter(Y, *model, N, rng, ess_threshold=0.5)

    # (b) M independent AR(1) coordinates, each observed with noise: the weight is a product over M
    # coordinates, so its variance grows exponentially in M
    dimensions = [1, 2, 4, 8, 16, 32]
    T_dimension = 20
    mean_ess = []
    for M in dimensions:
        F_m, H_m, Q_m, R_m = 0.9 * np.eye(M), np.eye(M), np.eye(M), np.eye(M)
        m0_m, P0_m = np.zeros(M), np.eye(M) / (1 - 0.81)
        _, Y_m = filters.sample_linear_gaussian(F_m, H_m, Q_m, R_m, m0_m, P0_m, T_dimension, rng)
        model_m = filters.linear_gaussian_particle_model(F_m, H_m, Q_m, R_m, m0_m, P0_m)
        result = filters.bootstrap_particle_filter(Y_m, *model_m, N, rng, ess_threshold=1.0)
        mean_ess.append(float(result.ess.mean()))

    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    ax = axes[0]
    steps = np.arange(len(Y))
    ax.semilogy(steps, without.ess, "-", color="tab:red", label="no resampling (sequential importance sampling)")
    ax.semilogy(steps, with_resampling.ess, "-", color="tab:blue", label="systematic resampling when ESS < N/2")
    ax.plot(steps[with_resampling.resampled], with_resampling.ess[with_resampling.resampled], "v", color="tab:blue",
            markersize=4, label="resampled after this step")
    ax.axhline(1.0, color="k", linestyle=":", linewidth=1)
    ax.set_ylim(0.5, 2 * N)
    ax.set_xlabel("time step t")
    ax.set_ylabel("effective sample size (before resampling)")
    ax.set_title(f"Tracking model, N = {N}: weights degenerate without resampling")
    ax.legend(fontsize=8, loc="center right")

    ax = axes[1]
    ax.semilogy(dimensions, mean_ess, "o-", color="tab:purple", label="mean ESS over 20 steps, resampling every step")
    ax.axhline(N, color="k", linestyle=":", linewidth=1, label=f"N = {N}")
    ax.axhline(1.0, color="0.5", linestyle=":", linewidth=1)
    ax.set_xscale("log", base=2)
    ax.set_xticks(dimensions, [str(M) for M in dimensions])
    ax.set_ylim(0.5, 2 * N)
    ax.set_xlabel("state dimension M")
    ax.set_ylabel("effective sample size")
    ax.set_title("Independent AR(1) coordinates: ESS collapses with dimension")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(figures_dir / "degeneracy.png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)

    return {
        "n_particles": N,
        "final_ess_without_resampling": float(without.ess[-1]),
        "min_ess_with_resampling": float(with_resampling.ess.min()),
        "resampling_steps": int(with_resampling.resampled.sum()),
        "dimensions": dimensions,
        "mean_ess_by_dimension": mean_ess,
    }
