"""Toy tasks for black-box variational inference and Bayesian neural networks."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402
from scipy import stats  # noqa: E402

from mlseminar.testing import load_sibling  # noqa: E402

bbvi = load_sibling(__file__, "bbvi")

DPI = 100


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Average each run of `window` consecutive values, so the result is window - 1 shorter."""
    return np.convolve(values, np.ones(window) / window, mode="valid")


def _covariance_ellipse(mean: np.ndarray, cov: np.ndarray, n_std: float, **kwargs) -> Ellipse:
    """Return the ellipse that contains a 2-D Gaussian's points within n_std Mahalanobis distance."""
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    angle = np.degrees(np.arctan2(eigenvectors[1, -1], eigenvectors[0, -1]))
    width, height = 2 * n_std * np.sqrt(eigenvalues[::-1])
    return Ellipse(mean, width, height, angle=angle, fill=False, **kwargs)


def task_conjugate_linreg(figures_dir: Path) -> dict:
    """Show that BBVI on Bayesian linear regression with orthogonal features converges to the exact posterior."""
    rng = np.random.default_rng(1201)
    figures_dir.mkdir(parents=True, exist_ok=True)

    # orthogonal columns make the exact posterior diagonal, so the mean-field family contains it
    N, noise_var, prior_var = 50, 0.5, 1.0
    scales = np.array([4.0, 2.5, 1.5, 0.8, 0.4])
    Q, _ = np.linalg.qr(rng.standard_normal((N, scales.size)))
    X = Q * scales  # (N, D)
    w_true = rng.normal(0.0, np.sqrt(prior_var), scales.size)
    y = X @ w_true + np.sqrt(noise_var) * rng.standard_normal(N)
    D = X.shape[1]

    mean, cov = bbvi.linreg_posterior(X, y, noise_var, prior_var)
    std = np.sqrt(np.diag(cov))
    log_evidence = float(stats.multivariate_normal(np.zeros(N), noise_var * np.eye(N) + prior_var * X @ X.T).logpdf(y))

    def log_joint(Z):
        return bbvi.log_joint_linreg(Z, X, y, noise_var, prior_var)

    fits = {}
    for estimator in ("reparam", "score"):
        fits[estimator] = bbvi.fit_mean_field(
            log_joint,
            np.zeros(D),
            np.zeros(D),
            rng,
            n_iter=3000,
            n_samples=16,
            learning_rate=0.02,
            estimator=estimator,
            n_average=1000,
        )

    fig, (ax_elbo, ax_post) = plt.subplots(1, 2, figsize=(11, 4.2))
    window = 20
    for estimator, colour in (("reparam", "C0"), ("score", "C1")):
        smoothed = _moving_average(fits[estimator].elbo_history, window)
        ax_elbo.semilogx(np.arange(window, window + smoothed.size), smoothed, color=colour, label=f"ELBO, {estimator} estimator")
    ax_elbo.axhline(log_evidence, color="k", ls="--", label="exact log evidence")
    ax_elbo.set_ylim(log_evidence - 25, log_evidence + 3)
    ax_elbo.set_xlabel("iteration (log scale)")
    ax_elbo.set_ylabel(f"ELBO estimate (moving average of {window})")
    ax_elbo.set_title("ELBO rises to the log evidence")
    ax_elbo.legend(loc="lower right")

    index = np.arange(D)
    ax_post.errorbar(index - 0.15, mean, yerr=2 * std, fmt="ko", capsize=4, label="exact posterior (mean ± 2 sd)")
    for offset, estimator, colour in ((0.0, "reparam", "C0"), (0.15, "score", "C1")):
        fit = fits[estimator]
        ax_post.errorbar(
            index + offset, fit.mu, yerr=2 * np.exp(fit.log_sigma), fmt="s", color=colour, capsize=4, label=f"BBVI, {estimator}"
        )
    ax_post.plot(index, w_true, "rx", ms=9, label="true weights")
    ax_post.set_xticks(index, [f"$w_{d + 1}$\n$|x_{d + 1}|$={s:g}" for d, s in enumerate(scales)])
    ax_post.set_xlabel("coefficient (and the norm of its feature column)")
    ax_post.set_ylabel("weight value")
    ax_post.set_title("Fitted q against the exact posterior")
    ax_post.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(figures_dir / "conjugate_linreg.png", dpi=DPI)
    plt.close(fig)

    result = {"log_evidence": log_evidence, "exact_std": std.tolist()}
    for estimator, fit in fits.items():
        result[f"{estimator}_final_elbo"] = float(np.mean(fit.elbo_history[-500:]))
        result[f"{estimator}_max_mean_error_in_sd"] = float(np.max(np.abs(fit.mu - mean) / std))
        result[f"{estimator}_max_relative_sd_error"] = float(np.max(np.abs(np.exp(fit.log_sigma) / std - 1)))
    return result


def task_gradient_variance(figures_dir: Path) -> dict:
    """Show that the reparameterisation gradient has lower variance than the score-function gradient."""
    rng = np.random.default_rng(1202)
    figures_dir.mkdir(parents=True, exist_ok=True)

    # Bayesian logistic regression with a bias and two features
    N = 100
    X = np.column_stack([np.ones(N), rng.standard_normal((N, 2))])  # (N, D)
    y = (rng.uniform(size=N) < 1 / (1 + np.exp(-X @ np.array([-0.5, 2.0, -1.0])))).astype(float)

    def log_joint(Z):
        return bbvi.log_joint_logistic(Z, X, y, prior_var=4.0)

    # measure the variance at a fitted q, where the optimiser spends most of its steps
    D = X.shape[1]
    fit = bbvi.fit_mean_field(log_joint, np.zeros(D), np.full(D, -1.0), rng, n_iter=2000, n_samples=16, learning_rate=0.02)
    mu, log_sigma = fit.mu, fit.log_sigma

    estimators = {
        "reparameterisation": bbvi.reparam_elbo_grad,
        "score function + control variate": bbvi.score_elbo_grad,
        "score function, no control variate": lambda *args: bbvi.score_elbo_grad(*args, control_variate=False),
    }
    sample_sizes = 2 ** np.arange(2, 11)  # 4 ... 1024
    n_repeats = 200
    variances = {name: [] for name in estimators}
    for S in sample_sizes:
        for name, estimator in estimators.items():
            grads = np.empty((n_repeats, 2 * D))
            for r in range(n_repeats):
                eps = rng.standard_normal((S, D))
                _, grad_mu, grad_log_sigma = estimator(log_joint, mu, log_sigma, eps)
                grads[r] = np.concatenate([grad_mu, grad_log_sigma])
            # total variance: the trace of the estimator's covariance over all 2D parameters
            variances[name].append(float(grads.var(axis=0, ddof=1).sum()))

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for (name, values), marker in zip(variances.items(), "os^"):
        ax.loglog(sample_sizes, values, marker=marker, label=name)
    reference = variances["reparameterisation"][0] * sample_sizes[0] / sample_sizes
    ax.loglog(sample_sizes, reference, "k:", label="slope -1 (variance ∝ 1/S)")
    ax.set_xlabel("number of Monte Carlo samples S per gradient")
    ax.set_ylabel("total variance of the ELBO gradient")
    ax.set_title("Gradient variance, Bayesian logistic regression")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(figures_dir / "gradient_variance.png", dpi=DPI)
    plt.close(fig)

    at_16 = int(np.flatnonzero(sample_sizes == 16)[0])
    return {
        "sample_sizes": sample_sizes.tolist(),
        "variance": variances,
        "score_cv_over_reparam_at_S16": variances["score function + control variate"][at_16] / variances["reparameterisation"][at_16],
        "plain_over_score_cv_at_S16": variances["score function, no control variate"][at_16]
        / variances["score function + control variate"][at_16],
    }


def _target_function(x: np.ndarray) -> np.ndarray:
    return np.sin(1.5 * x) + 0.3 * x


def task_bnn_gap(figures_dir: Path) -> dict:
    """Show that a BNN's predictive band widens away from the data, while a point-estimate network has none."""
    rng = np.random.default_rng(1203)
    figures_dir.mkdir(parents=True, exist_ok=True)

    # two clusters of inputs with a gap between them
    x = np.concatenate([rng.uniform(-3, -1, 20), rng.uniform(1, 3, 20)])
    noise_var = 0.01
    y = _target_function(x) + np.sqrt(noise_var) * rng.standard_normal(x.size)
    X = x[:, None]  # (N, 1)
    H, prior_var = 50, 4.0
    D = bbvi.bnn_n_weights(1, H)

    def log_joint(W):
        return bbvi.log_joint_bnn(W, X, y, H, noise_var, prior_var)

    # Small initial variances start q close to a point estimate, so the early gradients are not
    # swamped by weight noise.
    mu0 = 0.5 * rng.standard_normal(D)
    fit = bbvi.fit_mean_field(
        log_joint, mu0, np.full(D, -4.0), rng, n_iter=10000, n_samples=8, learning_rate=0.01, n_average=500
    )

    # point estimate: the MAP weights by Adam on the same log joint, from the same start
    w_map = mu0.copy()
    first_moment, second_moment = np.zeros(D), np.zeros(D)
    for t in range(1, 10001):
        _, grad = log_joint(w_map)
        first_moment = 0.9 * first_moment + 0.1 * grad[0]
        second_moment = 0.999 * second_moment + 0.001 * grad[0] ** 2
        w_map = w_map + 0.01 * (first_moment / (1 - 0.9**t)) / (np.sqrt(second_moment / (1 - 0.999**t)) + 1e-8)

    x_grid = np.linspace(-7, 7, 281)
    mean, std, F = bbvi.bnn_predictive(fit.mu, fit.log_sigma, x_grid[:, None], H, noise_var, 2000, rng)
    f_map = bbvi.bnn_forward(w_map, x_grid[:, None], H)[0]
    _, std_at_data, _ = bbvi.bnn_predictive(fit.mu, fit.log_sigma, X, H, noise_var, 2000, rng)

    fig, (ax, ax_std) = plt.subplots(2, 1, figsize=(8, 7.5), sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
    ax.fill_between(x_grid, mean - 2 * std, mean + 2 * std, color="C0", alpha=0.25, label="BNN predictive ± 2 sd")
    for f in F[:8]:
        ax.plot(x_grid, f, color="C0", lw=0.6, alpha=0.6)
    ax.plot(x_grid, mean, color="C0", lw=2, label="BNN predictive mean (thin: weight samples)")
    ax.plot(x_grid, f_map, color="C3", lw=2, label="point estimate (MAP network)")
    ax.plot(x_grid, _target_function(x_grid), "k--", lw=1, label="true function")
    ax.plot(x, y, "k.", ms=7, label="data")
    ax.set_ylim(-6, 6)
    ax.set_ylabel("y")
    ax.set_title(f"Mean-field BNN (ReLU, {H} hidden units) against a point estimate")
    ax.legend(fontsize=8, loc="upper center", ncol=2)

    ax_std.semilogy(x_grid, std, color="C0", label="BNN predictive sd")
    ax_std.axhline(np.sqrt(noise_var), color="gray", ls=":", label="noise sd")
    for low, high in ((-3, -1), (1, 3)):
        ax_std.axvspan(low, high, color="k", alpha=0.08)
    ax_std.set_xlabel("x (shaded: where the data are)")
    ax_std.set_ylabel("predictive sd")
    ax_std.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(figures_dir / "bnn_gap.png", dpi=DPI)
    plt.close(fig)

    far = np.abs(x_grid) >= 6.5
    centre = np.abs(x_grid) <= 0.25
    truth = _target_function(x_grid)
    return {
        "max_sd_at_data": float(std_at_data.max()),
        "mean_sd_in_gap_centre": float(std[centre].mean()),
        "min_sd_beyond_6.5": float(std[far].min()),
        "far_over_data_sd_ratio": float(std[far].min() / std_at_data.max()),
        "map_abs_error_beyond_6.5": float(np.abs(f_map - truth)[far].mean()),
        "bnn_abs_error_beyond_6.5": float(np.abs(mean - truth)[far].mean()),
        "bnn_truth_z_score_beyond_6.5": float(np.abs((truth - mean) / std)[far].mean()),
        "final_elbo": float(np.mean(fit.elbo_history[-500:])),
    }


def task_mean_field_correlated(figures_dir: Path) -> dict:
    """Show that mean-field q underestimates the marginal variances of a correlated Gaussian posterior."""
    rng = np.random.default_rng(1204)
    figures_dir.mkdir(parents=True, exist_ok=True)

    def fit_gaussian(m, Sigma):
        Lambda = np.linalg.solve(Sigma, np.eye(2))

        def log_joint(Z):
            return bbvi.log_joint_gaussian(Z, m, Lambda)

        fit = bbvi.fit_mean_field(
            log_joint, np.zeros(2), np.zeros(2), rng, n_iter=3000, n_samples=16, learning_rate=0.02, n_average=1500
        )
        return fit, Lambda

    m = np.array([1.0, -0.5])
    rho = 0.9
    Sigma = np.array([[1.0, rho * 0.8], [rho * 0.8, 0.64]])  # sds 1 and 0.8, correlation 0.9
    fit, Lambda = fit_gaussian(m, Sigma)
    q_var = np.exp(2 * fit.log_sigma)

    # the fitted variance ratio for a range of correlations, against the analytic 1 - rho^2
    rhos = np.array([0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99])
    ratios = []
    for r in rhos:
        fit_r, _ = fit_gaussian(np.zeros(2), np.array([[1.0, r], [r, 1.0]]))
        ratios.append(float(np.mean(np.exp(2 * fit_r.log_sigma))))

    fig, (ax, ax_ratio) = plt.subplots(1, 2, figsize=(11, 4.8))
    samples = rng.multivariate_normal(m, Sigma, 400)
    ax.plot(samples[:, 0], samples[:, 1], ".", color="gray", ms=3, alpha=0.5, label="samples of the target")
    for n_std, style in ((1, "-"), (2, "--")):
        ax.add_patch(_covariance_ellipse(m, Sigma, n_std, color="k", ls=style, lw=1.5, label=f"target, {n_std} sd"))
        ax.add_patch(_covariance_ellipse(fit.mu, np.diag(q_var), n_std, color="C0", ls=style, lw=2, label=f"mean-field q, {n_std} sd"))
    ax.set_aspect("equal")
    ax.set_xlim(m[0] - 3, m[0] + 3)
    ax.set_ylim(m[1] - 2.6, m[1] + 2.6)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(f"Correlated target (ρ = {rho}) and the mean-field fit")
    ax.legend(fontsize=8, loc="upper left")

    rho_line = np.linspace(0, 0.995, 200)
    ax_ratio.plot(rho_line, 1 - rho_line**2, "k-", label="optimum: $(1/\\Lambda_{dd}) / \\Sigma_{dd} = 1 - \\rho^2$")
    ax_ratio.plot(rhos, ratios, "o", color="C0", label="BBVI fit")
    ax_ratio.set_xlabel("correlation ρ of the target")
    ax_ratio.set_ylabel("fitted variance / true marginal variance")
    ax_ratio.set_title("Variance underestimate grows with correlation")
    ax_ratio.legend(fontsize=9)
    fig.tight_layout()
    fig.savefig(figures_dir / "mean_field_correlated.png", dpi=DPI)
    plt.close(fig)

    return {
        "fitted_mean": fit.mu.tolist(),
        "fitted_variance": q_var.tolist(),
        "reciprocal_precision_diagonal": (1 / np.diag(Lambda)).tolist(),
        "true_marginal_variance": np.diag(Sigma).tolist(),
        "rhos": rhos.tolist(),
        "fitted_variance_ratio": ratios,
    }
